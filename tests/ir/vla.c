/* vla.c — variable-length arrays in functions called in a loop from main:
 * issue K1's crash.  T1's counters moved the VLA's `alloca double, i64 %n`
 * above the code computing %n; the code generator crashed or the array got
 * a garbage size.  Each result is checked against a VLA-free reference. */
#include <stdio.h>

#include "check.h"

/* A VLA filled and summed by two loops (the function has a loop, so T1
 * code is generated at the -O level by default). */
__attribute__((noinline)) static double vla_sum(int n) {
    double v[n];
    for (int i = 0; i < n; i++) v[i] = i * 0.5;
    double s = 0;
    for (int i = n - 1; i >= 0; i--) s += v[i];
    return s;
}

/* A VLA in a function without a loop (T1 code at -O0), its size a sum of
 * the arguments; sizeof of a VLA is computed at run time. */
__attribute__((noinline)) static long vla_ends(int a, int b) {
    long v[a + b];
    v[0] = a;
    v[a + b - 1] = b;
    return v[0] * 1000 + v[a + b - 1] + (long)(sizeof v / sizeof v[0]) * 1000000;
}

/* A 2-D VLA, rows by cols, and a VLA parameter. */
static long trace(int n, long m[n][n]) {
    long t = 0;
    for (int i = 0; i < n; i++) t += m[i][i];
    return t;
}

__attribute__((noinline)) static long matrix(int rows, int cols) {
    long m[rows][cols];
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) m[i][j] = i * 100 + j;
    long s = 0;
    for (int j = 0; j < cols; j++) s += m[rows - 1][j];
    if (rows == cols) s += trace(rows, m);
    return s;
}

/* Inlined into main (at -O0 too): main's loop then holds the stacksave,
 * the alloca and the stackrestore. */
__attribute__((always_inline)) static inline int vla_inlined(int n) {
    int v[n];
    for (int i = 0; i < n; i++) v[i] = i;
    return v[n / 2];
}

int main(int argc, char **argv) {
    (void)argv;
    double total = 0, want = 0;
    for (int k = 0; k < 3000; k++) { /* hot: T2 during the run */
        int n = k % 50 + argc;
        total += vla_sum(n);
        want += 0.25 * n * (n - 1);
    }
    printf("vla_sum: %.1f\n", total);
    CHECK(total == want);

    long ends = 0;
    for (int a = 1; a <= 40; a++) {
        long e = vla_ends(a, argc + 1);
        CHECK_EQ(e, (a + argc + 1) * 1000000L + a * 1000L + argc + 1);
        ends += e;
    }
    printf("vla_ends: %ld\n", ends);

    long ms = 0;
    for (int r = 1; r <= 12; r++)
        for (int c = 1; c <= 12; c++) {
            long want_m = 0;
            for (int j = 0; j < c; j++) want_m += (r - 1) * 100 + j;
            if (r == c)
                for (int i = 0; i < r; i++) want_m += i * 101;
            long got = matrix(r, c);
            CHECK_EQ(got, want_m);
            ms += got;
        }
    printf("matrix: %ld\n", ms);

    long mid = 0;
    for (int n = 1; n < 2000; n++) {
        int m = vla_inlined(n + argc - 1);
        CHECK_EQ(m, (n + argc - 1) / 2);
        mid += m;
    }
    printf("vla_inlined: %ld\n", mid);
    return check_done();
}
