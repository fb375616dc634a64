/* other_stacks.c — first calls made off the thread's own stack: from a
 * signal handler running on an alternate signal stack (sigaltstack, 64 KiB
 * and the least allowed), and in a coroutine of makecontext/swapcontext on a
 * 256 KiB stack of the program's (twice: before and after the coroutine was
 * suspended).  kjit took such a stack pointer, outside the thread's stack,
 * for a stack overflow; now it compiles on a stack of its own.  Results are
 * checked against loops in main. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "check.h"

__attribute__((noinline)) static long in_handler(long x) {
    long s = 0;
    for (long i = 0; i < x; i++) s += i * 3;
    return s;
}

__attribute__((noinline)) static long in_handler2(long x) { return in_handler(x) + 1; }

static volatile long got;
static void on_usr1(int sig) { got = sig == SIGUSR1 ? in_handler2(10) : -1; }

static ucontext_t main_ctx, co_ctx;
static long co_result;

__attribute__((noinline)) static long co_work(long x) {
    long s = 0;
    for (long i = 0; i < x; i++) s += i * i;
    return s;
}

__attribute__((noinline)) static long co_work2(long x) { return x * 3; }

static void coroutine(void) {
    co_result = co_work(100);
    swapcontext(&co_ctx, &main_ctx);
    co_result += co_work2(5);
}

int main(void) {
    size_t sizes[2] = {65536, MINSIGSTKSZ > 16384 ? MINSIGSTKSZ : 16384};
    for (int k = 0; k < 2; k++) {
        stack_t ss = {.ss_sp = malloc(sizes[k]), .ss_size = sizes[k], .ss_flags = 0};
        CHECK(ss.ss_sp != NULL && sigaltstack(&ss, NULL) == 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_ONSTACK;
        CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
        got = 0;
        raise(SIGUSR1);
        CHECK_EQ(got, 136);
        printf("handler on a %s alternate stack: %ld\n", k ? "small" : "64 KiB", got);
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
        free(ss.ss_sp);
    }

    size_t co_size = 256 * 1024;
    void *stack = malloc(co_size);
    CHECK(stack != NULL && getcontext(&co_ctx) == 0);
    co_ctx.uc_stack.ss_sp = stack;
    co_ctx.uc_stack.ss_size = co_size;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    CHECK_EQ(swapcontext(&main_ctx, &co_ctx), 0);
    CHECK_EQ(co_result, 328350);
    CHECK_EQ(swapcontext(&main_ctx, &co_ctx), 0);
    CHECK_EQ(co_result, 328365);
    printf("coroutine: %ld\n", co_result);
    free(stack);
    return check_done();
}
