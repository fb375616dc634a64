// kjit prog.c: a C source compiled by clang-19 and run as its native build
// would: its arguments after --, -D and -I for clang, its exit status.
// UNSUPPORTED: emulator
// RUN: %exit %kjit -I %S/inputs/cc -DTIMES=3 -std=c11 %s -- one two > %t.out
// RUN: FileCheck %s < %t.out
// CHECK: hello from a header
// CHECK-NEXT: argc 3 one two
// CHECK-NEXT: 0 1 2
// CHECK-NEXT: c11 1
// CHECK-NEXT: exit: 7
#include <stdio.h>
#include "greet.h"
int main(int argc, char **argv) {
    puts(GREETING);
    printf("argc %d %s %s\n", argc, argv[1], argv[2]);
    for (int i = 0; i < TIMES; i++) printf("%d%s", i, i + 1 < TIMES ? " " : "\n");
    printf("c11 %d\n", __STDC_VERSION__ == 201112L);
    return 7;
}
