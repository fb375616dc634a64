/* signal_first_call — a signal handler calls functions never called
 * before, while the program's thread is itself in the middle of first
 * calls (kjit compiling them, holding its locks).  The handler's first
 * call waited for ever for the lock its own thread held; kjit now holds
 * the program's asynchronous signals back while it compiles on a program
 * thread, and delivers them after.  A 100 µs timer fires throughout. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"
#include "fn_table.h"

#define F(n) __attribute__((noinline)) long f##n(long x) { return x * 31 + n; }
FN_10(F, 1) FN_10(F, 2) FN_10(F, 3) FN_10(F, 4) FN_10(F, 5) FN_10(F, 6) FN_10(F, 7) FN_10(F, 8)
FN_10(F, 9)
#define P(n) f##n,
static long (*const tab[])(long) = {FN_10(P, 1) FN_10(P, 2) FN_10(P, 3) FN_10(P, 4) FN_10(P, 5)
                                        FN_10(P, 6) FN_10(P, 7) FN_10(P, 8) FN_10(P, 9)};

/* The handler reaches the table through a pointer main sets: kjit_prepare,
 * when sigaction installs the handler, finds no function in it, so the
 * handler's calls stay first calls (signal_table.c has the other case). */
static long (*const *volatile htab)(long);
static volatile long in_handler;
static volatile int calls;

static void handler(int s) {
    (void)s;
    in_handler += htab[calls++ % 90](1); /* from the end the program has not reached */
}

int main(void) {
    htab = tab;
    alarm_every(handler, 0, 100);
    long s = 0;
    for (int i = 89; i >= 0; i--) s += tab[i](s);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    printf("%ld\n", s);
    return check_done();
}
