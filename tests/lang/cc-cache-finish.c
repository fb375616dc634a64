// kjit --cache-finish (kjit_cache_finish): a run of a C program leaves its
// functions at T1 (-O0) in the cache; --cache-finish compiles them at T2
// without running the program, keeps them and marks them, so the next run
// starts them at T2 from the cache, without LLVM; a second --cache-finish
// finds nothing to do (and loads no LLVM), and so does one that finds
// another holding the cache's finish.lock.  Of a C source (IR clang did
// not optimise, whose T2 body inlines its callees' and is kept under its
// IR's key) it compiles only what a run queued for T2: here nothing.  Without the cache it is an
// error; for Kaleidoscope, a usage error.  And kjit starts it itself after
// a run that left such work, detached (the run's output comes back at
// once), unless KJIT_CACHE_FINISH=0 (lit sets it: tests/lit.cfg.py).
// (--hot=1000000000: no T2 compile of the runs themselves, which may end
// before the run or not; the automatic one's check waits for the outcome.)
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --hot=1000000000 --stats=json %t/p.bc > %t/1 2> %t/s1
// RUN: flock %t/c/finish.lock env KJIT_CACHE=on %kjit --cache-finish --cache-dir=%t/c --hot=1000000000 --stats=json %t/p.bc 2> %t/busy
// RUN: env KJIT_CACHE=on %kjit --cache-finish --cache-dir=%t/c --hot=1000000000 --stats=json %t/p.bc > %t/2 2> %t/s2
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --hot=1000000000 --stats=json %t/p.bc > %t/3 2> %t/s3
// RUN: env KJIT_CACHE=on %kjit --cache-finish --cache-dir=%t/c --hot=1000000000 --stats=json %t/p.bc > %t/4 2> %t/s4
// RUN: diff %t/expected %t/1
// RUN: diff %t/expected %t/3
// RUN: not test -s %t/2
// RUN: FileCheck --check-prefix=COLD %s < %t/s1
// RUN: FileCheck --check-prefix=BUSY %s < %t/busy
// RUN: FileCheck --check-prefix=FINISH %s < %t/s2
// RUN: FileCheck --check-prefix=WARM %s < %t/s3
// RUN: FileCheck --check-prefix=AGAIN %s < %t/s4
// RUN: env KJIT_CACHE=off %exit %kjit --cache-finish %t/p.bc 2> %t/off | FileCheck --check-prefix=ONE %s
// RUN: FileCheck --check-prefix=OFF %s < %t/off
// RUN: %exit %kjit --cache-finish %S/inputs/multi-a.ks 2> %t/ks | FileCheck --check-prefix=TWO %s
// RUN: FileCheck --check-prefix=KS %s < %t/ks
// RUN: cp %s %t/src.c
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/s --hot=1000000000 %t/src.c > %t/6
// RUN: env KJIT_CACHE=on %kjit --cache-finish --cache-dir=%t/s --hot=1000000000 --stats=json %t/src.c 2> %t/s6
// RUN: diff %t/expected %t/6
// RUN: FileCheck --check-prefix=SRC %s < %t/s6
// RUN: python3 %S/inputs/finish_later.py %kjit %t/auto %t/p.bc 3 > %t/later
// RUN: FileCheck --check-prefixes=LATER,WARM %s < %t/later
// COLD: "compiled_t2":0,
// COLD-SAME: "cache_stored":{{[4-9]}},
// BUSY: "compiled_t2":0,
// BUSY-SAME: "llvm_setup_us":0,
// FINISH: "compiled_t2":3,
// FINISH-SAME: "cache_stored":3,
// LATER: exit 0 output sum 6647270600
// WARM: "compiled_t2":3,
// WARM-SAME: "llvm_setup_us":0,
// WARM-SAME: "cache_misses":0,
// WARM-SAME: "cache_hot":3,
// AGAIN: "compiled_t2":0,
// AGAIN-SAME: "llvm_setup_us":0,
// AGAIN-SAME: "cache_stored":0,
// SRC: "compiled_t2":0,
// SRC-SAME: "t2_failed":0,
// ONE: exit: 1
// OFF: kjit: error: --cache-finish: the code cache is off (turned off, or its directory could not be used)
// TWO: exit: 2
// KS: --cache-finish is for C, C++ and LLVM IR programs
#include <stdio.h>

__attribute__((noinline)) static unsigned step(unsigned x) { return x * 1103515245u + 12345u; }
__attribute__((noinline)) static unsigned long work(int n) {
    unsigned long s = 0;
    unsigned x = 1;
    for (int i = 0; i < n; i++) s += (x = step(x)) >> 16;
    return s;
}
__attribute__((noinline)) static void report(unsigned long s) { printf("sum %lu\n", s); }

int main(void) {
    unsigned long s = 0;
    for (int r = 0; r < 200; r++) s += work(1000);
    report(s);
    return 0;
}
