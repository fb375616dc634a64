; --watch of bitcode clang optimised with -g: the warning that the running
; main will not see the change names what clang inlined into it (value(),
; the function edited), from the debug info: clang kept its call of getpid
; there.  (A constant result folded into main leaves nothing to name; the
; warning then says so without names: ir-watch-main.ll.)
; UNSUPPORTED: emulator
; RUN: rm -rf %t && mkdir -p %t
; RUN: sed 's/VALUE/1/' %S/inputs/watch-inlined.c.in > %t/p.c && clang-19 -g -O2 -c -emit-llvm -x c %t/p.c -o %t/p.bc
; RUN: sed 's/VALUE/2/' %S/inputs/watch-inlined.c.in > %t/p2.c && clang-19 -g -O2 -c -emit-llvm -x c %t/p2.c -o %t/p2.bc
; RUN: python3 %S/inputs/swap.py "%kjit" %t p.bc p2.bc "main() changed"
; RUN: FileCheck %s < %t/err
; RUN: FileCheck --check-prefix=OUT %s < %t/out
; CHECK: kjit: reloaded {{.*}}p.bc: 1 changed, 0 added, 0 refused
; CHECK-NEXT: kjit: warning: main() changed, but it is running and does not return: this change will not be seen; clang inlined value() into main(), so an edit of it is an edit of main (`kjit --watch` of the source keeps each function replaceable)
; OUT: value 1
; OUT-NOT: value 2
