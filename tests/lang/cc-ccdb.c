// -p DIR: the source compiled as DIR/compile_commands.json says (its flags,
// in its directory; the compiler, -c and -o left out), by "arguments" and by
// "command".
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir -p %t/a %t/b && cp %s %t/prog.c
// RUN: echo '[{"directory": "%t", "file": "prog.c", "arguments": ["cc", "-DWHO=\"arguments\"", "-I%S/inputs/cc", "-c", "-o", "prog.o", "prog.c"]}]' > %t/a/compile_commands.json
// RUN: echo '[{"directory": "%t", "file": "%t/prog.c", "command": "cc -DWHO=\\\"command\\\" -I%S/inputs/cc -c prog.c -o prog.o"}]' > %t/b/compile_commands.json
// RUN: %kjit -p %t/a %t/prog.c | FileCheck --check-prefix=A %s
// RUN: %kjit -p %t/b %t/prog.c | FileCheck --check-prefix=B %s
// RUN: echo '[{"directory": ' > %t/a/compile_commands.json
// RUN: %exit %kjit -p %t/a %t/prog.c 2>&1 | FileCheck --check-prefix=BAD %s
// A: hello from a header, by arguments
// B: hello from a header, by command
// BAD: kjit: error: -p {{.*}}: {{.*}}compile_commands.json is not a compilation database
// BAD: exit: 1
#include <stdio.h>
#include "greet.h"
int main(void) {
    printf("%s, by %s\n", GREETING, WHO);
    return 0;
}
