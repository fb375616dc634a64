// --ahead: when rarely() is compiled, never(), which it calls only for
// x > 100, is compiled on the background thread although nothing calls it
// (the program then sleeps long enough for that compile); rarely() itself
// is queued when main is compiled, and is compiled there too unless main
// calls it first.  That is the default too.  With --ahead=off and with
// KJIT_AHEAD=0 (which wins over the option), nothing is compiled before its
// first call.
// Values by hand: rarely(1) = 2.
// UNSUPPORTED: emulator
// REQUIRES: default-mode
// RUN: %kjit --ahead=on --stats=json %s 2>&1 | FileCheck %s --check-prefixes=OUT,ON
// RUN: env KJIT_AHEAD=1 %kjit --stats=json %s 2>&1 | FileCheck %s --check-prefixes=OUT,ON
// RUN: %kjit --stats=json %s 2>&1 | FileCheck %s --check-prefixes=OUT,ON
// RUN: %kjit --ahead=off --stats=json %s 2>&1 | FileCheck %s --check-prefixes=OUT,OFF
// RUN: env KJIT_AHEAD=0 %kjit --ahead=on --stats=json %s 2>&1 | FileCheck %s --check-prefixes=OUT,OFF
// OUT: 2
// ON: "compiled":3,{{.*}}"compiled_ahead":{{[12]}},"ahead_us":{{[1-9][0-9]*}},"ahead_failed":0,
// OFF: "compiled":2,{{.*}}"compiled_ahead":0,"ahead_us":0,"ahead_failed":0,
#include <stdio.h>
#include <unistd.h>

int never(int x) { return x * 3; }
int rarely(int x) { return x > 100 ? never(x) : x + 1; }

int main(void) {
    printf("%d\n", rarely(1));
    fflush(stdout);
    usleep(500000);
    return 0;
}
