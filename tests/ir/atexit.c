/* atexit.c — atexit handlers: registered in a constructor, in main and by
 * a handler while exit runs them; they run in reverse order of
 * registration, before the destructors; output from all of them reaches
 * stdout.  The native build is the oracle. */
#include <stdio.h>
#include <stdlib.h>

static int state;

static void from_ctor(void) { printf("atexit handler registered by a constructor\n"); }
static void late(void) { printf("atexit handler registered by another handler (state %d)\n", state); }
static void first(void) {
    printf("atexit handler registered first in main (state %d)\n", state);
    state = 9;
    atexit(late); /* runs next: registration during exit is allowed */
}
static void second(void) { printf("atexit handler registered second in main\n"); }

__attribute__((constructor)) static void init(void) {
    printf("constructor registers a handler\n");
    if (atexit(from_ctor) != 0) printf("atexit failed\n");
}

__attribute__((destructor)) static void fini(void) {
    printf("destructor, after the handlers (state %d)\n", state);
}

int main(void) {
    printf("main\n");
    if (atexit(first) != 0 || atexit(second) != 0) {
        fprintf(stderr, "atexit failed\n");
        return 1;
    }
    state = 7;
    printf("main returns\n");
    return 0;
}
