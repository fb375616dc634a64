// A program that closes every descriptor above 2 (as daemons do) and opens
// its own in their place: a directory, then files in it.  kjit held its code
// cache's directory, the directory a finishing starts from, the trace and
// the perf map on such numbers, and wrote its cache entries into the
// program's directory.  Now each is checked to be still kjit's before it
// is used: the cache's directory is opened again by its path, the trace
// says it is incomplete, and the program's directory and files hold only
// what it wrote, in a cold run, a warm one, under --trace=FILE and --perf.
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t %t/mine
// RUN: clang-19 -O2 %s -o %t/native && %t/native %t/mine > %t/expected
// RUN: cd %t/mine && ls -A > %t/expected-ls && cat * > %t/expected-files && rm -f * && cd %t
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c %t/p.bc -- %t/mine > %t/1
// RUN: cd %t/mine && ls -A > %t/ls1 && cat * > %t/files1 && rm -f * && cd %t
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --stats=json %t/p.bc -- %t/mine > %t/2 2> %t/s2
// RUN: cd %t/mine && ls -A > %t/ls2 && cat * > %t/files2 && rm -f * && cd %t
// RUN: env KJIT_CACHE=off %kjit --trace=%t/t.json --perf %t/p.bc -- %t/mine > %t/3 2> %t/e3 || true
// RUN: cd %t/mine && ls -A > %t/ls3 && cat * > %t/files3 && rm -f * && cd %t
// RUN: diff %t/expected %t/1
// RUN: diff %t/expected %t/2
// RUN: diff %t/expected %t/3
// RUN: diff %t/expected-ls %t/ls1
// RUN: diff %t/expected-ls %t/ls2
// RUN: diff %t/expected-ls %t/ls3
// RUN: diff %t/expected-files %t/files1
// RUN: diff %t/expected-files %t/files2
// RUN: diff %t/expected-files %t/files3
// RUN: FileCheck --check-prefix=WARM %s < %t/s2
// RUN: FileCheck --check-prefix=TRACE %s < %t/e3
// WARM: "cache_hits":{{[1-9]}}
// TRACE: kjit: error: the trace file is incomplete: the program closed its descriptor
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define F(k)                                                                                   \
    __attribute__((noinline)) static long f##k(long x) {                                       \
        long s = 0;                                                                            \
        for (long i = 0; i < x; i++) s += i ^ k;                                               \
        return s;                                                                              \
    }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)

typedef long (*fn)(long);
static fn const fns[12] = {f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11};

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    for (int fd = 3; fd < 1024; fd++) close(fd);
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    int files[4];
    char name[16];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "mine%d.txt", i);
        files[i] = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    long sum = 0;
    for (int k = 0; k < 12; k++) {
        long v = fns[k](100 + k);
        sum += v;
        dprintf(files[k % 4], "f%d %ld\n", k, v);
    }
    /* (not the numbers: kjit's threads open files of their own meanwhile) */
    int opened = dir >= 3;
    for (int i = 0; i < 4; i++) opened += files[i] >= 3;
    printf("sum %ld; %d descriptors opened\n", sum, opened);
    return 0;
}
