; Text IR that does not parse: the position and the line, status 1.
; RUN: %exit %kjit %s 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}ir-bad-text.ll:[[@LINE+5]]:11: use of undefined value '%nosuch'
; CHECK-NEXT: ret i32 %nosuch
; CHECK: exit: 1

define i32 @main() {
  ret i32 %nosuch
}
