; A module without main cannot run.
; RUN: %exit %kjit %s 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}ir-no-main.ll: no function 'main' is defined
; CHECK: exit: 1

define i32 @f() {
  ret i32 1
}
