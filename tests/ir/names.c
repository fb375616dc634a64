/* names.c — static names whose module-unique form is taken.  kjit names a
 * static symbol NAME.mK (K: its module); here external symbols already
 * have those names (asm labels), so LLVM picks other unique ones.  Each
 * function is copied out of a copy of the module (a workspace's, or the
 * source's): the names must agree wherever it was copied from, or a call
 * goes nowhere.  A static local with the same base name, and a static
 * named as another one will be. */
#include <stdio.h>

#include "check.h"

int taken_fn __asm__("helper.m0") = 7;
long taken_var __asm__("counter.m0") = 11;
int taken_again __asm__("helper.m01") = 13;

static int counter = 3;
/* A static whose own name is another static's NAME.m0: which of the two
 * gets "twin.m0" depends on the order they are renamed in. */
static int twin_var __asm__("twin.m0") = 5;

__attribute__((noinline)) static int helper(int x) {
    counter += x;
    return counter * 2;
}

__attribute__((noinline)) static int other(int x) {
    static int counter = 100; /* counter.1 in the IR, promoted too */
    counter += x;
    return counter + helper(0);
}

__attribute__((noinline)) static int twin(int x) { return x + twin_var++; }

int (*volatile fp)(int) = helper;

int main(void) {
    long r = 0;
    for (int i = 0; i < 2000; i++) r += helper(i & 3) + fp(1) + other(1) + twin(i);
    printf("%ld %d %ld %d %d %d\n", r, taken_fn, taken_var, taken_again, counter, twin_var);
    CHECK_EQ(twin_var, 2005);
    CHECK_EQ(taken_fn, 7);
    CHECK_EQ(taken_var, 11);
    CHECK_EQ(taken_again, 13);
    CHECK_EQ(counter, 3 + 2000 * 1 + (2000 / 4) * (0 + 1 + 2 + 3));
    CHECK(fp == helper);
    return check_done();
}
