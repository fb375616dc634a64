/* fork_threads — a program forks while another of its threads is making
 * first calls (each compiled on that thread, which holds kjit's locks
 * meanwhile).  Each child calls functions nobody has called yet, so it
 * compiles them itself: before a fork waited for the threads inside kjit,
 * the child could inherit a lock held by a thread it does not have, and
 * wait for ever.  A child that hangs is stopped by its alarm (exit 3);
 * each child's sum is compared with the parent's, computed after. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define G(n)                                                                                 \
    __attribute__((noinline)) long g##n(long x) {                                            \
        long s = x;                                                                          \
        for (long i = 0; i < 300 + n; i++) s = (s ^ (s >> 7)) * 31 + i * n;                  \
        return s;                                                                            \
    }
#define G10(t) G(t##0) G(t##1) G(t##2) G(t##3) G(t##4) G(t##5) G(t##6) G(t##7) G(t##8) G(t##9)
G10() G10(1) G10(2) G10(3) G10(4) G10(5) G10(6) G10(7)

typedef long (*gfn)(long);
#define P(n) g##n,
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
/* The thread's: g0 .. g59; the children's: g60 .. g79. */
static gfn const gs[] = {P10() P10(1) P10(2) P10(3) P10(4) P10(5) P10(6) P10(7)};

static atomic_int stop, made;

static void *first_calls(void *arg) {
    (void)arg;
    long s = 0;
    for (int i = 0; i < 60 && !atomic_load(&stop); i++) {
        s ^= gs[i](i);
        atomic_fetch_add(&made, 1);
        usleep(300);
    }
    return (void *)s;
}

static void on_alarm(int s) {
    (void)s;
    _exit(3);
}

int main(void) {
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, first_calls, NULL), 0);
    while (atomic_load(&made) < 1) usleep(100);
    for (int k = 0; k < 20; k++) {
        int p[2];
        CHECK_EQ(pipe(p), 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGALRM, on_alarm);
            alarm(10);
            close(p[0]);
            long r = gs[60 + k](k);
            ssize_t n = write(p[1], &r, sizeof r);
            _exit(n == (ssize_t)sizeof r ? 7 : 1);
        }
        close(p[1]);
        long r = -1;
        ssize_t n = read(p[0], &r, sizeof r);
        close(p[0]);
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECK(WIFEXITED(st));
        CHECK_EQ(WEXITSTATUS(st), 7); /* (3: it hung) */
        CHECK_EQ(n, (long)sizeof r);
        CHECK_EQ(r, gs[60 + k](k));
        printf("child %d: %ld\n", k, r);
    }
    atomic_store(&stop, 1);
    void *s;
    CHECK_EQ(pthread_join(t, &s), 0);
    return check_done();
}
