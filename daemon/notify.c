/* notify.c: being written. */
