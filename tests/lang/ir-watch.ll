; --watch: a file rewritten while the program runs is reloaded into it; the
; loop then calls the new body, and its counter keeps its value.
; RUN: sh %S/inputs/watch.sh "%kjit" %S/inputs/watch.ll.in %t
; RUN: FileCheck --check-prefix=OUT %s < %t/out
; RUN: FileCheck --check-prefix=ERR %s < %t/err
; OUT: value 1
; OUT-NEXT: value 2
; OUT-NEXT: last 2 after {{[0-9]+}} calls
; OUT-NEXT: exit: 0
; ERR: kjit: reloaded {{.*}}prog.ll: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
