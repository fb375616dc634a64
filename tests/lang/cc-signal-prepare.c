// A signal handler the program installs gets its code when it is
// installed, and so does every function it names, transitively (calls,
// an address it takes, and those of a constant table it reads):
// kjit_prepare, called by the command's
// sigaction and signal.  A handler's first call that interrupted the
// program inside malloc waited for malloc's lock for ever (a first call
// allocates).  So the trace shows the handler's functions compiled before
// work, which main calls first after installing it; before, they were
// compiled at the raise.  A function the handler only took the address of
// has its own callees compiled when it is installed in its turn.
// signal() under -std=c11 is glibc's __sysv_signal,
// whose handler installs itself again: from the handler, which finds its
// functions prepared and makes nothing (no IR made again after work's).
// --ahead=off: nothing is compiled ahead, so the order is the calls'.
// A warm run (the code cache) prepares from cached code, same output,
// and from the cached names of what each function names: it makes no IR
// and loads no LLVM (before, it made the handler's IR again to read them).
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/action.bc
// RUN: clang-19 -O2 -std=c11 -DUSE_SIGNAL -c -emit-llvm %s -o %t/signal.bc
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --ahead=off %t/action.bc > %t/out1 2> %t/trace1
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --ahead=off %t/signal.bc > %t/out2 2> %t/trace2
// RUN: env KJIT_CACHE=on KJIT_CACHE_FINISH=0 %kjit --cache-dir=%t/c --ahead=off %t/action.bc > %t/out3
// RUN: env KJIT_CACHE=on KJIT_CACHE_FINISH=0 KJIT_TRACE=1 %kjit --cache-dir=%t/c --ahead=off --stats=json %t/action.bc > %t/out4 2> %t/trace4
// RUN: diff %t/expected %t/out1
// RUN: diff %t/expected %t/out2
// RUN: diff %t/expected %t/out3
// RUN: diff %t/expected %t/out4
// RUN: FileCheck %s < %t/trace1
// RUN: FileCheck %s < %t/trace2
// RUN: FileCheck %s < %t/trace4
// RUN: FileCheck --check-prefix=WARM %s < %t/trace4
// WARM: "ir_generated":0,
// WARM: "llvm_setup_us":0,
// WARM: "cache_hits":13,
// CHECK-DAG: compiled on_usr1{{.*}} [T1]
// CHECK-DAG: compiled bump{{.*}} [T1]
// CHECK-DAG: compiled leaf{{.*}} [T1]
// CHECK-DAG: compiled noted{{.*}} [T1]
// CHECK-DAG: compiled ta [T1]
// CHECK-DAG: compiled tb [T1]
// CHECK-DAG: compiled tc [T1]
// CHECK: compiled work{{.*}} [T1]
// CHECK-NOT: ir on_usr1
// CHECK: compiled deep [T1]
// CHECK: compiled work2 [T1]
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile int got;
__attribute__((noinline)) int leaf(int x) { return x * 3 + 1; }
__attribute__((noinline)) int bump(int x) { return leaf(x) + 2; }
static void (*volatile later)(void);
__attribute__((noinline)) void noted(void) { got += 100; }

__attribute__((noinline)) void ta(void) { got += 1000; }
__attribute__((noinline)) void tb(void) { got += 2000; }
__attribute__((noinline)) void tc(void) { got += 4000; }
static void (*const table[3])(void) = {ta, tb, tc}; /* (its functions: from the module) */

/* Given code only, as an address on_usr1 takes; installed as a handler
 * later, deep gets its code then, before work2. */
__attribute__((noinline)) int deep(int x) { return x + 5; }
static void on_usr2(int s) { got += deep(s); }
static void (*volatile second)(int);

static void on_usr1(int s) {
#ifdef USE_SIGNAL
    signal(SIGUSR1, on_usr1); /* (System V's signal resets it: installed again, from here) */
#endif
    got += bump(s);
    table[s % 3]();
    later = noted; /* (an address taken: noted gets its code too) */
    second = on_usr2;
}

__attribute__((noinline)) int work2(int n) { return n * 2; }

__attribute__((noinline)) int work(int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += i;
    return s;
}

int main(void) {
#ifdef USE_SIGNAL
    signal(SIGUSR1, on_usr1);
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
#endif
    printf("work %d\n", work(10));
    raise(SIGUSR1);
    raise(SIGUSR1);
    later();
#ifdef USE_SIGNAL
    signal(SIGUSR2, second);
#else
    sa.sa_handler = second;
    sigaction(SIGUSR2, &sa, 0);
#endif
    printf("work2 %d\n", work2(4));
    raise(SIGUSR2);
    printf("got %d\n", got);
    return 0;
}
