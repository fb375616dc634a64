// examples/synth/synth.c under kjit makes the same samples as its native
// build (a tenth of a second of them).
// UNSUPPORTED: emulator
// RUN: clang-19 -O2 %S/../../examples/synth/synth.c -o %t.native -lm
// RUN: %t.native 4800 > %t.native.raw
// RUN: %kjit %S/../../examples/synth/synth.c -- 4800 > %t.kjit.raw
// RUN: cmp %t.native.raw %t.kjit.raw
// RUN: wc -c < %t.kjit.raw | FileCheck %s
// CHECK: 19200
