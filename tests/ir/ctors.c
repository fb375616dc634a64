/* ctors.c — constructors and destructors with priorities, defined out of
 * order.  The order of the lines is the test: constructors 101, 102, then
 * the default priority, main, then the destructors (default, 102, 101).
 * The native build is the oracle.  (atexit handlers: atexit.c.) */
#include <stdio.h>

static int state; /* constructors leave their marks here */

__attribute__((constructor(102))) static void ctor102(void) {
    printf("constructor 102 (state %d)\n", state);
    state = state * 10 + 2;
}

__attribute__((constructor)) static void ctor_default(void) {
    printf("constructor default (state %d)\n", state);
    state = state * 10 + 3;
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
    state = 7;
    printf("main returns\n");
    return 0;
}
