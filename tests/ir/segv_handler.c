/* segv_handler.c — the program's own SIGSEGV handler, on an alternate
 * stack, catches its stack overflow: a recursion without end.  The handler
 * is JIT'd code whose first call is that signal (and so are the functions
 * it calls): kjit took the alternate stack's pointer for an overflow of its
 * own and reported "stack overflow" instead of running it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void say(const char *m) { write(1, m, strlen(m)); }

static void on_segv(int sig) {
    (void)sig;
    say("overflow caught by the program's handler\n");
    _exit(3);
}

static volatile long forever = 1; /* (the recursion ends only by overflow) */

__attribute__((noinline)) static long recurse(long n) {
    volatile char pad[512];
    pad[0] = (char)n;
    return forever ? recurse(n + 1) + pad[0] : n;
}

int main(void) {
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0) return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_ONSTACK;
    if (sigaction(SIGSEGV, &sa, NULL) != 0) return 2;
    printf("recursing\n");
    fflush(stdout);
    return (int)recurse(0);
}
