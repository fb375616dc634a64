// --t1=early (the default for IR) gives T1 code at the -O level, which
// counts nothing and never goes to T2, to main and the first functions with
// a loop only in a program of at most 40 functions; a larger program is
// compiled as --t1=fast, where such a function counts, gets hot and is
// queued for T2.  The same source with 20 and with 60 functions; the
// trace says which.  (--tier-sync: any T2 compile happens before the
// program goes on, so the absence from the trace is not timing.)
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected1
// RUN: clang-19 -O2 -DMANY %s -o %t/native2 && %t/native2 > %t/expected2
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/small.bc
// RUN: clang-19 -O2 -DMANY -c -emit-llvm %s -o %t/large.bc
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --tier-sync --hot=50 %t/small.bc > %t/out1 2> %t/trace1
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --tier-sync --hot=50 %t/large.bc > %t/out2 2> %t/trace2
// RUN: diff %t/expected1 %t/out1
// RUN: diff %t/expected2 %t/out2
// RUN: FileCheck --check-prefix=SMALL %s < %t/trace1
// RUN: FileCheck --check-prefix=LARGE %s < %t/trace2
// SMALL: compiled kernel [T1]
// SMALL-NOT: queued kernel
// LARGE: compiled kernel [T1]
// LARGE: queued kernel
// LARGE: compiled kernel [T2]
#include <stdio.h>

#define G(n) __attribute__((noinline)) int g##n(int x) { return x * (n + 3) + 1; }
#define G10(t) G(t##0) G(t##1) G(t##2) G(t##3) G(t##4) G(t##5) G(t##6) G(t##7) G(t##8) G(t##9)
#define P(n) g##n,
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
#ifdef MANY
G10(1) G10(2) G10(3) G10(4) G10(5) G10(6)
static int (*const gs[])(int) = {P10(1) P10(2) P10(3) P10(4) P10(5) P10(6)};
#else
G10(1) G10(2)
static int (*const gs[])(int) = {P10(1) P10(2)};
#endif

/* A loop whose trip count is not known at compile time. */
__attribute__((noinline)) long kernel(int n) {
    long s = 0;
    for (int i = 0; i < n; i++) s += (i * 7) % 13;
    return s;
}

int main(void) {
    long total = 0;
    for (unsigned i = 0; i < sizeof gs / sizeof *gs; i++) total += gs[i]((int)i);
    for (int r = 0; r < 2000; r++) total += kernel(8 + (r & 7));
    printf("%ld\n", total);
    return 0;
}
