// --watch of a C program whose second run comes from the code cache: its
// module is added from the first run's plan (LLVM not loaded for it), and
// each edit then reloads it, which reads the module after all.  Both runs
// see every edit.
// UNSUPPORTED: emulator
// RUN: rm -rf %t
// RUN: env KJIT_CACHE=on python3 %S/inputs/ccwatch.py "%kjit -O2 --jit=tiered --cache-dir=%t/c --stats=json" %t/w value=2 offset=10
// RUN: cp %t/w/out %t/out1 && cp %t/w/err %t/err1
// RUN: env KJIT_CACHE=on python3 %S/inputs/ccwatch.py "%kjit -O2 --jit=tiered --cache-dir=%t/c --stats=json" %t/w value=2 offset=10
// RUN: FileCheck --check-prefix=OUT %s < %t/out1
// RUN: FileCheck --check-prefix=OUT %s < %t/w/out
// RUN: FileCheck --check-prefix=ERR %s < %t/w/err
// OUT: value 1
// OUT-NEXT: value 2
// OUT-NEXT: value 12
// OUT-NEXT: last 12
// OUT-NEXT: exit: 0
// ERR: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
// ERR-NEXT: kjit: reloaded prog.c: 1 changed, 0 added, 0 refused ({{[0-9.]+}} ms)
// ERR: "cache_hits":{{[1-9]}}
// ERR-SAME: "own_linked":{{[1-9]}}
