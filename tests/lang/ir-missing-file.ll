; A program file named as IR (.bc, .ll) that is missing or holds no IR is
; said so by name, also with the program's arguments after "--", which are
; the program's and never read as more files (they were read as
; Kaleidoscope, under an error about mixing files).
; RUN: rm -rf %t.dir && mkdir %t.dir && printf 'x\n' > %t.dir/notir.bc
; RUN: %exit %kjit %t.dir/missing.bc -- c input.c 2>&1 | FileCheck %s --check-prefix=MISSING --match-full-lines
; RUN: %exit %kjit %t.dir/missing.ll -- json %t.dir 2>&1 | FileCheck %s --check-prefix=MISSINGLL --match-full-lines
; RUN: %exit %kjit %t.dir/notir.bc -- c input.c 2>&1 | FileCheck %s --check-prefix=NOTIR
; MISSING-NOT: {{.}}
; MISSING:      kjit: error: cannot read '{{.*}}missing.bc': No such file or directory
; MISSING-NEXT: exit: 1
; MISSING-NOT: {{.}}
; MISSINGLL-NOT: {{.}}
; MISSINGLL:      kjit: error: cannot read '{{.*}}missing.ll': No such file or directory
; MISSINGLL-NEXT: exit: 1
; MISSINGLL-NOT: {{.}}
; NOTIR-NOT: mixed
; NOTIR: kjit: error: {{.*}}notir.bc:1:1: expected top-level entity
; NOTIR: exit: 1
