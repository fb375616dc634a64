/*
 * kj_arch.h — the architecture interface: every machine-code encoding that
 * libkjit writes or runs lives behind it, one file per architecture
 * (kj_arch_x86_64.c now).
 *
 * A function's entry is a *stub*: an indirect jump through a pointer *slot*.
 * Until the function has code, its slot points at the function's *lazy
 * entry*, which loads the slot's address into a scratch register and jumps to
 * the shared *re-entry trampoline*.  The trampoline saves every argument
 * register, calls kj_lazy_resolve(slot) — which returns the address to run —
 * restores the registers and tail-jumps there, so the original call proceeds
 * as if it had gone straight to the body.
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

/* Implemented by the JIT core: called by the trampoline with the slot of the
 * function being entered; returns the address to jump to. */
void *kj_lazy_resolve(void **slot) __attribute__((visibility("hidden")));

#endif
