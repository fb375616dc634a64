; --emit=llvm on IR: the module as kjit keeps it (internal names made unique
; as NAME.m0, the constructor list taken out), printed instead of run; lli
; runs the print.
; RUN: %kjit --emit=llvm %s | FileCheck %s
; RUN: %kjit --emit=llvm %s | %exit %lli - | FileCheck %s --check-prefix=OUT
; CHECK: @msg.m0 = dso_local constant [3 x i8] c"ok\00"
; CHECK: define dso_local i32 @helper.m0()
; CHECK-NOT: llvm.global_ctors
; OUT: ok
; OUT: exit: 5

@msg = internal constant [3 x i8] c"ok\00"
declare i32 @puts(ptr)

define internal i32 @helper() {
  ret i32 5
}

define void @init() {
  ret void
}
@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @init, ptr null }]

define i32 @main() {
  %a = call i32 @puts(ptr @msg)
  %r = call i32 @helper()
  ret i32 %r
}
