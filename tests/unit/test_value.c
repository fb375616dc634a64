/*
 * test_value.c — printing of values: fixed examples, and a round trip of
 * many pseudo-random doubles (bit patterns and decimal-ish values), each
 * checked to read back exactly and to be no longer than %.17g.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ks_value.h"

#include "unit_test.h"

static void expect(double v, const char *want) {
    char buf[KS_VALUE_BUFSIZE];
    ks_value_format(v, buf);
    CHECK(strcmp(buf, want) == 0, "%.17g: got \"%s\", want \"%s\"", v, buf, want);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static void round_trip(double v) {
    char buf[KS_VALUE_BUFSIZE], g17[40];
    ks_value_format(v, buf);
    if (isnan(v)) {
        CHECK(strcmp(buf, "nan") == 0, "nan printed as %s", buf);
        return;
    }
    double back = strtod(buf, NULL);
    CHECK(memcmp(&back, &v, sizeof v) == 0, "%.17g printed as %s reads back as %.17g", v, buf,
          back);
    snprintf(g17, sizeof g17, "%.17g", v);
    CHECK(strlen(buf) <= strlen(g17), "%s longer than %s", buf, g17);
}

int main(void) {
    expect(15, "15");
    expect(0.1, "0.1");
    expect(1e300, "1e+300");
    expect(1.0 / 3, "0.3333333333333333");
    expect(123456789012.0, "123456789012");
    expect(1e21, "1e+21");
    expect(100, "100");
    expect(1000, "1000");
    expect(10000, "10000");   /* tie in length: the form without exponent */
    expect(100000, "1e+05");  /* shorter with an exponent */
    expect(123456, "123456");
    expect(0, "0");
    expect(-0.0, "-0");
    expect(-1.5, "-1.5");
    expect(0.0001, "0.0001");
    expect(1e-5, "1e-05");
    expect(2.5e-7, "2.5e-07");
    expect(NAN, "nan");
    expect(-NAN, "nan");
    expect(INFINITY, "inf");
    expect(-INFINITY, "-inf");
    expect(0.1 + 0.2, "0.30000000000000004");
    expect(1.7976931348623157e308, "1.7976931348623157e+308");
    expect(5e-324, "5e-324");
    expect(3.14159, "3.14159");
    expect(55, "55");
    expect(6765, "6765");
    expect(-2, "-2");

    for (int i = 0; i < 40000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof v);
        round_trip(v);
        round_trip((double)(int64_t)(rng() % 2000001) / 1000.0 - 1000.0);
        round_trip((double)(rng() % 100000000));
    }

    printf("test_value: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
