/* recursion.c — 100000 nested calls of a JIT'd function (and a pair of
 * mutually recursive ones), none of which an optimiser can turn into a
 * loop. */
#include <stdio.h>

#include "check.h"

__attribute__((noinline)) static unsigned long deep(unsigned long n) {
    volatile unsigned long local = n;
    if (n == 0) return 1;
    unsigned long r = deep(n - 1);
    return r * 31 + local % 7;
}

__attribute__((noinline)) static long odd_depth(long n);
__attribute__((noinline)) static long even_depth(long n) {
    volatile long keep = n;
    return n == 0 ? 0 : odd_depth(n - 1) + keep % 3;
}
__attribute__((noinline)) static long odd_depth(long n) {
    volatile long keep = n;
    return n == 0 ? 100 : even_depth(n - 1) + keep % 5;
}

int main(void) {
    unsigned long want = 1;
    for (unsigned long i = 1; i <= 100000; i++) want = want * 31 + i % 7;
    unsigned long got = deep(100000);
    CHECK(got == want);
    printf("deep(100000) = %lu\n", got);
    long e = even_depth(100000), ewant = 0;
    for (long k = 1; k <= 100000; k++) ewant += k % 2 ? k % 5 : k % 3;
    printf("even_depth(100000) = %ld\n", e);
    CHECK_EQ(e, ewant);
    return check_done();
}
