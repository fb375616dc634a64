; --watch: a file that became binary data (3 KB of random bytes) is not
; reloaded: one line says what it is not, never a line of its bytes, and
; the program runs on with the code it had.
; RUN: sh %S/inputs/watch.sh "%kjit" %S/inputs/watch.ll.in %t binary
; RUN: FileCheck --check-prefix=OUT %s < %t/out
; RUN: FileCheck --check-prefix=ERR %s --match-full-lines < %t/err
; OUT: value 1
; OUT-NEXT: last 1 after {{[0-9]+}} calls
; OUT-NEXT: exit: 0
; ERR: kjit: reload of {{.*}}prog.ll failed, the program goes on: {{.*}}prog.ll: not LLVM IR (bitcode or text): binary data
; ERR-NOT: {{.}}
