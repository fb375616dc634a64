/*
 * check.h — the checks of the tests/ir programs (C and C++).
 *
 *   CHECK(cond)      on failure, prints "CHECK FAILED file:line: cond" on
 *                    stderr and counts it; the program goes on
 *   CHECK_EQ(a, b)   the same for two integers, printing both values
 *   check_done()     main returns it: 0, or 1 after printing how many
 *                    checks failed
 *
 * Each program also prints deterministic output on stdout, which the runner
 * compares with the native build's.
 */
#ifndef KJIT_IR_CHECK_H
#define KJIT_IR_CHECK_H

#include <stdio.h>

static int check_failures;

static void check_fail(const char *what, const char *file, int line, long long a, long long b,
                       int show) {
    fflush(stdout);
    if (show)
        fprintf(stderr, "CHECK FAILED %s:%d: %s (%lld != %lld)\n", file, line, what, a, b);
    else
        fprintf(stderr, "CHECK FAILED %s:%d: %s\n", file, line, what);
    check_failures++;
}

#define CHECK(cond) ((cond) ? (void)0 : check_fail(#cond, __FILE__, __LINE__, 0, 0, 0))
#define CHECK_EQ(a, b)                                                                        \
    do {                                                                                      \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                       \
        if (check_a_ != check_b_)                                                             \
            check_fail(#a " == " #b, __FILE__, __LINE__, check_a_, check_b_, 1);              \
    } while (0)

static int check_done(void) {
    if (!check_failures) return 0;
    fflush(stdout);
    fprintf(stderr, "%d check(s) failed\n", check_failures);
    return 1;
}

#endif
