; IR files and Kaleidoscope cannot be mixed: a usage error.
; RUN: %exit %kjit %s -e "1;" 2>&1 | FileCheck %s
; CHECK: kjit: error: C, C++ and LLVM IR files cannot be mixed with Kaleidoscope files or -e code
; CHECK: exit: 2

define i32 @main() {
  ret i32 0
}
