/* signal_profiler.c — a SIGPROF timer every 100 µs whose handler calls
 * JIT'd code, while the program's functions get hot.  In the hot1 variant
 * (--hot=1 --tier-sync) a hot report waits for its T2 compile: a handler
 * that interrupted that wait and made a hot report of its own waited on the
 * same condition, and both hung (5 runs in 6). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"

#define F(k)                                                                                   \
    __attribute__((noinline)) static long m##k(long x) {                                       \
        long s = x;                                                                            \
        for (int j = 0; j < 3; j++) s = s * 17 + k;                                            \
        return s;                                                                              \
    }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
typedef long (*fn)(long);
static fn const ms[16] = {m0, m1, m2,  m3,  m4,  m5,  m6,  m7,
                          m8, m9, m10, m11, m12, m13, m14, m15};

__attribute__((noinline)) static long in_handler(long x) { return x * 31 + 7; }

static volatile long handled_sum;
static volatile sig_atomic_t handled;

static void on_prof(int sig) {
    (void)sig;
    handled_sum += in_handler(handled);
    handled++;
}

static long reference(int k, long x) {
    long s = x;
    for (int j = 0; j < 3; j++) s = s * 17 + k;
    return s;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGPROF, &sa, NULL), 0);
    struct itimerval on = {{0, 100}, {0, 100}}, off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_PROF, &on, NULL), 0);
    long total = 0, want = 0;
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < 16; i++) total += ms[i](i + r), want += reference(i, i + r);
    CHECK_EQ(setitimer(ITIMER_PROF, &off, NULL), 0);
    CHECK_EQ(total, want);
    long n = handled, expect = 0;
    for (long i = 0; i < n; i++) expect += i * 31 + 7;
    CHECK_EQ(handled_sum, expect);
    printf("sum %ld; the handler's sums agree\n", total);
    return check_done();
}
