/* state.c: being written. */
