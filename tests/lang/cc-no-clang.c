// No clang to compile with: an error that says how to give one, status 1.
// UNSUPPORTED: emulator
// RUN: %exit %kjit --cc=/nonexistent/clang %s 2>&1 | FileCheck --check-prefix=GIVEN %s
// RUN: env PATH=/nonexistent /bin/sh %S/../status.sh %kjit %s 2>&1 | FileCheck --check-prefix=NONE %s
// GIVEN: kjit: error: the C compiler '/nonexistent/clang' cannot be run; give clang-19's path with --cc=PATH
// GIVEN: exit: 1
// NONE: kjit: error: no clang-19 on PATH to compile C and C++ sources: install it (Debian: apt-get install clang-19) or give its path with --cc=PATH or KJIT_CC
// NONE: exit: 1
int main(void) { return 0; }
