/* asm.c — inline assembly in JIT'd functions: register operands, tied
 * operands, fixed-register constraints, memory operands and clobbers, a
 * loop with local labels.  x86-64 and AArch64 variants; plain C elsewhere.
 * (File-scope assembly is asm_file_scope.c.) */
#include <stdint.h>
#include <stdio.h>

#include "check.h"

#if defined(__x86_64__)
#define ARCH "x86-64"
__attribute__((noinline)) static long asm_add(long a, long b) {
    __asm__("addq %1, %0" : "+r"(a) : "r"(b));
    return a;
}
__attribute__((noinline)) static uint32_t asm_bswap(uint32_t x) {
    __asm__("bswapl %0" : "+r"(x));
    return x;
}
/* Fixed registers: mul leaves the 128-bit product in rdx:rax. */
__attribute__((noinline)) static uint64_t asm_mulhi(uint64_t a, uint64_t b) {
    uint64_t lo, hi;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
    (void)lo;
    return hi;
}
/* A memory operand, and a loop in assembly with its own labels. */
__attribute__((noinline)) static long asm_sum(const long *v, long n) {
    long s = 0;
    __asm__("test %2, %2\n\t"
            "jz 2f\n"
            "1:\n\t"
            "addq (%1), %0\n\t"
            "addq $8, %1\n\t"
            "decq %2\n\t"
            "jnz 1b\n"
            "2:"
            : "+r"(s), "+r"(v), "+r"(n)
            :
            : "cc", "memory");
    return s;
}
__attribute__((noinline)) static void asm_store(int *p, int v) {
    __asm__ volatile("movl %1, %0" : "=m"(*p) : "r"(v) : "memory");
}

#elif defined(__aarch64__)
#define ARCH "aarch64"
__attribute__((noinline)) static long asm_add(long a, long b) {
    __asm__("add %0, %0, %1" : "+r"(a) : "r"(b));
    return a;
}
__attribute__((noinline)) static uint32_t asm_bswap(uint32_t x) {
    __asm__("rev %w0, %w0" : "+r"(x));
    return x;
}
__attribute__((noinline)) static uint64_t asm_mulhi(uint64_t a, uint64_t b) {
    uint64_t hi;
    __asm__("umulh %0, %1, %2" : "=r"(hi) : "r"(a), "r"(b));
    return hi;
}
__attribute__((noinline)) static long asm_sum(const long *v, long n) {
    long s = 0, t;
    __asm__("cbz %2, 2f\n"
            "1:\n\t"
            "ldr %3, [%1], #8\n\t"
            "add %0, %0, %3\n\t"
            "subs %2, %2, #1\n\t"
            "b.ne 1b\n"
            "2:"
            : "+r"(s), "+r"(v), "+r"(n), "=&r"(t)
            :
            : "cc", "memory");
    return s;
}
__attribute__((noinline)) static void asm_store(int *p, int v) {
    __asm__ volatile("str %w1, %0" : "=m"(*p) : "r"(v) : "memory");
}

#else
#define ARCH "plain C"
static long asm_add(long a, long b) { return a + b; }
static uint32_t asm_bswap(uint32_t x) {
    return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
}
static uint64_t asm_mulhi(uint64_t a, uint64_t b) {
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}
static long asm_sum(const long *v, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += v[i];
    return s;
}
static void asm_store(int *p, int v) { *p = v; }
#endif

int main(void) {
    /* The architecture is not printed: the output is the same everywhere. */
    (void)ARCH;
    long a = asm_add(40, 2);
    uint32_t b = asm_bswap(0x11223344u);
    uint64_t h = asm_mulhi(0xffffffffffffffffull, 0x10ull);
    long v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    long s = asm_sum(v, 10), s0 = asm_sum(v, 0);
    int cell = 0;
    asm_store(&cell, 1234);
    CHECK_EQ(a, 42);
    CHECK_EQ(b, 0x44332211u);
    CHECK_EQ(h, 0xf);
    CHECK_EQ(s, 55);
    CHECK_EQ(s0, 0);
    CHECK_EQ(cell, 1234);
    /* A barrier the optimiser must respect. */
    int x = 1;
    __asm__ volatile("" : : "r"(&x) : "memory");
    CHECK_EQ(x, 1);
    printf("asm: add %ld, bswap %08x, mulhi %llu, sum %ld %ld, store %d\n", a, b,
           (unsigned long long)h, s, s0, cell);
    return check_done();
}
