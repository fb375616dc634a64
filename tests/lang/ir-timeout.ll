; --timeout stops a C program that runs too long: its compiled loop polls
; for the interrupt (polls are compiled in only when --timeout is given:
; otherwise nothing interrupts a C program, and they would only cost).
; What it printed before stays printed (3 s, 10 under an emulator: time
; for LLVM to load and compile main first, on a loaded machine; under qemu
; with the suites running beside it, 3 s was once not enough).  Exit
; status 1.
; RUN: %exit %kjit --timeout=%if emulator %{10%} %else %{3%} %s 2>&1 | FileCheck %s
; CHECK: {{^}}started
; CHECK-NEXT: {{^}}kjit: error: stopped after --timeout={{3|10}} seconds
; CHECK-NEXT: {{^}}exit: 1

@s = private constant [8 x i8] c"started\00"
declare i32 @puts(ptr)

define i32 @main() {
entry:
  call i32 @puts(ptr @s)
  br label %loop
loop:
  %n = phi i64 [ 0, %entry ], [ %m, %loop ]
  %m = add i64 %n, 1
  store volatile i64 %m, ptr @counter
  br label %loop
}

@counter = global i64 0
