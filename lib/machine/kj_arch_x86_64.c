/*
 * kj_arch_x86_64.c — x86-64 SysV encodings of stubs, lazy entries and the
 * re-entry trampoline (see kj_arch.h for their roles).
 *
 *   stub:        ff 25 <rel32>        jmp  *slot(%rip)
 *   lazy entry:  4c 8d 1d <rel32>     lea  slot(%rip), %r11
 *                ff 25 <rel32>        jmp  *reentry_cell(%rip)
 *
 * The trampoline is ordinary text of libkjit (never written at run time).
 * It preserves the argument registers rdi rsi rdx rcx r8 r9 and xmm0-7, plus
 * rax (the vararg count) and r10 (the static chain), keeps the stack 16-byte
 * aligned for the call into C, and leaves the caller's stack-passed arguments
 * where they were: it restores %rsp exactly before the tail jump.
 *
 * Layer machine (lib/LAYERS): calls only lib/base.
 */
#if defined(__x86_64__)
#include <string.h>
#include "machine/kj_arch.h"

static void put_rel32(uint8_t *at, const uint8_t *next_insn, const void *target) {
    intptr_t d = (intptr_t)target - (intptr_t)next_insn;
    int32_t r = (int32_t)d;
    /* Slots and cells live in the same mapping as the code: always near. */
    memcpy(at, &r, 4);
}

void kj_arch_emit_stub(uint8_t *at, void *const *slot) {
    memset(at, 0xcc, KJ_ARCH_STUB_SIZE); /* int3 padding */
    at[0] = 0xff;
    at[1] = 0x25;
    put_rel32(at + 2, at + 6, slot);
}

void kj_arch_emit_lazy(uint8_t *at, void *const *slot, void *const *reentry_cell) {
    memset(at, 0xcc, KJ_ARCH_LAZY_SIZE);
    at[0] = 0x4c; /* lea rel32(%rip), %r11 */
    at[1] = 0x8d;
    at[2] = 0x1d;
    put_rel32(at + 3, at + 7, slot);
    at[7] = 0xff; /* jmp *rel32(%rip) */
    at[8] = 0x25;
    put_rel32(at + 9, at + 13, reentry_cell);
}

/* Frame of the trampoline, from the new %rbp down:
 *   rbp+16 ...: the caller's stack-passed arguments (untouched)
 *   rbp+8: return address of the original call (untouched)
 *   rbp-8 .. rbp-64: rdi rsi rdx rcx r8 r9 rax r10
 *   rsp .. rsp+127:  xmm0-7
 * Entry %rsp is 8 mod 16; push rbp + 8 pushes + 128 bytes keep it 0 mod 16.
 * kj_stub_resolve(slot, frame) gets %rsp as `frame` (struct kj_arch_frame
 * below, the same bytes seen from C).  It returns where the call goes on, or
 * NULL when it ran the call itself: then the trampoline returns to the
 * caller with the result it stored in the frame's rax and xmm0. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl kj_x86_64_reentry\n"
    ".hidden kj_x86_64_reentry\n"
    ".type kj_x86_64_reentry,@function\n"
    "kj_x86_64_reentry:\n"
    "  .cfi_startproc\n"
    "  pushq %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  movq %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  pushq %rdi\n  pushq %rsi\n  pushq %rdx\n  pushq %rcx\n"
    "  pushq %r8\n  pushq %r9\n  pushq %rax\n  pushq %r10\n"
    "  subq $128, %rsp\n"
    "  movdqu %xmm0, 0(%rsp)\n  movdqu %xmm1, 16(%rsp)\n"
    "  movdqu %xmm2, 32(%rsp)\n  movdqu %xmm3, 48(%rsp)\n"
    "  movdqu %xmm4, 64(%rsp)\n  movdqu %xmm5, 80(%rsp)\n"
    "  movdqu %xmm6, 96(%rsp)\n  movdqu %xmm7, 112(%rsp)\n"
    "  movq %r11, %rdi\n"
    "  movq %rsp, %rsi\n"
    "  call kj_stub_resolve\n"
    "  testq %rax, %rax\n"
    "  jz 1f\n"
    "  movq %rax, %r11\n"
    "  movdqu 0(%rsp), %xmm0\n  movdqu 16(%rsp), %xmm1\n"
    "  movdqu 32(%rsp), %xmm2\n  movdqu 48(%rsp), %xmm3\n"
    "  movdqu 64(%rsp), %xmm4\n  movdqu 80(%rsp), %xmm5\n"
    "  movdqu 96(%rsp), %xmm6\n  movdqu 112(%rsp), %xmm7\n"
    "  addq $128, %rsp\n"
    "  popq %r10\n  popq %rax\n  popq %r9\n  popq %r8\n"
    "  popq %rcx\n  popq %rdx\n  popq %rsi\n  popq %rdi\n"
    "  popq %rbp\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  jmpq *%r11\n"
    /* NULL: the call was run here (T0); return the value kj_stub_resolve
     * left in the saved rax and xmm0. */
    "1:\n"
    "  .cfi_def_cfa %rbp, 16\n"
    "  movdqu 0(%rsp), %xmm0\n"
    "  movq 136(%rsp), %rax\n"
    "  leave\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size kj_x86_64_reentry, .-kj_x86_64_reentry\n"
    "\n"
    ".p2align 4\n"
    ".globl kj_x86_64_fail\n"
    ".hidden kj_x86_64_fail\n"
    ".type kj_x86_64_fail,@function\n"
    "kj_x86_64_fail:\n"
    "  xorl %eax, %eax\n"
    "  xorl %edx, %edx\n"
    "  pxor %xmm0, %xmm0\n"
    "  pxor %xmm1, %xmm1\n"
    "  ret\n"
    ".size kj_x86_64_fail, .-kj_x86_64_fail\n");

/* kj_arch_call_on_stack(top, fn, arg): fn(arg) with %rsp at top (16-byte
 * aligned), back on the caller's stack after.  %rbp keeps the caller's
 * frame, so the CFI (CFA = %rbp + 16) walks from fn back to the caller. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl kj_arch_call_on_stack\n"
    ".hidden kj_arch_call_on_stack\n"
    ".type kj_arch_call_on_stack,@function\n"
    "kj_arch_call_on_stack:\n"
    "  .cfi_startproc\n"
    "  pushq %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  movq %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  movq %rdi, %rsp\n"
    "  movq %rdx, %rdi\n"
    "  callq *%rsi\n"
    "  movq %rbp, %rsp\n"
    "  popq %rbp\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size kj_arch_call_on_stack, .-kj_arch_call_on_stack\n");

extern char kj_x86_64_reentry[] __attribute__((visibility("hidden")));
extern char kj_x86_64_fail[] __attribute__((visibility("hidden")));

struct kj_arch_frame {
    double xmm[8][2];
    uint64_t r10, rax, r9, r8, rcx, rdx, rsi, rdi;
    uint64_t rbp, ret;
    uint64_t stack[]; /* the caller's stack-passed arguments */
};
_Static_assert(__builtin_offsetof(struct kj_arch_frame, rax) == 136, "frame layout");

uint64_t kj_arch_frame_gpr(const kj_arch_frame *f, int k) {
    const uint64_t *r[KJ_ARCH_NGPR] = {&f->rdi, &f->rsi, &f->rdx, &f->rcx, &f->r8, &f->r9};
    return *r[k];
}
double kj_arch_frame_fpr(const kj_arch_frame *f, int k) { return f->xmm[k][0]; }
const uint64_t *kj_arch_frame_stack(const kj_arch_frame *f) { return f->stack; }
void kj_arch_frame_return(kj_arch_frame *f, uint64_t bits) {
    f->rax = bits;
    memcpy(&f->xmm[0][0], &bits, 8);
}

void *kj_arch_reentry_address(void) { return (void *)kj_x86_64_reentry; }
void *kj_arch_fail_address(void) { return (void *)kj_x86_64_fail; }

#else
#error "kjit: no stub encodings for this architecture yet (see kj_arch.h)"
#endif
