/* sigwait_sync.c — a program that blocks SIGSYS, SIGFPE, SIGBUS, SIGTRAP
 * and SIGILL, sends each to itself with kill() (process-directed) and
 * takes it with sigwait.  The kernel gives such a signal to a thread that
 * does not block it: kjit's compiler threads blocked only the asynchronous
 * signals, so it was delivered there and its default action ended the
 * process (most runs).  Between the signals, first calls keep kjit's
 * threads at work. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"

#define F(k)                                                                                   \
    __attribute__((noinline)) static long f##k(long x) {                                       \
        long s = 0;                                                                            \
        for (long i = 0; i < x; i++) s += (i % 7) * (k + 1);                                   \
        return s;                                                                              \
    }
F(0) F(1) F(2) F(3) F(4)
typedef long (*fn)(long);
static fn const fns[5] = {f0, f1, f2, f3, f4};

int main(void) {
    const int sigs[5] = {SIGSYS, SIGFPE, SIGBUS, SIGTRAP, SIGILL};
    sigset_t set;
    sigemptyset(&set);
    for (int k = 0; k < 5; k++) sigaddset(&set, sigs[k]);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
    long total = 0;
    for (int k = 0; k < 5; k++) {
        for (int i = 0; i < 500; i++) total += fns[k](i);
        CHECK_EQ(kill(getpid(), sigs[k]), 0);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sigs[k]);
        int got = 0;
        CHECK_EQ(sigwait(&one, &got), 0);
        CHECK_EQ(got, sigs[k]);
    }
    printf("5 signals taken by sigwait; %ld\n", total);
    return check_done();
}
