; IR that parses but is not valid: the verifier's message, status 1.
; RUN: %exit %kjit %s 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}ir-invalid.ll: invalid IR: {{.*}}
; CHECK: exit: 1

define i32 @main() {
entry:
  br label %next
next:
  %x = add i32 %y, 1
  %y = add i32 %x, 1
  ret i32 %y
}
