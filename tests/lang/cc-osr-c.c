// On-stack replacement of C frames (kj_osr.c): a function entered once
// whose loop runs long (main's, and spin's, called once from main) moves
// from its T1 code into a continuation compiled at T2's level while it
// runs, once its activation has passed the loop's header 1024 times.  The
// frame's arrays (their addresses are live across the move), a struct
// returned and an inner loop go across.  A computed goto's loop does not
// move: its live target would be one of the T1 code's blocks.
// --tier-sync makes the compile happen at the ask, so the move is not
// timing.  KJIT_OSR_C=0 is the control: no move, same output.
// REQUIRES: default-mode
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir %t
// RUN: clang-19 -O2 %s -o %t/native && %t/native > %t/expected
// RUN: clang-19 -O2 -c -emit-llvm %s -o %t/p.bc
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 %kjit --t1=fast --tier-sync %t/p.bc > %t/out1 2> %t/trace1
// RUN: env KJIT_CACHE=off KJIT_TRACE=1 KJIT_OSR_C=0 %kjit --t1=fast --tier-sync %t/p.bc > %t/out2 2> %t/trace2
// RUN: diff %t/expected %t/out1
// RUN: diff %t/expected %t/out2
// RUN: FileCheck --check-prefix=OSR %s < %t/trace1
// RUN: FileCheck --check-prefix=NONE %s < %t/trace2
// RUN: FileCheck --check-prefix=GOTO %s < %t/trace1
// OSR: compiled spin [osr]
// OSR: installed spin [osr]
// OSR: compiled main [osr]
// OSR: installed main [osr]
// NONE-NOT: [osr]
// GOTO: installed interp [T2]
// GOTO-NOT: installed interp [osr]
#include <stdio.h>
#include <string.h>

typedef struct { long sum; double mean; int last; } stats;

/* Called once: its outer loop runs 4000 times, each an inner loop over an
 * array in its own frame. */
__attribute__((noinline)) stats spin(int rounds) {
    long buf[256];
    long *at = buf + 3; /* (an address into the T1 frame, live across) */
    memset(buf, 0, sizeof buf);
    stats s = {0, 0, 0};
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 256; i++) buf[i] += (i ^ r) & 15;
        s.sum += buf[r & 255] + *at;
        s.last = r;
    }
    s.mean = (double)s.sum / rounds;
    return s;
}

/* A loop of computed gotos, through a table of label addresses. */
__attribute__((noinline)) long interp(const unsigned char *code, long n) {
    static const void *const ops[] = {&&inc, &&dbl, &&dec, &&loop};
    long acc = 1, left = n;
    const unsigned char *pc = code;
    goto *ops[*pc];
inc:
    acc += 3, pc++;
    goto *ops[*pc];
dbl:
    acc = (acc * 2) % 1000003, pc++;
    goto *ops[*pc];
dec:
    acc -= 1, pc++;
    goto *ops[*pc];
loop:
    if (--left == 0) return acc;
    pc = code;
    goto *ops[*pc];
}

int main(void) {
    stats s = spin(4000);
    printf("spin %ld %.3f %d\n", s.sum, s.mean, s.last);
    static const unsigned char code[] = {0, 1, 2, 1, 0, 3};
    printf("interp %ld\n", interp(code, 300000));
    double grid[64];
    for (int i = 0; i < 64; i++) grid[i] = i * 0.25;
    double t = 0;
    for (int it = 0; it < 20000; it++) { /* (main: entered once) */
        for (int i = 1; i < 63; i++) t += grid[i - 1] * grid[i + 1] * (it & 7);
        grid[it & 63] += 0.5;
    }
    printf("main %.2f\n", t);
    return 0;
}
