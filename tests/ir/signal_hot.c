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

#define F(n)                                                                                 \
    __attribute__((noinline)) long f##n(long x) { return x * 31 + n; }
#define F10(t) F(t##0) F(t##1) F(t##2) F(t##3) F(t##4) F(t##5) F(t##6) F(t##7) F(t##8) F(t##9)
#define F100(h) F10(h##0) F10(h##1) F10(h##2) F10(h##3) F10(h##4) F10(h##5) F10(h##6) F10(h##7) \
    F10(h##8) F10(h##9)
F100(1) F100(2) F100(3) F100(4)
#define P(n) f##n,
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
#define P100(h) P10(h##0) P10(h##1) P10(h##2) P10(h##3) P10(h##4) P10(h##5) P10(h##6) P10(h##7) \
    P10(h##8) P10(h##9)
enum { N = 400, HALF = 200 };
static long (*const tab[])(long) = {P100(1) P100(2) P100(3) P100(4)};

static volatile long in_handler;
static volatile int calls;

static void handler(int s) {
    (void)s;
    in_handler += tab[HALF + calls++ % HALF](1); /* the loop's are the first half */
}

int main(void) {
    long s = 0;
    /* Compiled, and counted once, before the timer starts. */
    for (int i = 0; i < HALF; i++) s = (s ^ tab[i](s)) & 0xffffffff;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {{0, 20}, {0, 20}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
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
