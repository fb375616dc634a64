/* Twin of calls.ks. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
static double pct(double a, double b) { return a - b * floor(a / b); }
static double lerp(double a, double b, double t) { return a + (b - a) * t; }
static double mix(double x, double i) { return lerp(x, pct(i, 7), 0.25); }
static double run(double p) {
    double x = p;
    for (double i = 1;; i++) { x = mix(x, i); if (!(i < 10000000)) break; }
    return x;
}
int main(int argc, char **argv) {
    double r = 0, k = argc > 1 ? atof(argv[1]) : 1;
    for (double i = 1;; i++) { r = run(r * 0); if (!(i < k)) break; }
    printf("%f\n", r);
    return 0;
}
