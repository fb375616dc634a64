/* vla_loop.c — a VLA declared in a loop body: each iteration allocates it
 * (llvm.stacksave, a dynamic alloca) and frees it at the end of the body
 * (llvm.stackrestore), so 100000 iterations of 8 KB need no more stack
 * than one.  The body's back-edge carries T1's counters and OSR's code. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"

__attribute__((noinline)) static uint64_t rounds(int iters, int base) {
    uint64_t h = 1469598103934665603ull;
    for (int it = 0; it < iters; it++) {
        int n = base + it % 64;
        uint64_t v[n];
        for (int i = 0; i < n; i++) v[i] = (uint64_t)(it + i);
        for (int i = 0; i < n; i += 97) h = (h ^ v[i]) * 1099511628211ull;
        h += (uint64_t)sizeof v;
    }
    return h;
}

/* The same without a VLA: the reference. */
static uint64_t rounds_ref(int iters, int base) {
    uint64_t h = 1469598103934665603ull;
    for (int it = 0; it < iters; it++) {
        int n = base + it % 64;
        for (int i = 0; i < n; i += 97) h = (h ^ (uint64_t)(it + i)) * 1099511628211ull;
        h += (uint64_t)n * sizeof(uint64_t);
    }
    return h;
}

/* A VLA in a loop that also leaves early (a break out of the VLA's scope
 * frees it too) and one in a nested loop. */
__attribute__((noinline)) static long nested(int outer, int argc) {
    long s = 0;
    for (int i = 0; i < outer; i++) {
        char row[i % 200 + argc];
        row[0] = (char)i;
        for (int j = 0; j < 4; j++) {
            int inner[j + argc];
            inner[j + argc - 1] = j;
            s += inner[j + argc - 1] + row[0] % 3;
            if (i == outer - 1 && j == 2) break;
        }
        if (i > 5 * outer) break; /* never */
    }
    return s;
}

int main(int argc, char **argv) {
    (void)argv;
    uint64_t h = rounds(100000, 1000 + argc);
    printf("rounds: %llu\n", (unsigned long long)h);
    CHECK(h == rounds_ref(100000, 1000 + argc));
    long total = 0;
    for (int k = 0; k < 1500; k++) total += nested(40 + k % 7, argc);
    long want = 0;
    for (int k = 0; k < 1500; k++) {
        int outer = 40 + k % 7;
        for (int i = 0; i < outer; i++)
            for (int j = 0; j < 4; j++) {
                want += j + (signed char)i % 3;
                if (i == outer - 1 && j == 2) break;
            }
    }
    printf("nested: %ld\n", total);
    CHECK_EQ(total, want);
    return check_done();
}
