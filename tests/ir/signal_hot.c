/* signal_hot — a signal handler makes first calls while the program's
 * thread is making its functions hot: a T1 counter reaching the threshold
 * calls into kjit, which queues the function under the JIT's lock, and a
 * handler's first call there waited for that lock, held by its own thread
 * (a review's finding: it hung 5 runs in 5 with --hot=2; run_ir.py gives
 * this program a --hot=2 variant).  The handler's functions are others
 * than the loop's, so each of its calls may be a first one. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"
#include "fn_table.h"

#define F(n) __attribute__((noinline)) long f##n(long x) { return x * 31 + n; }
FN_100(F, 1) FN_100(F, 2) FN_100(F, 3) FN_100(F, 4)
#define P(n) f##n,
enum { N = 400, HALF = 200 };
static long (*const tab[])(long) = {FN_100(P, 1) FN_100(P, 2) FN_100(P, 3) FN_100(P, 4)};

/* The handler reaches the table through a pointer main sets: kjit_prepare,
 * when sigaction installs the handler, finds no function in it, so the
 * handler's calls stay first calls (signal_table.c has the other case). */
static long (*const *volatile htab)(long);
static volatile long in_handler;
static volatile int calls;

static void handler(int s) {
    (void)s;
    in_handler += htab[HALF + calls++ % HALF](1); /* the loop's are the first half */
}

int main(void) {
    long s = 0;
    /* Compiled, and counted once, before the timer starts. */
    for (int i = 0; i < HALF; i++) s = (s ^ tab[i](s)) & 0xffffffff;
    htab = tab;
    alarm_every(handler, SA_RESTART, 20);
    /* With --hot=2 (its own variant), each call of the first round makes
     * its function hot: kjit's lock, taken on this thread, again and
     * again, the timer firing meanwhile. */
    for (int r = 0; r < 200; r++)
        for (int i = 0; i < HALF; i++) s = (s ^ tab[i](s + r)) & 0xffffffff;
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    printf("%ld\n", s);
    return check_done();
}
