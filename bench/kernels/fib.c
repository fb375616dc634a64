/* Twin of fib.ks. */
#include <stdio.h>
#include <stdlib.h>
static double fib(double n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) {
    double r = 0, k = argc > 1 ? atof(argv[1]) : 1;
    for (double i = 1;; i++) { r = fib(32 + r * 0); if (!(i < k)) break; }
    printf("%f\n", r);
    return 0;
}
