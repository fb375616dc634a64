// A C source that does not compile: clang's diagnostics as clang prints
// them, status 1, nothing run.
// UNSUPPORTED: emulator
// RUN: %exit %kjit %s > %t.out 2> %t.err
// RUN: FileCheck --check-prefix=OUT %s < %t.out
// RUN: FileCheck --check-prefix=ERR %s < %t.err
// OUT-NOT: ran
// OUT: exit: 1
// ERR: cc-error.c:[[@LINE+4]]:12: error: use of undeclared identifier 'undeclared'
#include <stdio.h>
int main(void) {
    puts("ran");
    return undeclared;
}
