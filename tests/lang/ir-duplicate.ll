; Two modules that both define a symbol strongly: refused, naming it.
; RUN: %exit %kjit %s %s 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}ir-duplicate.ll: 'main' is defined again (an earlier module defines it)
; CHECK: exit: 1

define i32 @main() {
  ret i32 0
}
