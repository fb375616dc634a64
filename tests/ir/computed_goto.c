/* computed_goto.c — labels as values: a small bytecode interpreter that
 * dispatches with `goto *`, its label table both in a static array (label
 * addresses in a global initialiser) and computed at run time; run often
 * enough to get hot. */
#include <stdio.h>

#include "check.h"

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, OVER, DROP, JNZ, DEC, PRINT, HALT, NOPS };

/* A stack machine.  Returns the top of the stack at HALT. */
__attribute__((noinline)) static long run(const int *code, int print) {
    static const void *const dispatch[NOPS] = {&&op_push, &&op_add,  &&op_sub, &&op_mul,
                                               &&op_dup,  &&op_swap, &&op_over, &&op_drop,
                                               &&op_jnz,  &&op_dec,  &&op_print, &&op_halt};
    long stack[64];
    int sp = 0;
    const int *pc = code;
#define NEXT goto *dispatch[*pc++]
    NEXT;
op_push:
    stack[sp++] = *pc++;
    NEXT;
op_add:
    sp--, stack[sp - 1] += stack[sp];
    NEXT;
op_sub:
    sp--, stack[sp - 1] -= stack[sp];
    NEXT;
op_mul:
    sp--, stack[sp - 1] *= stack[sp];
    NEXT;
op_dup:
    stack[sp] = stack[sp - 1], sp++;
    NEXT;
op_swap : {
    long t = stack[sp - 1];
    stack[sp - 1] = stack[sp - 2];
    stack[sp - 2] = t;
    NEXT;
}
op_over:
    stack[sp] = stack[sp - 2], sp++;
    NEXT;
op_drop:
    sp--;
    NEXT;
op_jnz : {
    int target = *pc++;
    if (stack[--sp]) pc = code + target;
    NEXT;
}
op_dec:
    stack[sp - 1]--;
    NEXT;
op_print:
    if (print) printf("  %ld\n", stack[sp - 1]);
    NEXT;
op_halt:
    return sp ? stack[sp - 1] : 0;
#undef NEXT
}

/* The label table built in the function, each call. */
__attribute__((noinline)) static int classify(int n) {
    void *where[] = {&&zero, &&one, &&many};
    int r = 0;
    goto *where[n < 2 ? n : 2];
zero:
    r += 1;
one:
    r += 10;
    return r;
many:
    return 100 + n;
}

/* factorial(n), with the stack [acc n]: acc *= n; n-- while n != 0 */
static const int factorial[] = {PUSH, 1, PUSH, 0, /* n patched in */
                                /* 4: */ PUSH, 0, ADD, DUP, DROP, /* no-ops */
                                SWAP, OVER, MUL, SWAP, DEC, DUP, JNZ, 4, DROP, HALT};

int main(void) {
    int prog[sizeof factorial / sizeof factorial[0]];
    long total = 0;
    for (int n = 1; n <= 20; n++) {
        for (unsigned i = 0; i < sizeof prog / sizeof prog[0]; i++) prog[i] = factorial[i];
        prog[3] = n;
        long f = run(prog, 0);
        if (n <= 5 || n == 20) printf("%d! = %ld\n", n, f);
        total += f;
    }
    CHECK_EQ(run((int[]){PUSH, 3, PUSH, 4, MUL, PUSH, 5, SUB, HALT}, 0), 7);

    /* Count down from 5, printing each value. */
    int countdown[] = {PUSH, 5, /* 2: */ PRINT, DEC, DUP, JNZ, 2, HALT};
    printf("countdown:\n");
    CHECK_EQ(run(countdown, 1), 0);

    /* Hot: the interpreter runs a loop of 1000 iterations, 2000 times. */
    int loop[] = {PUSH, 0, PUSH, 1000, /* 4: */ SWAP, PUSH, 3, ADD, SWAP, DEC, DUP, JNZ, 4, DROP, HALT};
    long hot = 0;
    for (int i = 0; i < 2000; i++) hot += run(loop, 0);
    CHECK_EQ(hot, 2000L * 3000);
    CHECK_EQ(classify(0), 11);
    CHECK_EQ(classify(1), 10);
    CHECK_EQ(classify(7), 107);
    printf("sum of factorials 1..20: %ld, hot loop: %ld, classify: %d %d %d\n", total, hot,
           classify(0), classify(1), classify(7));
    return check_done();
}
