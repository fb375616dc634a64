// A program of bitcode keeps its entries in one bundle: its cold run
// writes two files (the bundle and the host key's entry), not one a
// function; its warm run takes every object from the bundle; a damaged
// bundle is rejected and counted, the run compiles again and its output is
// the program's; KJIT_CACHE_BUNDLES=0 keeps a file an entry, and the
// bundle's run and the files' run find the same objects (as many hits).
// The program named another way ("./p.bc", from its directory) is the
// same program: every object from the same bundle, still two files.
// (--hot=1000000000: no function gets a mark, so no warm run compiles at
// T2 in the background, which it may finish or not.)
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --ahead=off --hot=1000000000 --stats=json %t/p.bc > %t/1 2> %t/s1
// RUN: find %t/c -type f | wc -l | FileCheck --check-prefix=TWO %s
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --ahead=off --hot=1000000000 --stats=json %t/p.bc > %t/2 2> %t/s2
// RUN: python3 %S/inputs/flip.py %t/c 1024 200 | FileCheck --check-prefix=ONE %s
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --ahead=off --hot=1000000000 --stats=json %t/p.bc > %t/3 2> %t/s3
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --ahead=off --hot=1000000000 --stats=json %t/p.bc > %t/4 2> %t/s4
// RUN: env KJIT_CACHE=on KJIT_CACHE_BUNDLES=0 %kjit --cache-dir=%t/f --ahead=off --hot=1000000000 %t/p.bc > /dev/null
// RUN: env KJIT_CACHE=on KJIT_CACHE_BUNDLES=0 %kjit --cache-dir=%t/f --ahead=off --hot=1000000000 --stats=json %t/p.bc > %t/5 2> %t/s5
// RUN: find %t/f -type f | wc -l | FileCheck --check-prefix=MANY %s
// RUN: cd %t && env KJIT_CACHE=on %kjit --cache-dir=%t/c --ahead=off --hot=1000000000 --stats=json ./p.bc > %t/6 2> %t/s6
// RUN: find %t/c -type f | wc -l | FileCheck --check-prefix=TWO %s
// RUN: diff %t/expected %t/6
// RUN: FileCheck --check-prefix=WARM %s < %t/s6
// RUN: diff %t/expected %t/1
// RUN: diff %t/expected %t/2
// RUN: diff %t/expected %t/3
// RUN: diff %t/expected %t/4
// RUN: diff %t/expected %t/5
// RUN: FileCheck --check-prefix=COLD %s < %t/s1
// RUN: FileCheck --check-prefix=WARM %s < %t/s2
// RUN: FileCheck --check-prefix=BAD %s < %t/s3
// RUN: FileCheck --check-prefix=WARM %s < %t/s4
// RUN: FileCheck --check-prefix=WARM %s < %t/s5
// TWO: {{^ *2$}}
// ONE: {{^1$}}
// MANY: {{^ *([4-9]|[1-9][0-9]+)$}}
// COLD: "cache_hits":0,"cache_misses":[[N:[1-9][0-9]*]],"cache_stored":[[N]],"cache_rejected":0,
// WARM: "cache_hits":[[N:[1-9][0-9]*]],"cache_misses":0,"cache_stored":0,"cache_rejected":0,
// BAD: "cache_hits":0,"cache_misses":[[N:[1-9][0-9]*]],"cache_stored":[[N]],"cache_rejected":1,
#include <stdio.h>
#include <stdlib.h>

static unsigned mix(unsigned x) { return x * 2654435761u ^ (x >> 13); }
static int cmp(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}
static unsigned sum(const unsigned *v, int n) {
    unsigned s = 0;
    for (int i = 0; i < n; i++) s += v[i] * (unsigned)(i + 1);
    return s;
}

int main(void) {
    unsigned v[64];
    for (int i = 0; i < 64; i++) v[i] = mix((unsigned)i);
    qsort(v, 64, sizeof v[0], cmp);
    printf("first %u last %u sum %u\n", v[0], v[63], sum(v, 64));
    return 0;
}
