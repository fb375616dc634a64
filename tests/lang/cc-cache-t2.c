// A warm run starts what got hot at T2 from the code cache without making
// its IR (kept under a pre-key, as first calls are): the T2 body of
// optimised IR (clang -O2 bitcode) depends on its source alone.  The
// module's variables too are linked from the cache without their IR (the
// cold run makes it: "ir data").  The first run (--tier-sync: its T2 compile
// ends before the program goes on) fills the cache; the second links `hot`
// at T2 at its first call, without its T1 body (kj_tier_first_t2), and no
// "ir" event names it; with KJIT_FIRST_T2=0, T1 is linked first, then T2.
// The output is the native build's every time.  (--t1=fast: T1 at the -O level, which
// --t1=early gives `hot`, would count nothing and never go to T2.)
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on KJIT_TRACE=1 %kjit --cache-dir=%t/c --t1=fast --tier-sync --hot=50 %t/p.bc > %t/out1 2> %t/trace1
// RUN: env KJIT_CACHE=on KJIT_TRACE=1 %kjit --cache-dir=%t/c --t1=fast --hot=50 %t/p.bc > %t/out2 2> %t/trace
// RUN: env KJIT_CACHE=on KJIT_TRACE=1 KJIT_FIRST_T2=0 %kjit --cache-dir=%t/c --t1=fast --hot=50 %t/p.bc > %t/out3 2> %t/trace3
// RUN: diff %t/expected %t/out1
// RUN: diff %t/expected %t/out2
// RUN: diff %t/expected %t/out3
// RUN: FileCheck %s < %t/trace
// RUN: FileCheck --check-prefix=BOTH %s < %t/trace3
// RUN: FileCheck --check-prefix=COLD %s < %t/trace1
// COLD: {{ ir +data$}}
// CHECK-NOT: {{ ir +data$}}
// CHECK-NOT: {{ ir +hot$|compiled +hot \[T1\]}}
// CHECK: compiled hot [T2]
// CHECK-NOT: {{ ir +hot$|compiled +hot \[T1\]}}
// BOTH-NOT: {{ ir +hot$}}
// BOTH: compiled hot [T1]
// BOTH-NOT: {{ ir +hot$}}
// BOTH: compiled hot [T2]
// BOTH-NOT: {{ ir +hot$}}
#include <stdio.h>

unsigned seed[4] = {3, 1, 4, 1};

__attribute__((noinline)) unsigned hot(unsigned x) {
    unsigned h = x + seed[x & 3];
    for (int i = 0; i < 100; i++) h = h * 2654435761u + (h >> 13);
    return h;
}

int main(void) {
    unsigned s = 0;
    for (unsigned i = 0; i < 200000; i++) s += hot(i);
    printf("%u\n", s);
    return 0;
}
