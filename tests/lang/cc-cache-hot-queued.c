// A function that got hot in a run that ended before its T2 compile (the
// exit does not wait for it; T2 waits for start-up to settle) is
// remembered all the same: the next run queues it for T2 at its first call,
// here called once, far below --hot.  (Had the first run's T2 compile
// ended in time, the second starts it at T2 from the cache instead.)  The
// first run compiles nothing ahead (--ahead=off): T2 then waits 25 ms for
// start-up to settle, long after the program's end.  With the ahead
// thread idle T2 need not wait (kj_tier.c, startup_wait), and its compile
// ended in time in 7 first runs of 20 (0 of 20 with --ahead=off).
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --hot=50 --ahead=off %t/p.bc -- 1000 > %t/out1
// RUN: env KJIT_CACHE=on KJIT_TRACE=1 %kjit --cache-dir=%t/c --hot=50 %t/p.bc -- 1 > %t/out2 2> %t/trace
// RUN: FileCheck --check-prefix=OUT1 %s < %t/out1
// RUN: FileCheck --check-prefix=OUT2 %s < %t/out2
// RUN: FileCheck %s < %t/trace
// OUT1: 1000 calls
// OUT2: 1 calls
// CHECK: compiled hot [T1]
// CHECK-NEXT: {{queued hot|compiled hot \[T2\]}}
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned hot(unsigned x) {
    unsigned h = x;
    for (int i = 0; i < 8; i++) h = h * 2654435761u + (h >> 13);
    return h;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1;
    unsigned s = 0;
    for (int i = 0; i < n; i++) s += hot((unsigned)i);
    printf("%d calls %u\n", n, s);
    return 0;
}
