/* fenv_first_call.c — the floating-point environment across kjit's work on
 * the program's thread.  A function's first call compiles it there (or
 * loads it from the code cache), and LLVM computes with doubles (its
 * register allocator's weights) and clears the flags (its constant
 * folder): the program's exception flags must be as it left them, and
 * its rounding mode in force in the callee.  16 functions are first
 * called with the flags clear (none may be raised: their arithmetic is
 * exact), one with FE_INEXACT raised (it must stay), and one under
 * FE_UPWARD (1/3 rounds up: above the same division to nearest). */
#include <fenv.h>
#include <stdio.h>

#include "check.h"

#define F(k)                                                                                   \
    __attribute__((noinline)) static double g##k(double x) {                                   \
        double s = 0;                                                                          \
        for (int i = 0; i < 10; i++) s += x * i + k;                                           \
        return s;                                                                              \
    }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)

typedef double (*fn)(double);
static fn const gs[16] = {g0, g1, g2,  g3,  g4,  g5,  g6,  g7,
                          g8, g9, g10, g11, g12, g13, g14, g15};

__attribute__((noinline)) static double exact_sum(double a, double b) { return a + b; }
__attribute__((noinline)) static double third(double x) { return x / 3.0; }
__attribute__((noinline)) static int rounding(void) { return fegetround(); }

int main(void) {
    int raised = 0;
    for (int k = 0; k < 16; k++) {
        feclearexcept(FE_ALL_EXCEPT);
        volatile double r = gs[k](1.0);
        CHECK(r == 45.0 + 10 * k);
        if (fetestexcept(FE_ALL_EXCEPT)) raised++;
    }
    CHECK_EQ(raised, 0);

    volatile double one = 1.0;
    feclearexcept(FE_ALL_EXCEPT);
    volatile double t = one / 3.0; /* inexact */
    (void)t;
    volatile double s = exact_sum(1.0, 2.0);
    CHECK(s == 3.0);
    CHECK(fetestexcept(FE_INEXACT) != 0);

    fesetround(FE_UPWARD);
    volatile double up = third(one);
    int mode = rounding();
    fesetround(FE_TONEAREST);
    volatile double near = one / 3.0;
    CHECK(up > near);
    CHECK(mode == FE_UPWARD);
    printf("flags raised by first calls: %d; inexact kept; 1/3 upward above nearest: %d\n",
           raised, up > near);
    return check_done();
}
