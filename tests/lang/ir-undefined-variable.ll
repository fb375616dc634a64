; A variable no module defines and the process does not have: the error
; names it, as a linker would ("cannot link: Failed to materialize
; symbols: { (main, { __kjit.000000000000.main }) }" named only kjit's own
; name for main, which cannot be linked for want of it).  Exit status 1, in
; every mode and with the code cache cold or warm.
; RUN: rm -rf %t.c
; RUN: %exit %kjit --no-cache %s 2>&1 | FileCheck %s
; RUN: %exit %kjit --cache-dir=%t.c %s 2>&1 | FileCheck %s
; RUN: %exit %kjit --cache-dir=%t.c %s 2>&1 | FileCheck %s
; CHECK: kjit: error: cannot compile 'main': cannot link: Symbols not found: [ kjit_test_no_such_variable ]
; CHECK-NEXT: exit: 1
@kjit_test_no_such_variable = external global i32

define i32 @main() {
  %v = load i32, ptr @kjit_test_no_such_variable
  ret i32 %v
}
