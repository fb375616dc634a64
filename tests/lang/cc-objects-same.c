// Two of kjit's ways of making an object must give the objects LLVM's
// plain ways give, byte for byte: the code generator a workspace keeps
// (kj_wrap_emitter: LLVM's pipeline built once, run on module after module)
// against the C API's, which builds a new pipeline for every compile
// (KJIT_EMITTERS=0); and kj_wrap_extract's copy of a body (copy_body: its
// own values in a plain hash map) against LLVM's CloneFunctionInto
// (KJIT_CLONE_LLVM=1).  Five functions compiled one after another on the
// program's thread (--ahead=off), kept in three code caches, compared file
// by file (KJIT_CACHE_BUNDLES=0: an entry a file).  Both code generation
// levels: --t1=loops gives the functions with a loop the -O level's, the
// others FastISel.
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on KJIT_CACHE_BUNDLES=0 %kjit --cache-dir=%t/kept --ahead=off --t1=loops --hot=1000000000 %t/p.bc > %t/out1
// RUN: env KJIT_CACHE=on KJIT_CACHE_BUNDLES=0 KJIT_EMITTERS=0 %kjit --cache-dir=%t/fresh --ahead=off --t1=loops --hot=1000000000 %t/p.bc > %t/out2
// RUN: env KJIT_CACHE=on KJIT_CACHE_BUNDLES=0 KJIT_CLONE_LLVM=1 %kjit --cache-dir=%t/cloned --ahead=off --t1=loops --hot=1000000000 %t/p.bc > %t/out3
// RUN: diff %t/expected %t/out1
// RUN: diff %t/expected %t/out2
// RUN: diff %t/expected %t/out3
// RUN: find %t/kept -type f | wc -l | FileCheck --check-prefix=COUNT %s
// RUN: diff -r %t/kept %t/fresh
// RUN: diff -r %t/kept %t/cloned
// COUNT: {{^ *([6-9]|[1-9][0-9])$}}
#include <stdio.h>
#include <string.h>

struct point { double x, y; };

__attribute__((noinline)) static double dist2(struct point a, struct point b) {
    double dx = a.x - b.x, dy = a.y - b.y;
    return dx * dx + dy * dy;
}

__attribute__((noinline)) static int nearest(const struct point *p, int n, struct point q) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (dist2(p[i], q) < dist2(p[best], q)) best = i;
    return best;
}

__attribute__((noinline)) static unsigned checksum(const char *s) {
    unsigned h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

__attribute__((noinline)) static const char *label(int i) {
    static const char *names[] = {"north", "east", "south", "west"};
    return names[i & 3];
}

int main(void) {
    struct point pts[16];
    for (int i = 0; i < 16; i++) pts[i] = (struct point){i * 1.5, (i % 5) * 2.25};
    unsigned h = 0;
    for (int k = 0; k < 1000; k++) {
        int j = nearest(pts, 16, (struct point){k % 23, k % 7});
        h += checksum(label(j)) + (unsigned)j + (unsigned)strlen(label(k));
    }
    printf("%u\n", h);
    return 0;
}
