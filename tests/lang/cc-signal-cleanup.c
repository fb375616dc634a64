// kjit prog.c compiles into a directory of the run's own; a run ended by a
// signal (Ctrl-C, kill, a closed terminal) removes it too, and still ends
// by that signal.  Under --watch a clang waits there for the next edit: it
// dies with kjit.
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir -p %t/tmp
// RUN: env TMPDIR=%t/tmp python3 %S/inputs/killrun.py TERM "%kjit %s" | FileCheck %s
// RUN: env TMPDIR=%t/tmp python3 %S/inputs/killrun.py HUP "%kjit --watch %s" | FileCheck %s
// RUN: ls -A %t/tmp | FileCheck --allow-empty --check-prefix=EMPTY %s
// RUN: sleep 0.2 && ps -eo args | FileCheck --check-prefix=NOCLANG -DDIR=%t %s
// CHECK: first line: ready
// CHECK-NEXT: status: -{{[0-9]+}} signal
// EMPTY-NOT: {{.}}
// NOCLANG-NOT: @[[DIR]]/tmp/
#include <stdio.h>
#include <unistd.h>
int main(void) {
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
