; Bitcode that is cut short: an error, never a crash.
; RUN: printf 'BC\300\336\065\024\000\000\005\000' > %t.bc
; RUN: %exit %kjit %t.bc 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}.bc: bad bitcode: {{.+}}
; CHECK: exit: 1
