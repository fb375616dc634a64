// The bitcode of a source is kept in the code cache: a second run starts
// without clang (the compiler's log does not grow), shows clang's warnings
// again, and an edited header, another flag, --no-cache or KJIT_CACHE=off
// compile again.  (The sleeps: a compile during which one of its files
// changed is not kept, and "during" is 10 ms wide.)
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t && cp %s %t/prog.c && printf '#define V 1\n' > %t/v.h
// RUN: printf '#!/bin/sh\nexec %S/inputs/logcc.sh "%t/log" "$@"\n' > %t/cc && chmod +x %t/cc
// RUN: sleep 0.1 && cd %t
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -Xcc -Wunused-variable prog.c > %t/1 2>&1
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -Xcc -Wunused-variable prog.c > %t/2 2>&1
// RUN: grep -c . %t/log > %t/n2
// RUN: printf '#define V 2\n' > %t/v.h && sleep 0.1
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -Xcc -Wunused-variable prog.c > %t/3 2>&1
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -Xcc -Wunused-variable prog.c > %t/4 2>&1
// RUN: grep -c . %t/log > %t/n4
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -DOTHER prog.c > /dev/null 2>&1
// RUN: env KJIT_CACHE=on %kjit --cache-dir=%t/c --cc=%t/cc -DOTHER --no-cache prog.c > /dev/null 2>&1
// RUN: env KJIT_CACHE=off %kjit --cache-dir=%t/c --cc=%t/cc -DOTHER prog.c > /dev/null 2>&1
// RUN: grep -c . %t/log > %t/n7
// RUN: FileCheck --check-prefix=V1 %s < %t/1
// RUN: FileCheck --check-prefix=V1 %s < %t/2
// RUN: FileCheck --check-prefix=V2 %s < %t/3
// RUN: FileCheck --check-prefix=V2 %s < %t/4
// RUN: FileCheck --check-prefix=N2 %s < %t/n2
// RUN: FileCheck --check-prefix=N4 %s < %t/n4
// RUN: FileCheck --check-prefix=N7 %s < %t/n7
// V1: prog.c:[[#@LINE+7]]:9: warning: unused variable 'unused'
// V1: v 1
// V2: prog.c:[[#@LINE+5]]:9: warning: unused variable 'unused'
// V2: v 2
#include <stdio.h>
#include "v.h"
int main(void) {
    int unused;
    printf("v %d\n", V);
    return 0;
}
// N2: {{^1$}}
// N4: {{^2$}}
// N7: {{^5$}}
