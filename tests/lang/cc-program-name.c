// The program's messages that glibc writes with its name (assert, err,
// error: program_invocation_short_name) name it as its argv[0] does, as a
// native build's name its binary, not kjit.  By hand: argc is 1, so the
// assertion fails and the process ends with SIGABRT (128 + 6).
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/prog.bc
// RUN: env KJIT_CACHE=off %exit %kjit %t/prog.bc 2>&1 | FileCheck %s
// CHECK-NOT: kjit:
// CHECK: prog.bc: {{.*}}cc-program-name.c:{{[0-9]+}}: {{.*}}Assertion `argc == 7' failed.
// CHECK: exit: 134
#include <assert.h>

int main(int argc, char **argv) {
    (void)argv;
    assert(argc == 7);
    return 0;
}
