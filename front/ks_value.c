/*
 * ks_value.c — the printed form of a Kaleidoscope value.
 *
 * Rule: among the texts "%.Ng" for N = 1..17 that strtod reads back as the
 * very same double, the shortest; on a tie in length the one without an
 * exponent; then the smallest N.  So 100 is "100" (not "1e+02"), 10000 is
 * "10000", 100000 is "1e+05", 1e21 is "1e+21", 0.1 is "0.1", 1.0/3 is
 * "0.3333333333333333".  Every NaN is "nan"; infinities are "inf"/"-inf";
 * negative zero is "-0".  (%.17g always reads back, so there is a winner.)
 */
#include "ks_value.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ks_value_format(double v, char *buf) {
    if (isnan(v)) {
        strcpy(buf, "nan");
        return buf;
    }
    if (isinf(v)) {
        strcpy(buf, v < 0 ? "-inf" : "inf");
        return buf;
    }
    char best[KS_VALUE_BUFSIZE] = "";
    size_t best_len = 0;
    int best_exp = 0;
    for (int n = 1; n <= 17; n++) {
        char cand[KS_VALUE_BUFSIZE];
        snprintf(cand, sizeof cand, "%.*g", n, v);
        double back = strtod(cand, NULL);
        if (memcmp(&back, &v, sizeof v) != 0)
            continue;
        size_t len = strlen(cand);
        int has_exp = strchr(cand, 'e') != NULL;
        if (!best[0] || len < best_len || (len == best_len && best_exp && !has_exp)) {
            memcpy(best, cand, len + 1);
            best_len = len;
            best_exp = has_exp;
        }
    }
    memcpy(buf, best, best_len + 1);
    return buf;
}
