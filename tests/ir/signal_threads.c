/* signal_threads — a process-directed signal runs its handler on a thread
 * of the program, never on one of kjit's own (its compiler threads, the
 * ahead thread, the cache's writer), which start with the asynchronous
 * signals blocked.  A single-threaded program's handler ran on kjit's T2
 * thread; here it must always run on main's. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static volatile int on_main, elsewhere;

static void handler(int s) {
    (void)s;
    if (gettid() == getpid())
        on_main++;
    else
        elsewhere++;
}

/* Work that gets hot (T2, compiled on kjit's thread meanwhile). */
__attribute__((noinline)) static long step(long s, long i) { return s * 3 + (i ^ (s >> 5)); }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {{0, 500}, {0, 500}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
    long s = 0;
    for (long i = 0; on_main + elsewhere < 60; i++) s = step(s, i);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    CHECK_EQ(elsewhere, 0);
    printf("60 signals, all on the main thread: %s\n", elsewhere ? "no" : "yes");
    (void)s;
    return check_done();
}
