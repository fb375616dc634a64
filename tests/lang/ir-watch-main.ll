; --watch of bitcode clang optimised: a function inlined into main is part
; of main, and main is running: the reload says the change will not be seen,
; and how to have it seen.
; UNSUPPORTED: emulator
; RUN: rm -rf %t && mkdir -p %t
; RUN: sed 's/VALUE/1/' %S/inputs/watch-main.c.in > %t/p.c && clang-19 -O2 -c -emit-llvm -x c %t/p.c -o %t/p.bc
; RUN: sed 's/VALUE/2/' %S/inputs/watch-main.c.in > %t/p2.c && clang-19 -O2 -c -emit-llvm -x c %t/p2.c -o %t/p2.bc
; RUN: python3 %S/inputs/swap.py "%kjit" %t p.bc p2.bc "main() changed"
; RUN: FileCheck %s < %t/err
; RUN: FileCheck --check-prefix=OUT %s < %t/out
; CHECK: kjit: reloaded {{.*}}p.bc: 1 changed, 0 added, 0 refused
; CHECK-NEXT: kjit: warning: main() changed, but it is running and does not return: this change will not be seen (at -O1 and above clang inlines functions into main: `kjit --watch` of the source keeps each one replaceable; built with -g, kjit names what clang inlined where it can)
; OUT: value 1
; OUT-NOT: value 2
