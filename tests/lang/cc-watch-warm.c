// --watch starts the next compile's clang ahead (it loads while nothing is
// edited), as `clang @FIFO`, and an edit hands it its arguments through the
// FIFO: every compile after the first is that clang, not a new one, and the
// arguments reach it whole (a directory and a -D value with spaces, quotes).
// UNSUPPORTED: emulator
// RUN: rm -rf "%t" && mkdir -p "%t/a dir"
// RUN: printf '#!/bin/sh\nexec %S/inputs/logcc.sh "%t/log" "$@"\n' > "%t/cc" && chmod +x "%t/cc"
// RUN: python3 %S/inputs/ccwatch.py "%kjit -O2 --cc=%t/cc -Xcc '-DNAME=\"a b\" c'" "%t/a dir" value=2 offset=10
// RUN: FileCheck --check-prefix=OUT %s < "%t/a dir/out"
// RUN: FileCheck --check-prefix=LOG %s < "%t/log"
// OUT: value 1
// OUT-NEXT: value 2
// OUT-NEXT: value 12
// OUT-NEXT: last 12
// OUT-NEXT: exit: 0
// The first compile is a command line; the next two are clangs started
// ahead (a compile that fell back to a new clang would be a command line).
// LOG: -c -emit-llvm
// LOG-NEXT: {{^}}@{{.*}}/next-compile.args{{$}}
// LOG-NEXT: {{^}}@{{.*}}/next-compile.args{{$}}
