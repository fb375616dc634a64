// A program that lowers RLIMIT_FSIZE to 4 KiB: the code cache's writes at
// its exit go past it, and the signal that raises (SIGXFSZ) ended the
// process, its buffered output lost.  Now the write fails, the run says it
// once, and the program's output and status are its own.
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c %t/p.bc > %t/1 2> %t/e1
// RUN: diff %t/expected %t/1
// RUN: FileCheck %s < %t/e1
// CHECK: kjit: warning: {{.*}}File too large
// CHECK-NOT: kjit
#include <stdio.h>
#include <sys/resource.h>

__attribute__((noinline)) static long sum(long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += i % 7;
    return s;
}

int main(void) {
    struct rlimit r = {4096, 4096};
    setrlimit(RLIMIT_FSIZE, &r);
    printf("sum %ld\n", sum(1000)); /* (buffered: a pipe) */
    return 0;
}
