/* fork_sigchld.c — a SIGCHLD handler, JIT'd code first called by that
 * signal, while the program forks 20 children that exit at once.  The
 * signal came as the parent's fork returned, while kjit's fork handlers
 * still held its locks, and the handler's first call waited for them: a
 * hang in every run.  The parent reaps every child. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t signalled;

__attribute__((noinline)) static void count(void) { signalled++; }

static void on_chld(int sig) {
    (void)sig;
    count();
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGCHLD, &sa, NULL), 0);
    int forked = 0, reaped = 0;
    for (int i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) _exit(0);
        forked += p > 0;
    }
    while (wait(NULL) > 0) reaped++;
    CHECK_EQ(forked, 20);
    CHECK_EQ(reaped, 20);
    CHECK(signalled >= 1);
    printf("forked and reaped %d children\n", reaped);
    return check_done();
}
