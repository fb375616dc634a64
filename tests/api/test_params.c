/*
 * test_params.c — arguments pass through the re-entry trampoline intact:
 * functions of 0, 1, 6, 8, 9 and 20 parameters, integer and floating point,
 * in registers (rdi..r9, xmm0-7) and on the stack.  Each function is called
 * first through its stub (trampoline → compile → jump to body) and then
 * again (straight to the body); both must see the same arguments.
 */
#include "api_test.h"

typedef double (*f0)(void);
typedef double (*f1)(double);
typedef double (*f6)(int64_t, double, int64_t, double, int64_t, double);
typedef double (*f8)(double, double, double, double, double, double, double, double);
typedef double (*f9)(double, double, double, double, double, double, double, double, double);
typedef double (*f20i)(int64_t, double, int64_t, double, int64_t, double, int64_t, double, int64_t,
                       double, int64_t, double, int64_t, double, int64_t, double, int64_t, double,
                       int64_t, double);

/* k + sum (i+1) * a_i, as the generated functions compute it. */
static double expect(double k, const double *a, int n) {
    double acc = k;
    for (int i = 0; i < n; i++) acc += a[i] * (i + 1);
    return acc;
}

int main(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    static t_fn d0 = {.types = "", .k = 42};
    static t_fn d1 = {.types = "d", .k = 1};
    static t_fn d6 = {.types = "ididid", .k = 2};
    static t_fn d8 = {.types = "dddddddd", .k = 3};
    static t_fn d9 = {.types = "ddddddddd", .k = 4};
    static t_fn d20 = {.types = "idididididididididid", .k = 5};
    t_fn *all[] = {&d0, &d1, &d6, &d8, &d9, &d20};
    const char *names[] = {"p0", "p1", "p6", "p8", "p9", "p20"};
    char sig[80];
    for (int i = 0; i < 6; i++)
        CHECK(kjit_define(jit, names[i], t_sig(all[i], sig, sizeof sig), t_generate, all[i],
                          NULL) == KJIT_OK);

    double a[20];
    for (int i = 0; i < 20; i++) a[i] = (i % 2 == 0) ? (double)(i * 7 - 30) : 0.25 * i + 1000;
    for (int round = 0; round < 2; round++) {
        f0 p0 = (f0)kjit_address(jit, "p0");
        f1 p1 = (f1)kjit_address(jit, "p1");
        f6 p6 = (f6)kjit_address(jit, "p6");
        f8 p8 = (f8)kjit_address(jit, "p8");
        f9 p9 = (f9)kjit_address(jit, "p9");
        f20i p20 = (f20i)kjit_address(jit, "p20");
        CHECK(p0() == 42);
        CHECK(p1(a[1]) == expect(1, a + 1, 1));
        double b6[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
        CHECK(p6((int64_t)a[0], a[1], (int64_t)a[2], a[3], (int64_t)a[4], a[5]) == expect(2, b6, 6));
        CHECK(p8(a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15]) ==
              expect(3, (double[]){a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15]}, 8));
        CHECK(p9(a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15], a[17]) ==
              expect(4, (double[]){a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15], a[17]}, 9));
        CHECK(p20((int64_t)a[0], a[1], (int64_t)a[2], a[3], (int64_t)a[4], a[5], (int64_t)a[6],
                  a[7], (int64_t)a[8], a[9], (int64_t)a[10], a[11], (int64_t)a[12], a[13],
                  (int64_t)a[14], a[15], (int64_t)a[16], a[17], (int64_t)a[18],
                  a[19]) == expect(5, a, 20));
    }
    for (int i = 0; i < 6; i++) CHECK(atomic_load(&all[i]->calls) == 1);
    kjit_destroy(jit);
    return t_done("test_params");
}
