/*
 * test_fork.c — a process with a JIT forks while its T2 queue holds work
 * (200 T0 functions hot at once, one compiler thread): the child, which has
 * none of the parent's threads, drains the queue with threads of its own
 * (it waited for ever before: a review's case), every function reaches T2
 * there and in the parent, and every result is right on both sides.  The
 * child reports through its exit status; a hang is its alarm's exit 3.
 * Not under qemu-user (KJIT_TEST_EMULATOR: tests/aarch64/), whose forked
 * child asserts in qemu itself when it starts a thread (qemu's
 * cpu_exec: "cpu == current_cpu"), kjit's or not.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_test.h"

static void on_alarm(int s) {
    (void)s;
    _exit(3);
}

enum { N = 200 };

/* All at T2 and right: 1, else 0 (CHECK counts what failed). */
static int all_t2(kjit *jit) {
    char name[32];
    int ok = 1;
    for (int i = 0; i < N; i++) {
        kjit_fn_info info;
        snprintf(name, sizeof name, "w%d", i);
        ok &= kjit_fn_info_get(jit, name, &info) == KJIT_OK && info.state == KJIT_FN_T2;
        ok &= ((double (*)(double, double))kjit_address(jit, name))(3, 4) == i + 3 + 8;
    }
    return ok;
}

int main(void) {
    if (getenv("KJIT_TEST_EMULATOR")) {
        printf("test_fork: skipped under %s (its forked children cannot start threads)\n",
               getenv("KJIT_TEST_EMULATOR"));
        return 0;
    }
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.hot_threshold = 5;
    o.compile_threads = 1;
    kjit *jit;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    static t_fn defs[N];
    char name[32];
    t_define_weighted(jit, defs, N);
    for (int round = 0; round < 8; round++)
        for (int i = 0; i < N; i++) {
            snprintf(name, sizeof name, "w%d", i);
            CHECK(((double (*)(double, double))kjit_address(jit, name))(1, 2) == i + 1 + 4);
        }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGALRM, on_alarm);
        alarm(60);
        kjit_drain(jit);
        _exit(all_t2(jit) ? 0 : 1);
    }
    CHECK(pid > 0);
    kjit_drain(jit);
    CHECK(all_t2(jit));
    int ws = 0;
    CHECK(waitpid(pid, &ws, 0) == pid);
    CHECK(WIFEXITED(ws));
    printf("child: exit %d (3: it hung)\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    kjit_destroy(jit);
    return t_done("test_fork");
}
