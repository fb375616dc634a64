/*
 * test_fork_threads.c — a program thread forks while another is inside
 * kjit, defining functions and compiling them at their first calls (lazy
 * mode, so that each first call compiles on that thread, holding the
 * JIT's locks).  Each of 40 children calls a function nobody has called
 * yet: a compile of its own, which needs those locks.  Before kjit waited
 * at a fork for the threads inside it (kj_jit.c, "fork"), a child could
 * inherit a lock held by a thread it does not have, and wait for ever (a
 * review's program hung at its first fork).  A child reports through its
 * exit status; a hang is its alarm's exit 3.  Once with compiles ahead
 * (the ahead thread too), once without.  Not under qemu-user, whose forked
 * child cannot start threads (test_fork.c).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_test.h"

static void on_alarm(int s) {
    (void)s;
    _exit(3);
}

enum { FORKS = 40, BUSY = 64 };

static kjit *jit;
static atomic_int stop, busy_calls;
static t_fn later[FORKS], busy[BUSY];

static double call2(const char *name, double a, double b) {
    void *p = kjit_address(jit, name);
    return p ? ((double (*)(double, double))p)(a, b) : -1;
}

static void define(const char *name, t_fn *d, double k) {
    *d = (t_fn){.types = "dd", .k = k};
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d(dd)";
    def.gen = t_generate;
    def.user = d;
    CHECK(kjit_define_ex(jit, name, &def) == KJIT_OK);
}

/* Defines (again) and first-calls one function after another until told
 * to stop. */
static void *definer(void *arg) {
    (void)arg;
    char name[32];
    for (int n = 0; !atomic_load(&stop); n++) {
        int i = n % BUSY;
        snprintf(name, sizeof name, "b%d", i);
        define(name, &busy[i], n);
        CHECK(call2(name, 1, 2) == n + 1 + 4);
        atomic_fetch_add(&busy_calls, 1);
    }
    return NULL;
}

static int run(int ahead) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_LAZY;
    o.ahead = ahead;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    char name[32];
    for (int f = 0; f < FORKS; f++) {
        snprintf(name, sizeof name, "c%d", f);
        define(name, &later[f], 100 + f);
    }
    atomic_store(&stop, 0);
    atomic_store(&busy_calls, 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, definer, NULL) == 0);
    while (atomic_load(&busy_calls) < 5) sched_yield(); /* (compiling by now) */
    int hung = 0, wrong = 0;
    for (int f = 0; f < FORKS; f++) {
        nanosleep(&(struct timespec){0, 500000}, NULL);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGALRM, on_alarm);
            alarm(10);
            snprintf(name, sizeof name, "c%d", f);
            _exit(call2(name, 2, 3) == 100 + f + 2 + 6 ? 0 : 1);
        }
        CHECK(pid > 0);
        int ws = 0;
        CHECK(waitpid(pid, &ws, 0) == pid);
        hung += WIFEXITED(ws) && WEXITSTATUS(ws) == 3;
        wrong += !WIFEXITED(ws) || (WEXITSTATUS(ws) != 0 && WEXITSTATUS(ws) != 3);
    }
    atomic_store(&stop, 1);
    CHECK(pthread_join(t, NULL) == 0);
    printf("ahead=%d: %d forks, %d children hung, %d wrong; %d first calls beside them\n",
           ahead, FORKS, hung, wrong, atomic_load(&busy_calls));
    CHECK(hung == 0);
    CHECK(wrong == 0);
    /* The parent's own first calls still work after the forks. */
    for (int f = 0; f < FORKS; f++) {
        snprintf(name, sizeof name, "c%d", f);
        CHECK(call2(name, 1, 1) == 100 + f + 1 + 2);
    }
    kjit_destroy(jit);
    return 0;
}

int main(void) {
    if (getenv("KJIT_TEST_EMULATOR")) {
        printf("test_fork_threads: skipped under %s (its forked children cannot start "
               "threads)\n",
               getenv("KJIT_TEST_EMULATOR"));
        return 0;
    }
    run(1);
    run(0);
    return t_done("test_fork_threads");
}
