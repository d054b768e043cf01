/* clock.c: being written. */
