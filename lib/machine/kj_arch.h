/*
 * kj_arch.h — the architecture interface: every machine-code encoding that
 * libkjit writes or runs lives behind it, one file per architecture
 * (kj_arch_x86_64.c, kj_arch_aarch64.c; the build compiles the target's).
 *
 * A function's entry is a *stub*: an indirect jump through a pointer *slot*.
 * Until the function has code, its slot points at the function's *lazy
 * entry*, which loads the slot's address into a scratch register and jumps to
 * the shared *re-entry trampoline*.  The trampoline saves every argument
 * register, calls kj_stub_resolve(slot) — which returns the address to run —
 * restores the registers and tail-jumps there, so the original call proceeds
 * as if it had gone straight to the body.  For a function running at T0 the
 * resolver runs the call itself and the trampoline returns its result.
 */
#ifndef KJ_ARCH_H
#define KJ_ARCH_H
#include <stddef.h>
#include <stdint.h>

/* Bytes of one stub and of one lazy entry (both fit in these sizes). */
#define KJ_ARCH_STUB_SIZE 16
#define KJ_ARCH_LAZY_SIZE 16

/* Write at `at` a stub jumping through `slot`.  `at` is the final address of
 * the code (the page is writable now and becomes executable later). */
void kj_arch_emit_stub(uint8_t *at, void *const *slot);

/* Write at `at` a lazy entry for `slot`, jumping through `reentry_cell`
 * (a read-only word holding kj_arch_reentry_address()). */
void kj_arch_emit_lazy(uint8_t *at, void *const *slot, void *const *reentry_cell);

/* The shared re-entry trampoline. */
void *kj_arch_reentry_address(void);

/* A function that returns 0 in every return register: where a failed call
 * outside any kjit_run continues. */
void *kj_arch_fail_address(void);
/* fn(arg) run with the stack pointer at top (16-byte aligned), then back on
 * the caller's stack (kj_trap_on_stack: a compile on a small stack). */
void kj_arch_call_on_stack(void *top, void (*fn)(void *), void *arg);

/* The argument registers as the trampoline saved them, and the caller's
 * stack-passed arguments above them.  Scalar arguments (8-byte integers,
 * pointers, doubles) are classified the same way by the x86-64 SysV and the
 * AAPCS64 conventions: integers take the next general register, doubles the
 * next vector register, and once a class runs out, the next 8-byte stack
 * slot in order.  kj_t0.c unpacks by that rule through these accessors. */
typedef struct kj_arch_frame kj_arch_frame;
#if defined(__x86_64__)
#define KJ_ARCH_NGPR 6 /* rdi rsi rdx rcx r8 r9 */
#define KJ_ARCH_NFPR 8 /* xmm0-7 */
#elif defined(__aarch64__)
#define KJ_ARCH_NGPR 8 /* x0-x7 */
#define KJ_ARCH_NFPR 8 /* v0-v7 */
#endif
uint64_t kj_arch_frame_gpr(const kj_arch_frame *f, int k);
double kj_arch_frame_fpr(const kj_arch_frame *f, int k);
const uint64_t *kj_arch_frame_stack(const kj_arch_frame *f);
/* Make the trampoline return `bits` in the integer and the vector return
 * register (the caller reads the one its signature names). */
void kj_arch_frame_return(kj_arch_frame *f, uint64_t bits);

/* Called by the trampoline with the slot of the function being entered and
 * the saved registers (kj_stub.c: it calls the resolver the layer above
 * installed); returns the address to jump to, or NULL when it ran the call
 * itself and stored its result with kj_arch_frame_return. */
void *kj_stub_resolve(void **slot, kj_arch_frame *frame) __attribute__((visibility("hidden")));

#endif
