/* exit_nested.c — exit() called by an atexit handler: the handlers left
 * (registered before it) still run, as glibc's exit runs them, and the
 * status is the nested call's.  kjit skipped them. */
#include <stdio.h>
#include <stdlib.h>

static void first(void) { printf("first (registered first, runs last)\n"); }
static void second(void) {
    printf("second: exit(9)\n");
    exit(9);
}
static void third(void) { printf("third (registered last, runs first)\n"); }

int main(void) {
    atexit(first);
    atexit(second);
    atexit(third);
    printf("main returns 0\n");
    return 0;
}
