/*
 * kc_runtime.c — the host functions of Kaleidoscope programs.
 */
#include "kc_runtime.h"

#include <math.h>
#include <stdio.h>

/* Write the byte c (as toy's (char)c) to stdout; returns 0.  Values that
 * have no integer conversion (NaN, huge) write nothing rather than invoking
 * undefined behaviour. */
static double putchard(double c) {
    if (isfinite(c) && fabs(c) < 9.2e18) putchar((unsigned char)(long long)c);
    return 0;
}

static double printd(double x) {
    printf("%f\n", x);
    return 0;
}

static double printlf(void) {
    putchar('\n');
    return 0;
}

const char *const kc_runtime_names[] = {"putchard", "printd", "printlf", NULL};

kjit_status kc_runtime_register(kjit *jit) {
    kjit_status st;
    if ((st = kjit_define_host(jit, "putchard", "d(d)", (void *)putchard)) != KJIT_OK) return st;
    if ((st = kjit_define_host(jit, "printd", "d(d)", (void *)printd)) != KJIT_OK) return st;
    return kjit_define_host(jit, "printlf", "d()", (void *)printlf);
}
