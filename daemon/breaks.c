/* breaks.c: being written. */
