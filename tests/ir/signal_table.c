/* signal_table — a signal handler that calls through a constant table of
 * 400 functions, on a 50 µs timer, while the program's thread spins.
 * A handler's first call that interrupted the program inside malloc
 * waited for malloc's lock for ever (a first call allocates): the build
 * before hung in 10 of 30 warm runs of this program, at its exit.  Now
 * sigaction has kjit_prepare give the handler, and every function its
 * table holds, their code before the timer starts (docs/DESIGN.md,
 * "Signals"); none of 30 hung. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"
#include "fn_table.h"

#define F(n) __attribute__((noinline)) long h##n(long x) { return x * 7 + n; }
FN_100(F, 1) FN_100(F, 2) FN_100(F, 3) FN_100(F, 4)
#define P(n) h##n,
enum { N = 400, CALLS = 200 };
static long (*const H[N])(long) = {FN_100(P, 1) FN_100(P, 2) FN_100(P, 3) FN_100(P, 4)};

static volatile int hn;
static volatile long hs;

static void on_alarm(int s) {
    (void)s;
    int saved = errno;
    int k = hn++;
    long v = H[k % N](k);
    if (k < CALLS) hs += v; /* (the first CALLS calls only: the sum does not depend on timing) */
    errno = saved;
}

int main(void) {
    alarm_every(on_alarm, SA_RESTART, 50);
    while (hn < CALLS) {
    }
    /* The timer is left running: the handler goes on through the exit,
     * whose work (the code cache's writes, freeing) allocates.  (At 100 µs
     * the build before never hung in 30 warm runs; at 50, 10 times.) */
    printf("%ld\n", (long)hs);
    return check_done();
}
