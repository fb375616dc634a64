/* Twin of loop.ks. */
#include <stdio.h>
#include <stdlib.h>
static double run(double p) {
    double s = p, x = 1;
    for (double i = 0;; i++) {
        x = x * 0.999999 + 0.5; s = s + x / (i + 1);
        if (!(i < 20000000)) break;
    }
    return s;
}
int main(int argc, char **argv) {
    double r = 0, k = argc > 1 ? atof(argv[1]) : 1;
    for (double i = 1;; i++) { r = run(r * 0); if (!(i < k)) break; }
    printf("%f\n", r);
    return 0;
}
