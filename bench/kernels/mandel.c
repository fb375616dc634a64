/* Twin of mandel.ks (same operations in the same order, including the
 * tutorial-style for loops that run their body before the end test). */
#include <stdio.h>
#include <stdlib.h>
static double escape(double cr, double ci) {
    double zr = 0, zi = 0, n = 0, t;
    for (double k = 0;; k++) {
        t = zr * zr - zi * zi + cr; zi = 2 * zr * zi + ci; zr = t; n = n + 1;
        if (!((n < 256) && (zr * zr + zi * zi < 4))) break;
    }
    return n;
}
static double grid(double p) {
    double total = p;
    for (double y = 0;; y++) {
        for (double x = 0;; x++) {
            total = total + escape(x / 300 - 2, y / 200 - 1);
            if (!(x < 599)) break;
        }
        if (!(y < 399)) break;
    }
    return total;
}
int main(int argc, char **argv) {
    double r = 0, k = argc > 1 ? atof(argv[1]) : 1;
    for (double i = 1;; i++) { r = grid(r * 0); if (!(i < k)) break; }
    printf("%f\n", r);
    return 0;
}
