; A call to a function that nothing defines, not even the process: a
; run-time error naming it, after what was printed, status 1.
; RUN: %exit %kjit %s 2>&1 | FileCheck %s
; CHECK: before
; CHECK-NEXT: kjit: error: call to undefined function 'kjit_test_no_such_function'
; CHECK-NEXT: exit: 1

@s = private constant [7 x i8] c"before\00"
declare i32 @puts(ptr)
declare i32 @kjit_test_no_such_function(i32)

define i32 @main() {
  %a = call i32 @puts(ptr @s)
  %b = call i32 @kjit_test_no_such_function(i32 1)
  ret i32 %b
}
