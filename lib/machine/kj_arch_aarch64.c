/*
 * kj_arch_aarch64.c — AAPCS64 (Linux) encodings of stubs, lazy entries and
 * the re-entry trampoline (see kj_arch.h for their roles).
 *
 *   stub:        d503245f             bti  c
 *                1xxxxxx0             adr  x16, slot
 *                c8dffe10             ldar x16, [x16]
 *                d61f0200             br   x16
 *   lazy entry:  d503245f             bti  c
 *                1xxxxxx1             adr  x17, slot
 *                58xxxxx0             ldr  x16, reentry_cell  (PC-relative literal)
 *                d61f0200             br   x16
 *
 * The stub reads its slot with a load-acquire, where `ldr x16, slot` would
 * be one instruction shorter.  A slot is repointed by a release store once
 * the new code and its data (constants, GOT entries) are written; on x86-64
 * every load is an acquire, but an aarch64 core may perform the new code's
 * loads of that data before the load of the slot that led there (it may
 * predict the branch's target), and see them stale.  The acquire orders
 * them after it, as kj_stub_target does for the C callers (kj_t0.c).  The
 * reentry cell is written once, before the block is handed out: a plain
 * literal load suffices there.
 *
 * x16 and x17 are the intra-procedure-call scratch registers: no argument
 * travels in them, so a stub and a lazy entry may use them freely (as a
 * linker's veneer or PLT entry does).  adr and literal loads reach ±1 MiB:
 * a stub block's code and data pages (kj_stub.c) are one mapping of a few
 * pages, however large a page is (pcrel() checks the reach anyway).
 *
 * `bti c` starts everything that may be reached by an indirect branch: a stub
 * (called through a function pointer, or through a linker's `br x16`), a
 * lazy entry (reached by the stub's `br x16`), the trampoline and the fail
 * function.  It is a hint, a no-op where BTI is off (Debian's libc and
 * LLVM enable none, so nothing here can check it).  Pointer authentication
 * asks only that x30 come back unchanged, which the trampoline guarantees.
 *
 * The trampoline is ordinary text of libkjit (never written at run time).
 * It preserves the argument registers x0-x7 and v0-v7 (all 128 bits: a
 * vector argument fills one), x8 (the address of an indirect result), x18
 * (LLVM's `nest` static chain on aarch64-linux), x29/x30, and sp exactly,
 * which leaves the caller's stack-passed arguments where they were.
 * Variadic calls use the same registers and need nothing more (there is no
 * count register, as %al is on x86-64).
 *
 * Layer machine (lib/LAYERS): calls only lib/base.
 */
#if defined(__aarch64__)
#if defined(__AARCH64EB__)
#error "kjit: big-endian aarch64 is not supported"
#endif
#include <stdlib.h>
#include <string.h>
#include "machine/kj_arch.h"

#define A64_BTI_C 0xd503245fu
#define A64_LDAR_X16_X16 0xc8dffe10u /* ldar x16, [x16] */
#define A64_BR_X16 0xd61f0200u

static void put32(uint8_t *at, uint32_t insn) { memcpy(at, &insn, 4); }

/* The signed displacement target - pc in `bits` bits after dropping `shift`
 * low bits.  Slots and cells live in the same mapping as the code, so it
 * always fits; an encoding that does not would jump somewhere else, so it is
 * an internal error, never a silent truncation. */
static uint32_t pcrel(const uint8_t *pc, const void *target, int bits, int shift) {
    intptr_t d = (intptr_t)target - (intptr_t)pc;
    intptr_t lim = (intptr_t)1 << (bits + shift - 1);
    if (d < -lim || d >= lim || (d & ((1 << shift) - 1))) abort();
    return (uint32_t)(d >> shift) & (((uint32_t)1 << bits) - 1);
}

/* ldr xRt, label */
static uint32_t ldr_lit(const uint8_t *pc, const void *target, unsigned rt) {
    return 0x58000000u | pcrel(pc, target, 19, 2) << 5 | rt;
}

/* adr xRd, label: 21 bits, the low two in immlo (bits 29-30). */
static uint32_t adr(const uint8_t *pc, const void *target, unsigned rd) {
    uint32_t imm = pcrel(pc, target, 21, 0);
    return 0x10000000u | (imm & 3) << 29 | (imm >> 2) << 5 | rd;
}

void kj_arch_emit_stub(uint8_t *at, void *const *slot) {
    put32(at, A64_BTI_C);
    put32(at + 4, adr(at + 4, slot, 16));
    put32(at + 8, A64_LDAR_X16_X16);
    put32(at + 12, A64_BR_X16);
}

void kj_arch_emit_lazy(uint8_t *at, void *const *slot, void *const *reentry_cell) {
    put32(at, A64_BTI_C);
    put32(at + 4, adr(at + 4, slot, 17));
    put32(at + 8, ldr_lit(at + 8, reentry_cell, 16));
    put32(at + 12, A64_BR_X16);
}

/* Frame of the trampoline, from the entry sp down (224 bytes, so sp stays
 * 16-byte aligned as AAPCS64 requires at every instruction):
 *   sp+224 ...: the caller's stack-passed arguments (untouched)
 *   sp+208: x29, x30 (a frame record; x29 points at it)
 *   sp+192: x8, x18
 *   sp+128: x0 .. x7
 *   sp+0:   q0 .. q7
 * kj_stub_resolve(slot, frame) gets sp as `frame` (struct kj_arch_frame
 * below, the same bytes seen from C).  It returns where the call goes on, or
 * NULL when it ran the call itself: then the trampoline returns to the
 * caller with the result it stored in the frame's x0 and d0.  The CFA is
 * sp+224 throughout the body, so a debugger or unwinder can walk through. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl kj_aarch64_reentry\n"
    ".hidden kj_aarch64_reentry\n"
    ".type kj_aarch64_reentry,%function\n"
    "kj_aarch64_reentry:\n"
    "  .cfi_startproc\n"
    "  bti c\n"
    "  sub sp, sp, #224\n"
    "  .cfi_def_cfa_offset 224\n"
    "  stp x29, x30, [sp, #208]\n"
    "  .cfi_offset x29, -16\n"
    "  .cfi_offset x30, -8\n"
    "  add x29, sp, #208\n"
    "  stp x0, x1, [sp, #128]\n  stp x2, x3, [sp, #144]\n"
    "  stp x4, x5, [sp, #160]\n  stp x6, x7, [sp, #176]\n"
    "  stp x8, x18, [sp, #192]\n"
    "  stp q0, q1, [sp, #0]\n  stp q2, q3, [sp, #32]\n"
    "  stp q4, q5, [sp, #64]\n  stp q6, q7, [sp, #96]\n"
    "  mov x0, x17\n"
    "  mov x1, sp\n"
    "  bl kj_stub_resolve\n"
    "  cbz x0, 1f\n"
    "  mov x16, x0\n"
    "  ldp q0, q1, [sp, #0]\n  ldp q2, q3, [sp, #32]\n"
    "  ldp q4, q5, [sp, #64]\n  ldp q6, q7, [sp, #96]\n"
    "  ldp x0, x1, [sp, #128]\n  ldp x2, x3, [sp, #144]\n"
    "  ldp x4, x5, [sp, #160]\n  ldp x6, x7, [sp, #176]\n"
    "  ldp x8, x18, [sp, #192]\n"
    "  .cfi_remember_state\n"
    "  ldp x29, x30, [sp, #208]\n"
    "  add sp, sp, #224\n"
    "  .cfi_def_cfa_offset 0\n"
    "  .cfi_restore x29\n"
    "  .cfi_restore x30\n"
    "  br x16\n"
    /* NULL: the call was run here (T0); return the value kj_stub_resolve
     * left in the saved x0 and q0. */
    "1:\n"
    "  .cfi_restore_state\n"
    "  ldr q0, [sp, #0]\n"
    "  ldr x0, [sp, #128]\n"
    "  ldp x29, x30, [sp, #208]\n"
    "  add sp, sp, #224\n"
    "  .cfi_def_cfa_offset 0\n"
    "  .cfi_restore x29\n"
    "  .cfi_restore x30\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size kj_aarch64_reentry, .-kj_aarch64_reentry\n"
    "\n"
    ".p2align 4\n"
    ".globl kj_aarch64_fail\n"
    ".hidden kj_aarch64_fail\n"
    ".type kj_aarch64_fail,%function\n"
    "kj_aarch64_fail:\n"
    "  bti c\n"
    "  mov x0, #0\n"
    "  mov x1, #0\n"
    "  movi v0.2d, #0\n"
    "  movi v1.2d, #0\n"
    "  ret\n"
    ".size kj_aarch64_fail, .-kj_aarch64_fail\n");

/* kj_arch_call_on_stack(top, fn, arg): fn(arg) with sp at top (16-byte
 * aligned), back on the caller's stack after.  x29 keeps the caller's
 * frame record, so the CFI (CFA = x29 + 16) walks from fn back. */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl kj_arch_call_on_stack\n"
    ".hidden kj_arch_call_on_stack\n"
    ".type kj_arch_call_on_stack,%function\n"
    "kj_arch_call_on_stack:\n"
    "  .cfi_startproc\n"
    "  bti c\n"
    "  stp x29, x30, [sp, #-16]!\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset x29, -16\n"
    "  .cfi_offset x30, -8\n"
    "  mov x29, sp\n"
    "  .cfi_def_cfa x29, 16\n"
    "  mov sp, x0\n"
    "  mov x0, x2\n"
    "  blr x1\n"
    "  mov sp, x29\n"
    "  .cfi_def_cfa sp, 16\n"
    "  ldp x29, x30, [sp], #16\n"
    "  .cfi_def_cfa_offset 0\n"
    "  .cfi_restore x29\n"
    "  .cfi_restore x30\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size kj_arch_call_on_stack, .-kj_arch_call_on_stack\n");

extern char kj_aarch64_reentry[] __attribute__((visibility("hidden")));
extern char kj_aarch64_fail[] __attribute__((visibility("hidden")));

struct kj_arch_frame {
    double q[8][2]; /* v0-v7, all 128 bits */
    uint64_t x[8];  /* x0-x7 */
    uint64_t x8, x18;
    uint64_t fp, lr;
    uint64_t stack[]; /* the caller's stack-passed arguments */
};
_Static_assert(__builtin_offsetof(struct kj_arch_frame, x) == 128, "frame layout");
_Static_assert(__builtin_offsetof(struct kj_arch_frame, x8) == 192, "frame layout");
_Static_assert(__builtin_offsetof(struct kj_arch_frame, stack) == 224, "frame layout");

uint64_t kj_arch_frame_gpr(const kj_arch_frame *f, int k) { return f->x[k]; }
double kj_arch_frame_fpr(const kj_arch_frame *f, int k) { return f->q[k][0]; }
const uint64_t *kj_arch_frame_stack(const kj_arch_frame *f) { return f->stack; }
void kj_arch_frame_return(kj_arch_frame *f, uint64_t bits) {
    f->x[0] = bits;
    memcpy(&f->q[0][0], &bits, 8);
}

void *kj_arch_reentry_address(void) { return (void *)kj_aarch64_reentry; }
void *kj_arch_fail_address(void) { return (void *)kj_aarch64_fail; }

#else
#error "kjit: kj_arch_aarch64.c is for aarch64 (CMakeLists.txt builds the file of the target)"
#endif
