; exit() from inside the program: its status, and stdio flushed as
; natively (the text has no newline and stdout is a pipe).
; RUN: %exit %kjit %s | FileCheck %s
; CHECK: {{^}}no newlineexit: 42

@s = private constant [11 x i8] c"no newline\00"
declare i32 @printf(ptr, ...)
declare void @exit(i32)

define void @leave() {
  call void @exit(i32 42)
  unreachable
}

define i32 @main() {
  %a = call i32 (ptr, ...) @printf(ptr @s)
  call void @leave()
  ret i32 0
}
