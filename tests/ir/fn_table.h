/* fn_table.h — numbered functions and tables of them, for the programs
 * whose signal handlers call many functions (signal_first_call.c,
 * signal_hot.c, signal_table.c).  FN_10(M, t) expands M(t0) .. M(t9), and
 * FN_100(M, h) M(h00) .. M(h99), with the numbers pasted as tokens: M
 * defines a function of that number, or names one in a table.
 * alarm_every(h, flags, us) installs h for SIGALRM (sigaction, with flags)
 * and starts the real-time timer every `us` microseconds. */
#ifndef FN_TABLE_H
#define FN_TABLE_H

#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"

static void alarm_every(void (*h)(int), int flags, long us) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {{0, us}, {0, us}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
}
#define FN_10(M, t) M(t##0) M(t##1) M(t##2) M(t##3) M(t##4) M(t##5) M(t##6) M(t##7) M(t##8) M(t##9)
#define FN_100(M, h)                                                                          \
    FN_10(M, h##0) FN_10(M, h##1) FN_10(M, h##2) FN_10(M, h##3) FN_10(M, h##4) FN_10(M, h##5) \
    FN_10(M, h##6) FN_10(M, h##7) FN_10(M, h##8) FN_10(M, h##9)
#endif
