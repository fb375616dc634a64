// A program that ends while a T2 compile is likely in flight: a large
// function, hot in its only activation, and the exit soon after.  Where
// kjit's own LLVM is loaded the exit does not wait for that compile
// (kjit_stop_tiering_for_exit, docs/DESIGN.md "Loading LLVM"), and nothing
// breaks: the output is the native build's, the exit status the
// program's, stderr empty, and the code cache holds no half-written entry.
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native
// RUN: %exit %t/native 4000000 > %t/expected
// RUN: env KJIT_CACHE=on %exit %kjit --cache-dir=%t/c %s -- 4000000 > %t/out 2> %t/err
// RUN: diff %t/expected %t/out
// RUN: FileCheck --allow-empty --check-prefix=NONE %s < %t/err
// RUN: find %t/c -name "tmp.*" > %t/tmp
// RUN: FileCheck --allow-empty --check-prefix=NONE %s < %t/tmp
// NONE-NOT: {{.}}
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C1(n) case n: h = h * 31u + (unsigned)(n) + (h >> 7); break;
#define C10(n) C1(n##0) C1(n##1) C1(n##2) C1(n##3) C1(n##4) C1(n##5) C1(n##6) C1(n##7) C1(n##8) C1(n##9)
#define C100(n) C10(n##0) C10(n##1) C10(n##2) C10(n##3) C10(n##4) C10(n##5) C10(n##6) C10(n##7) C10(n##8) C10(n##9)

__attribute__((noinline)) unsigned big(unsigned n) {
    unsigned h = 1;
    for (unsigned i = 0; i < n; i++) {
        switch ((i * 2654435761u) % 1000u) {
            C100(1) C100(2) C100(3) C100(4) C100(5) C100(6) C100(7) C100(8) C100(9)
        default: h ^= i;
        }
    }
    return h;
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 3000000u;
    printf("%u\n", big(n));
    return 3;
}
