/* bench/osr/kernel.c — a program whose work is one loop in main, entered
 * once, and a kernel called once whose outer loop turns many times; with
 * 48 small functions besides (a program of more than 40 functions gets
 * FastISel T1 code for every function, main's too: docs/DESIGN.md, "T1 for
 * optimised IR"), so without OSR both run at -O0 for the whole run. */
#include <stdio.h>
#include <stdlib.h>

#define F(n) __attribute__((noinline)) int f##n(int x) { return x * (n + 1) + (x >> (n % 5)); }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6)
#define C(n) f##n
#define C8(a) C(a##0), C(a##1), C(a##2), C(a##3), C(a##4), C(a##5), C(a##6), C(a##7)
static int (*const table[])(int) = {C8(1), C8(2), C8(3), C8(4), C8(5), C8(6)};

static double grid[512];
static double a[1000];

/* Called once: its outer loop turns 60000 times. */
__attribute__((noinline)) double relax(int turns) {
    double s = 0;
    for (int t = 0; t < turns; t++) {
        for (int i = 1; i < 511; i++) grid[i] = 0.25 * (grid[i - 1] + 2 * grid[i] + grid[i + 1]);
        grid[t & 511] += 1.0;
        s += grid[256];
    }
    return s;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    int seed = 0;
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) seed += table[i]((int)i);
    double r = relax(60000 * n);
    /* main's own loop, entered once. */
    for (int i = 0; i < 1000; i++) a[i] = i * 0.5;
    double s = 0;
    for (long it = 0; it < 2000000L * n; it++) {
        for (int i = 0; i < 1000; i += 7) s += a[i] * (double)(it & 3);
        a[it % 1000] += 1.0;
    }
    printf("%d %.6f %.1f\n", seed, r, s);
    return 0;
}
