; --watch: a file replaced after kjit loaded it but before the watcher
; thread started (here by the program's own constructor) is reloaded too:
; the signatures are those of before the load (the C reload fuzzer,
; tests/fuzz/cfuzz.py, found this missed about one run in five).
; RUN: rm -rf %t && mkdir -p %t
; RUN: sed 's/VALUE/1/' %S/inputs/watch-early.ll.in > %t/prog.ll
; RUN: sed 's/VALUE/2/' %S/inputs/watch-early.ll.in > %t/new.ll
; RUN: env WATCH_NEW=%t/new.ll WATCH_FILE=%t/prog.ll %kjit --watch %t/prog.ll > %t/out 2> %t/err
; RUN: FileCheck --check-prefix=OUT %s < %t/out
; RUN: FileCheck --check-prefix=ERR %s < %t/err
; OUT: value 2 after reload
; ERR: kjit: reloaded {{.*}}prog.ll: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
