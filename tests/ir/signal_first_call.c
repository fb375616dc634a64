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

#define F(n)                                                                                 \
    __attribute__((noinline)) long f##n(long x) { return x * 31 + n; }
#define F10(t) F(t##0) F(t##1) F(t##2) F(t##3) F(t##4) F(t##5) F(t##6) F(t##7) F(t##8) F(t##9)
F10(1) F10(2) F10(3) F10(4) F10(5) F10(6) F10(7) F10(8) F10(9)
#define P(n) f##n,
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
static long (*const tab[])(long) = {P10(1) P10(2) P10(3) P10(4) P10(5) P10(6) P10(7) P10(8) P10(9)};

static volatile long in_handler;
static volatile int calls;

static void handler(int s) {
    (void)s;
    in_handler += tab[calls++ % 90](1); /* from the end the program has not reached */
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {{0, 100}, {0, 100}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
    long s = 0;
    for (int i = 89; i >= 0; i--) s += tab[i](s);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    printf("%ld\n", s);
    return check_done();
}
