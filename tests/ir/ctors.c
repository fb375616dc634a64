/* ctors.c — constructors and destructors with priorities, and atexit
 * handlers (one registered by a constructor).  The order of the lines is
 * the test: constructors 101, 102, then the default priority, main, then the
 * atexit handlers in reverse order of registration, then the destructors
 * (default, 102, 101).  The native build is the oracle. */
#include <stdio.h>
#include <stdlib.h>

static int state; /* constructors leave their marks here */

static void from_ctor_atexit(void) { printf("atexit handler registered by a constructor\n"); }
static void atexit_first(void) { printf("atexit handler registered first in main (state %d)\n", state); }
static void atexit_second(void) { printf("atexit handler registered second in main\n"); }

__attribute__((constructor(102))) static void ctor102(void) {
    printf("constructor 102 (state %d)\n", state);
    state = state * 10 + 2;
}

__attribute__((constructor)) static void ctor_default(void) {
    printf("constructor default (state %d)\n", state);
    state = state * 10 + 3;
    atexit(from_ctor_atexit);
}

__attribute__((constructor(101))) static void ctor101(void) {
    printf("constructor 101 (state %d)\n", state);
    state = state * 10 + 1;
}

__attribute__((destructor)) static void dtor_default(void) { printf("destructor default\n"); }
__attribute__((destructor(101))) static void dtor101(void) { printf("destructor 101\n"); }
__attribute__((destructor(102))) static void dtor102(void) {
    printf("destructor 102 (state %d)\n", state);
}

int main(void) {
    printf("main (state %d)\n", state);
    if (state != 123) {
        fprintf(stderr, "constructors ran in the wrong order: state %d, want 123\n", state);
        return 1;
    }
    atexit(atexit_first);
    atexit(atexit_second);
    state = 7;
    printf("main returns\n");
    return 0;
}
