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
// FULL: compiled hot [T1]
// FULL-NOT: queued hot
// FULL-NOT: compiled hot [T2]
// FAST: compiled hot [T1]
// FAST: queued hot
// FAST: compiled hot [T2]
#include <stdio.h>

unsigned seed[4] = {2, 7, 1, 8};

__attribute__((noinline)) unsigned hot(unsigned x) {
    unsigned h = x + seed[x & 3];
    for (int i = 0; i < 100; i++) h = h * 2654435761u + (h >> 13);
    return h;
}

int main(void) {
    unsigned s = 0;
    for (unsigned i = 0; i < 100000; i++) s += hot(i);
    printf("%u\n", s);
    return 0;
}
