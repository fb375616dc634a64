// T1 at the -O level's code generation of optimised IR (clang -O2
// bitcode; --t1=loops gives it to every function with a loop) is what T2
// would make of it: it gets no counters, so it never becomes hot and is
// never compiled again.  --tier-sync would make any T2 compile happen
// before the program goes on, so its absence from the trace is not timing.
// With --t1=fast the same function is compiled for T2 (the control).
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --t1=loops --tier-sync --hot=50 %t/p.bc > %t/out1 2> %t/trace1
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --t1=fast --tier-sync --hot=50 %t/p.bc > %t/out2 2> %t/trace2
// RUN: diff %t/expected %t/out1
// RUN: diff %t/expected %t/out2
// RUN: FileCheck --check-prefix=FULL %s < %t/trace1
// RUN: FileCheck --check-prefix=FAST %s < %t/trace2
// FULL: compiled window [T1]
// FULL-NOT: queued window
// FULL-NOT: compiled window [T2]
// FAST: compiled window [T1]
// FAST: queued window
// FAST: compiled window [T2]
#include <stdio.h>

double weights[16] = {0.5, 1.5, 2.5, 0.25, 3.0, 1.0, 0.75, 2.0,
                       1.25, 0.5, 2.25, 1.75, 0.125, 3.5, 1.0, 0.5};

/* A dot product of a window of n: a loop (n is not known at compile time),
 * so --t1=loops compiles it at the -O level. */
__attribute__((noinline)) double window(int at, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += weights[i] * (double)((at + i) % 17);
    return s;
}

int main(void) {
    double total = 0;
    for (int at = 0; at < 100000; at++) total += window(at, 8 + (at & 7));
    printf("%.1f\n", total);
    return 0;
}
