// A program that sets umask(0777) before its first calls: the code cache's
// subdirectories and entries, made while it runs, have the modes kjit gives
// them (0700, 0600), not the umask's 000, which no later run of a user
// other than root could read or write.  A warm run then finds them.
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c %t/p.bc > %t/1
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --stats=json %t/p.bc > %t/2 2> %t/s2
// RUN: diff %t/expected %t/1
// RUN: diff %t/expected %t/2
// RUN: find %t/c -mindepth 1 -type d ! -perm 0700 > %t/bad-dirs
// RUN: find %t/c -mindepth 1 -type f -name '*.kjc' ! -perm 0600 > %t/bad-files
// RUN: not test -s %t/bad-dirs
// RUN: not test -s %t/bad-files
// RUN: find %t/c -mindepth 2 -type f -name '*.kjc' | grep -q .
// RUN: FileCheck %s < %t/s2
// CHECK: "cache_hits":{{[1-9]}}
#include <stdio.h>
#include <sys/stat.h>

__attribute__((noinline)) static long next(long x) { return x + 1; }
__attribute__((noinline)) static long twice(long x) { return 2 * next(x); }

int main(void) {
    umask(0777);
    printf("%ld %ld\n", next(4), twice(20));
    return 0;
}
