/* alloca_loop.c — alloca in a loop: unlike a VLA, each block lives until
 * the function returns, so all of them hold their contents at the end.  The
 * function is called from a loop in main, hot enough for T2. */
#include <alloca.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

__attribute__((noinline)) static uint32_t blocks(int count, int size) {
    unsigned char *p[64];
    for (int i = 0; i < count; i++) {
        p[i] = alloca((size_t)(size + i));
        memset(p[i], i + 1, (size_t)(size + i));
    }
    /* Every block intact (none freed or overlapping) after the loop. */
    uint32_t sum = 0;
    for (int i = 0; i < count; i++)
        for (int j = 0; j < size + i; j++) sum += p[i][j] == (unsigned char)(i + 1);
    return sum;
}

/* alloca in the entry block with a size known only at run time, next to a
 * fixed-size local: the one moved up by T1's entry code, the other not. */
__attribute__((noinline)) static int entry_alloca(int n) {
    int fixed[4] = {n, n + 1, n + 2, n + 3};
    int *dyn = alloca(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) dyn[i] = fixed[i % 4];
    return dyn[n - 1] + fixed[3];
}

int main(int argc, char **argv) {
    (void)argv;
    uint64_t total = 0, want = 0;
    for (int k = 0; k < 2000; k++) {
        int count = k % 64 + 1, size = 16 + k % 5 + argc;
        uint32_t got = blocks(count, size);
        uint32_t w = (uint32_t)(count * size + count * (count - 1) / 2);
        CHECK_EQ(got, w);
        total += got;
        want += w;
    }
    printf("blocks: %llu\n", (unsigned long long)total);
    CHECK(total == want);
    long e = 0;
    for (int n = 1; n <= 1500; n++) {
        int got = entry_alloca(n);
        CHECK_EQ(got, n + (n - 1) % 4 + n + 3);
        e += got;
    }
    printf("entry_alloca: %ld\n", e);
    return check_done();
}
