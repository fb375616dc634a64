// A warm run of an unchanged program does not load LLVM (issue K2, item
// 3): the module is added from its plan and every object comes from the
// cache, linked by kjit itself (own_linked).  A later run that calls a
// function no run compiled loads LLVM then, reads the module, and compiles
// it; its output is the program's.  (--ahead=off: else the ahead thread
// would compile `rare` in the first run, from main's call graph; lazy-ir
// and eager make IR at definition, so the test asks for the default mode.)
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=on %kjit --jit=tiered --cache-dir=%t/c --ahead=off --stats=json %t/p.bc > %t/1 2> %t/s1
// RUN: env KJIT_CACHE=on %kjit --jit=tiered --cache-dir=%t/c --ahead=off --stats=json %t/p.bc > %t/2 2> %t/s2
// RUN: env KJIT_CACHE=on %kjit --jit=tiered --cache-dir=%t/c --ahead=off --stats=json %t/p.bc -- rare > %t/3 2> %t/s3
// RUN: env KJIT_CACHE=on KJIT_OWN_LINK=0 %kjit --jit=tiered --cache-dir=%t/c --ahead=off --stats=json %t/p.bc > %t/4 2> %t/s4
// RUN: FileCheck --check-prefix=OUT %s < %t/1
// RUN: FileCheck --check-prefix=OUT %s < %t/2
// RUN: FileCheck --check-prefix=OUT %s < %t/4
// RUN: FileCheck --check-prefixes=OUT,RARE %s < %t/3
// RUN: FileCheck --check-prefix=COLD %s < %t/s1
// RUN: FileCheck --check-prefix=WARM %s < %t/s2
// RUN: FileCheck --check-prefix=LATE %s < %t/s3
// RUN: FileCheck --check-prefix=ORC %s < %t/s4
// COLD: "llvm_setup_us":{{[1-9]}}
// COLD-SAME: "cache_hits":0,
// WARM: "llvm_setup_us":0,
// WARM-SAME: "cache_hits":{{[1-9]}}
// WARM-SAME: "own_linked":{{[1-9]}}
// LATE: "llvm_setup_us":{{[1-9]}}
// LATE-SAME: "own_linked":{{[1-9]}}
// ORC: "llvm_setup_us":{{[1-9]}}
// ORC-SAME: "own_linked":0}
#include <stdio.h>
#include <string.h>

static int counter = 40;                 /* a variable, in the module's data */
static const char *names[] = {"zero", "one", "two", "three", "four", "five"};
static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
static int (*ops[])(int) = {twice, thrice}; /* function pointers in data: stubs */

__attribute__((noinline)) static const char *kind(int n) {
    switch (n) { /* a jump table in read-only data */
    case 0: return "none";
    case 1: return "single";
    case 2: return "pair";
    case 3: return "triple";
    case 4: return "quad";
    case 5: return "five";
    default: return "many";
    }
}

__attribute__((noinline)) int rare(int x) { return x * 1000 + counter; }

int main(int argc, char **argv) {
    counter += 2;
    int sum = 0;
    for (int i = 0; i < 6; i++) sum += ops[i & 1](i);
    printf("%s %d %s\n", names[3], counter, kind(argc + 1));
    printf("sum %d\n", sum);
    fprintf(stdout, "len %zu\n", strlen(names[5]));
    if (argc > 1 && strcmp(argv[1], "rare") == 0) printf("rare %d\n", rare(7));
    return 0;
}
// 2*0 + 3*1 + 2*2 + 3*3 + 2*4 + 3*5 = 39; argc is 1 ("pair"), or 2 ("triple")
// OUT: three 42 {{pair|triple}}
// OUT-NEXT: sum 39
// OUT-NEXT: len 4
// RARE-NEXT: rare 7042
