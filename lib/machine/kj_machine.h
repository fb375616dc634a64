/*
 * kj_machine.h — the machine layer (lib/machine): stubs and the re-entry
 * trampoline (kj_stub.h, kj_arch.h, one kj_arch_<arch>.c per architecture),
 * and protected runs with their run-time errors (kj_trap.c).  Calls only
 * lib/base.
 */
#ifndef KJ_MACHINE_H
#define KJ_MACHINE_H

#include "base/kj_types.h"
#include "machine/kj_arch.h"
#include "machine/kj_stub.h"

/* kj_trap.c: protected calls into JIT'd code and run-time errors. */
/* Run body(ctx) protected.  A run-time error in it returns its status,
 * with its message in kj_trap_message() and its frames in kj_trap_frames();
 * the caller names the frames, then reports it with kj_trap_report. */
kjit_status kj_trap_run(kjit_value (*body)(void *ctx), void *ctx, kjit_value *result);
const char *kj_trap_message(void);
/* A run-time error happened: count it, trace it, make it the thread's
 * error text, call the hook. */
void kj_trap_report(kjit *jit, kjit_status st, const char *msg);
/* Report a run-time error on this thread.  Inside kj_trap_run it does not
 * return (the running thunk is abandoned); outside, it calls the hook and
 * returns the address the failing call should continue at. */
void *kj_trap_raise(kjit *jit, kjit_status st, const char *msg);
/* A T0 activation, on its runner's C stack (kj_t0.c). */
typedef struct kj_act {
    struct kj_act *prev;
    const void *who;         /* its kj_fn; NULL for a top-level run */
    uintptr_t sp;            /* its runner's frame address */
    kjit_pos pos;            /* of the call it is making (kjit_call_at) */
} kj_act;
void kj_trap_act_enter(kj_act *a, const void *who, uintptr_t sp);
void kj_trap_act_leave(kj_act *a);
void kj_trap_act_at(const kjit_pos *pos); /* of the innermost activation */
/* A frame of the last error's chain, as recorded: a machine pc in JIT'd
 * code (the call's, not the return address), or a T0 activation. */
typedef struct kj_raw {
    uintptr_t sp, pc;
    const void *who;
    kjit_pos pos;
    int act;
} kj_raw;
#define KJ_RAW_KEEP 64       /* innermost and outermost frames kept */
/* The frames of the thread's last landed error, innermost first; *omitted
 * were left out between the first KJ_RAW_KEEP and the rest. */
size_t kj_trap_frames(const kj_raw **raw, size_t *omitted);
/* JIT'd code lies in [lo, hi) (libkjit's compiles say so, kj_compile.c):
 * the frames walked keep only pcs in the union of these ranges. */
void kj_trap_note_code(uintptr_t lo, uintptr_t hi);
int kj_trap_in_jit(uintptr_t pc);
/* Whether this thread has enough stack left to compile safely. */
int kj_trap_stack_ok(void);
/* Bytes of stack this thread has left (SIZE_MAX if unknown: off its own
 * stack, on a signal's or a coroutine's). */
size_t kj_trap_stack_left(void);
/* fn(arg): on this thread's stack if it has room for a compile, else (or
 * off it) on a stack of its own (a thread the program made small, a deep
 * recursion, a signal's alternate stack, a coroutine's). */
void kj_trap_on_stack(void (*fn)(void *), void *arg);

#endif
