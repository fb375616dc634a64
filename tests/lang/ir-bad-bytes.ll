; Text IR whose bad line holds control bytes and bytes that are not UTF-8:
; LLVM's error quotes the line, with each such byte shown as '?' (never
; raw on a terminal).
; RUN: printf '; a program with a few bad bytes in it, still text\ndefine i32 @main() {\n  ret i32 \001\033\377 0\n}\n' > %t.ll
; RUN: %exit %kjit %t.ll 2>&1 | FileCheck %s --strict-whitespace
; CHECK: kjit: error: {{.*}}.ll:3:11: expected value token{{$}}
; CHECK-NEXT: {{^}}  ret i32 ??? 0{{$}}
; CHECK: exit: 1
