/* conf.c: being written. */
