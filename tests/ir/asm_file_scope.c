/* asm_file_scope.c — functions written in file-scope (module-level)
 * assembly, called from C: a leaf function and one that calls back into a
 * JIT'd C function.  x86-64 and AArch64 variants; plain C elsewhere. */
#include <stdio.h>

#include "check.h"

long kjit_test_triple_plus(long a, long b); /* 3 * a + b */
long kjit_test_call_twice(long (*f)(long), long x); /* f(f(x)) */

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl kjit_test_triple_plus\n"
        ".type kjit_test_triple_plus, @function\n"
        "kjit_test_triple_plus:\n\t"
        "leaq (%rdi,%rdi,2), %rax\n\t"
        "addq %rsi, %rax\n\t"
        "ret\n"
        ".size kjit_test_triple_plus, .-kjit_test_triple_plus\n"
        ".globl kjit_test_call_twice\n"
        ".type kjit_test_call_twice, @function\n"
        "kjit_test_call_twice:\n\t"
        "pushq %rbx\n\t"
        "movq %rdi, %rbx\n\t"
        "movq %rsi, %rdi\n\t"
        "callq *%rbx\n\t"
        "movq %rax, %rdi\n\t"
        "callq *%rbx\n\t"
        "popq %rbx\n\t"
        "ret\n"
        ".size kjit_test_call_twice, .-kjit_test_call_twice\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl kjit_test_triple_plus\n"
        ".type kjit_test_triple_plus, %function\n"
        "kjit_test_triple_plus:\n\t"
        "add x0, x0, x0, lsl #1\n\t"
        "add x0, x0, x1\n\t"
        "ret\n"
        ".size kjit_test_triple_plus, .-kjit_test_triple_plus\n"
        ".globl kjit_test_call_twice\n"
        ".type kjit_test_call_twice, %function\n"
        "kjit_test_call_twice:\n\t"
        "stp x29, x30, [sp, #-32]!\n\t"
        "str x19, [sp, #16]\n\t"
        "mov x19, x0\n\t"
        "mov x0, x1\n\t"
        "blr x19\n\t"
        "blr x19\n\t"
        "ldr x19, [sp, #16]\n\t"
        "ldp x29, x30, [sp], #32\n\t"
        "ret\n"
        ".size kjit_test_call_twice, .-kjit_test_call_twice\n");
#else
long kjit_test_triple_plus(long a, long b) { return 3 * a + b; }
long kjit_test_call_twice(long (*f)(long), long x) { return f(f(x)); }
#endif

static long add_ten(long x) { return x + 10; }

int main(void) {
    long t = kjit_test_triple_plus(5, 7);
    long c = kjit_test_call_twice(add_ten, 1);
    CHECK_EQ(t, 22);
    CHECK_EQ(c, 21);
    printf("file-scope asm: %ld %ld\n", t, c);
    return check_done();
}
