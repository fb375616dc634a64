// --watch of a C source: a compile error is shown as clang shows it and the
// old code runs on; a deleted source is a warning, and when it comes back it
// is compiled and reloaded.
// UNSUPPORTED: emulator
// RUN: python3 %S/inputs/ccwatch.py "%kjit" %t error value=2 delete value=3
// RUN: FileCheck --check-prefix=OUT %s < %t/out
// RUN: FileCheck --check-prefix=ERR %s < %t/err
// OUT: value 1
// OUT-NEXT: value 2
// OUT-NEXT: value 3
// OUT-NEXT: last 3
// OUT-NEXT: exit: 0
// ERR: prog.c:{{[0-9]+}}:{{[0-9]+}}: error: expected ';' after return statement
// ERR: kjit: prog.c did not compile: the program goes on with its code
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused
// ERR-NEXT: kjit: warning: prog.c was deleted or renamed: the program goes on with its code
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused
