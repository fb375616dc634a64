; An ifunc (a function chosen by a resolver when the program is loaded,
; __attribute__((ifunc))) is not supported: said so, by name, before
; anything runs, exit status 1.  It was dropped without a word, and its
; call was then "call to undefined function 'dispatched'".
; RUN: %exit %kjit --no-cache %s 2>&1 | FileCheck %s
; CHECK: kjit: error: {{.*}}ir-ifunc.ll: ifunc 'dispatched' is not supported (a function chosen by a resolver at load time, __attribute__((ifunc)))
; CHECK-NEXT: exit: 1
@dispatched = ifunc i32 (i32), ptr @resolve

define internal i32 @impl(i32 %x) {
  %r = mul i32 %x, 3
  ret i32 %r
}

define internal ptr @resolve() {
  ret ptr @impl
}

define i32 @main() {
  %r = call i32 @dispatched(i32 5)
  ret i32 %r
}
