; An IR program runs as natively: main's arguments (argv[0] is the file,
; then what follows --), its status, its output.
; RUN: %exit %kjit %s -- one two | FileCheck %s
; CHECK: argc=3 one two
; CHECK: exit: 7

@fmt = private constant [15 x i8] c"argc=%d %s %s\0A\00"
declare i32 @printf(ptr, ...)

define i32 @main(i32 %argc, ptr %argv) {
  %p1 = getelementptr ptr, ptr %argv, i64 1
  %a1 = load ptr, ptr %p1
  %p2 = getelementptr ptr, ptr %argv, i64 2
  %a2 = load ptr, ptr %p2
  %n = call i32 (ptr, ...) @printf(ptr @fmt, i32 %argc, ptr %a1, ptr %a2)
  ret i32 7
}
