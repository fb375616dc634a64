/* hot.c — a function called a million times and one with a long loop, so
 * that tiered mode compiles them at T2 (and enters the loop's OSR entry) in
 * the middle of the run; the checksums must not change when the code does. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"

__attribute__((noinline)) static uint32_t mix(uint32_t h, uint32_t v) {
    for (int r = 0; r < 8; r++) {
        h ^= v + r;
        h *= 0x01000193u;
        h ^= h >> 13;
    }
    return h + (v & 7);
}

/* One call, many iterations: a loop moved to compiled code while it runs. */
__attribute__((noinline)) static uint64_t long_loop(uint64_t n) {
    uint64_t a = 1, b = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t = a * 6364136223846793005ull + b + i;
        b = a;
        a = t ^ (t >> 29);
    }
    return a ^ b;
}

static uint32_t reference_mix(uint32_t h, uint32_t v) {
    for (int r = 0; r < 8; r++) {
        h ^= v + r;
        h *= 0x01000193u;
        h ^= h >> 13;
    }
    return h + (v & 7);
}

int main(void) {
    uint32_t h = 2166136261u, r = 2166136261u;
    for (uint32_t i = 0; i < 1000000; i++) {
        h = mix(h, i);
        if (i % 200000 == 0) printf("after %u calls: %08x\n", i + 1, h);
    }
    for (uint32_t i = 0; i < 1000000; i++) r = reference_mix(r, i);
    CHECK_EQ(h, r);
    printf("checksum: %08x\n", h);
    uint64_t l = long_loop(20000000);
    printf("long loop: %016llx\n", (unsigned long long)l);
    return check_done();
}
