// --watch of a C source at -O2: clang would inline value() and offset()
// into main's loop, which never returns; kjit keeps each a function, so
// every edit is seen.  A header edit recompiles the source that includes it.
// An edit of main itself, which is running, is said not to be seen.
// UNSUPPORTED: emulator
// RUN: python3 %S/inputs/ccwatch.py "%kjit -O2" %t value=2 offset=10 main value=3
// RUN: FileCheck --check-prefix=OUT %s < %t/out
// RUN: FileCheck --check-prefix=ERR %s < %t/err
// OUT: value 1
// OUT-NEXT: value 2
// OUT-NEXT: value 12
// OUT-NEXT: value 13
// OUT-NEXT: last 13
// OUT-NEXT: exit: 0
// ERR: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
// ERR-NEXT: kjit: warning: main() changed, but it is running and does not return: this change will not be seen{{$}}
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
