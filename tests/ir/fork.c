/* fork — a program that forks while kjit compiles, whose children and
 * parent then call functions never called before.  A child has only the
 * forking thread: a first call there used to wait for ever for the compiler
 * thread's compile of it, and parent and child appended their new code to
 * the same shared memory, each overwriting the other's (wrong results in
 * both, crashes).  Each child sends its sums through a pipe; the parent
 * computes them again after the child has exited and compares. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define F(n)                                                                                 \
    __attribute__((noinline)) long f##n(long x) {                                            \
        long s = x;                                                                          \
        for (long i = 0; i < 2000 + n; i++) s = s * 6364136223846793005L + i + n;            \
        return s;                                                                            \
    }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9)
F(10) F(11) F(12) F(13) F(14) F(15) F(16) F(17) F(18) F(19)
F(20) F(21) F(22) F(23) F(24) F(25) F(26) F(27) F(28) F(29)

/* Direct calls, so that the ahead thread has them in hand at the fork. */
__attribute__((noinline)) long first_half(long x) {
    return f0(x) ^ f1(x) ^ f2(x) ^ f3(x) ^ f4(x) ^ f5(x) ^ f6(x) ^ f7(x) ^ f8(x) ^ f9(x) ^
           f10(x) ^ f11(x) ^ f12(x) ^ f13(x) ^ f14(x);
}

__attribute__((noinline)) long second_half(long x) {
    return f15(x) ^ f16(x) ^ f17(x) ^ f18(x) ^ f19(x) ^ f20(x) ^ f21(x) ^ f22(x) ^ f23(x) ^
           f24(x) ^ f25(x) ^ f26(x) ^ f27(x) ^ f28(x) ^ f29(x);
}

/* A child computing one half (and getting it hot), its result in a pipe. */
static pid_t child(int half, long x, int *fd) {
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        long r = 0;
        for (int i = 0; i < 50; i++) r ^= half ? second_half(x + i) : first_half(x + i);
        ssize_t n = write(p[1], &r, sizeof r);
        _exit(n == (ssize_t)sizeof r ? 7 : 1);
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

static long wait_result(pid_t pid, int fd) {
    long r = -1;
    ssize_t n = read(fd, &r, sizeof r);
    close(fd);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 7);
    CHECK_EQ(n, (long)sizeof r);
    return r;
}

int main(void) {
    /* Forks at once: both halves not compiled yet (the ahead thread is
     * at them), then each side computes the half the other does not. */
    int fd1, fd2;
    pid_t c1 = child(0, 1, &fd1);
    pid_t c2 = child(1, 2, &fd2);
    CHECK(c1 > 0 && c2 > 0);
    long mine = 0;
    for (int i = 0; i < 50; i++) mine ^= second_half(3 + i);
    long r1 = wait_result(c1, fd1), r2 = wait_result(c2, fd2);
    /* The parent again, now that everything is compiled here too. */
    long e1 = 0, e2 = 0;
    for (int i = 0; i < 50; i++) e1 ^= first_half(1 + i), e2 ^= second_half(2 + i);
    CHECK_EQ(r1, e1);
    CHECK_EQ(r2, e2);
    /* Forks again, in a loop, now that code exists: children of a parent
     * that keeps compiling (T2) meanwhile. */
    for (int k = 0; k < 4; k++) {
        int fd;
        pid_t c = child(k & 1, 10 + k, &fd);
        CHECK(c > 0);
        long r = wait_result(c, fd), e = 0;
        for (int i = 0; i < 50; i++) e ^= (k & 1) ? second_half(10 + k + i) : first_half(10 + k + i);
        CHECK_EQ(r, e);
        printf("child %d: %ld\n", k, r);
    }
    printf("first: %ld\nsecond: %ld\nparent: %ld\n", r1, r2, mine);
    return check_done();
}
