/*
 * kj_t0.c — T0: running a function before any LLVM compile.
 *
 * A client may give a definition a T0 entry (kjit_def.t0): a C function that
 * runs the function from the client's own form of it (an interpreter, say),
 * receiving the arguments unpacked by the function's signature.  In tiered
 * and interp modes such a function is never compiled at its first call: it
 * runs at T0 and counts; once hot, the background compiler makes code for it
 * and repoints its stub (kj_tier.c).
 *
 * Every call still goes through the callee's stub, in all four directions:
 *   compiled → T0   stub → lazy entry → trampoline → kj_lazy_resolve →
 *                   kj_t0_enter: unpack the saved registers, run, and have
 *                   the trampoline return the result;
 *   T0 → T0         kjit_call reads the callee's slot; it still leads to the
 *                   lazy entry, so the T0 entry is called directly in C;
 *   T0 → compiled   kjit_call calls whatever the slot leads to, by
 *   T0 → host       signature (kj_t0_call_native);
 *   T0 → not yet compiled, undefined: kjit_call resolves as a first call
 *                   from compiled code would (kj_materialize, run-time error).
 *
 * Calling machine code by signature needs no assembly: every argument
 * register is filled (integers and pointers in the general registers in
 * order, doubles in the vector registers in order) and the rest go in
 * 8-byte stack slots in order, which is how both x86-64 SysV and AAPCS64
 * pass scalar arguments, whatever their interleaving; a callee ignores the
 * registers it does not read, and the caller pops what it pushed.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <string.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

/* ---- counting ---------------------------------------------------------------- */

/* n more entries or back-edges of fn at T0: queue it for compilation the
 * moment it becomes hot (tiered mode, and only if it can be compiled). */
static void count(kjit *jit, kj_fn *fn, int64_t n) {
    int64_t hot = jit->opts.hot_threshold;
    /* A relaxed load and store, not a locked add: this runs on every T0
     * call, and a count lost when threads race only delays a tier-up. */
    int64_t c = atomic_load_explicit(&fn->count, memory_order_relaxed);
    atomic_store_explicit(&fn->count, c + n, memory_order_relaxed);
    if (c >= hot || c + n < hot || jit->opts.mode != KJIT_MODE_TIERED) return;
    pthread_mutex_lock(&jit->lock);
    kj_tier_enqueue(jit, fn);
    pthread_mutex_unlock(&jit->lock);
    if (jit->opts.t2_sync) kj_tier_drain(jit);
}

/* ---- entering T0 ---------------------------------------------------------------- */

/* The T0 definition fn runs now, if any: NULL once it has code. */
static kj_t0def *t0_of(kj_fn *fn) {
    return atomic_load_explicit(&fn->t0, memory_order_acquire);
}

static _Thread_local kj_t0def *tls_current;

kj_t0def *kj_t0_current(void) { return tls_current; }
void kj_t0_set_current(kj_t0def *d) { tls_current = d; }

static kjit_value invoke(kjit *jit, kj_fn *fn, kj_t0def *d, const kjit_value *args) {
    if (!kj_trap_stack_ok()) {
        kj_trap_raise(jit, KJIT_ERUNTIME, "stack overflow");
        return (kjit_value){0}; /* outside kjit_run: the failing call returns 0 */
    }
    kj_safepoint_check(jit);
    count(jit, fn, 1);
    atomic_store_explicit(&jit->stats.run_t0,
                          atomic_load_explicit(&jit->stats.run_t0, memory_order_relaxed) + 1,
                          memory_order_relaxed); /* (as above: may miss a racing call) */
    kj_t0def *outer = tls_current;
    tls_current = d;
    kj_act act;
    kj_trap_act_enter(&act, fn, (uintptr_t)__builtin_frame_address(0));
    kjit_value r = d->fn(d->user, args);
    kj_trap_act_leave(&act);
    tls_current = outer;
    return r;
}

/* Unpack the arguments of a call by signature: each integer or pointer takes
 * the next general register, each double the next vector register, and when
 * its class has run out, the next stack slot. */
static void unpack(const kj_t0def *d, const kj_arch_frame *frame, kjit_value *args) {
    int ng = 0, nf = 0, ns = 0;
    const uint64_t *stack = kj_arch_frame_stack(frame);
    for (int k = 0; k < d->nparams; k++) {
        if (d->sig[2 + k] == 'd') {
            if (nf < KJ_ARCH_NFPR)
                args[k].d = kj_arch_frame_fpr(frame, nf++);
            else
                memcpy(&args[k], &stack[ns++], 8);
        } else {
            uint64_t v = ng < KJ_ARCH_NGPR ? kj_arch_frame_gpr(frame, ng++) : stack[ns++];
            memcpy(&args[k], &v, 8);
        }
    }
}

int kj_t0_enter(kj_fn *fn, kj_arch_frame *frame) {
    kj_t0def *d = t0_of(fn);
    if (!d) return 0;
    kjit_value args[KJ_MAX_PARAMS];
    unpack(d, frame, args);
    kjit_value r = invoke(fn->jit, fn, d, args);
    uint64_t bits;
    memcpy(&bits, &r, 8);
    kj_arch_frame_return(frame, bits);
    return 1;
}

/* ---- calling by signature ---------------------------------------------------- */

/* The general argument registers, as parameters of a C prototype. */
#if KJ_ARCH_NGPR == 6
#define KJ_GPARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define KJ_GARGS(g) g[0], g[1], g[2], g[3], g[4], g[5]
#else
#define KJ_GPARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define KJ_GARGS(g) g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
#endif
#define KJ_FPARAMS double, double, double, double, double, double, double, double
#define KJ_FARGS(f) f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
#define KJ_S8 uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define KJ_SARGS8(s, i) s[i], s[i + 1], s[i + 2], s[i + 3], s[i + 4], s[i + 5], s[i + 6], s[i + 7]
#define KJ_S64 KJ_S8, KJ_S8, KJ_S8, KJ_S8, KJ_S8, KJ_S8, KJ_S8, KJ_S8
#define KJ_SARGS64(s)                                                                    \
    KJ_SARGS8(s, 0), KJ_SARGS8(s, 8), KJ_SARGS8(s, 16), KJ_SARGS8(s, 24), KJ_SARGS8(s, 32), \
        KJ_SARGS8(s, 40), KJ_SARGS8(s, 48), KJ_SARGS8(s, 56)

kjit_value kj_t0_call_native(void *target, const char *sig, const kjit_value *args) {
    uint64_t g[KJ_ARCH_NGPR] = {0}, s[KJ_MAX_PARAMS] = {0};
    double f[KJ_ARCH_NFPR] = {0};
    int ng = 0, nf = 0, ns = 0;
    for (int k = 0; sig[2 + k] != ')'; k++) {
        uint64_t bits;
        memcpy(&bits, &args[k], 8);
        if (sig[2 + k] == 'd' && nf < KJ_ARCH_NFPR)
            f[nf++] = args[k].d;
        else if (sig[2 + k] != 'd' && ng < KJ_ARCH_NGPR)
            g[ng++] = bits;
        else
            s[ns++] = bits;
    }
    kjit_value r = {0};
    if (sig[0] == 'd') {
        if (ns <= 8)
            r.d = ((double (*)(KJ_GPARAMS, KJ_FPARAMS, KJ_S8))target)(KJ_GARGS(g), KJ_FARGS(f),
                                                                       KJ_SARGS8(s, 0));
        else
            r.d = ((double (*)(KJ_GPARAMS, KJ_FPARAMS, KJ_S64))target)(KJ_GARGS(g), KJ_FARGS(f),
                                                                        KJ_SARGS64(s));
    } else {
        uint64_t v;
        if (ns <= 8)
            v = ((uint64_t (*)(KJ_GPARAMS, KJ_FPARAMS, KJ_S8))target)(KJ_GARGS(g), KJ_FARGS(f),
                                                                       KJ_SARGS8(s, 0));
        else
            v = ((uint64_t (*)(KJ_GPARAMS, KJ_FPARAMS, KJ_S64))target)(KJ_GARGS(g), KJ_FARGS(f),
                                                                        KJ_SARGS64(s));
        if (sig[0] != 'v') memcpy(&r, &v, 8);
    }
    return r;
}

/* ---- the public calls ---------------------------------------------------------- */

kjit_value kjit_call(kjit_fn *handle, const kjit_value *args) {
    kj_fn *fn = (kj_fn *)handle;
    kjit *jit = fn->jit;
    void *target = kj_stub_target(fn->stub.slot);
    while (target == fn->stub.lazy) {
        kj_t0def *d = t0_of(fn);
        if (d) return invoke(jit, fn, d, args);
        /* Not compiled yet, a host function to bind, or undefined: what a
         * call from compiled code would do.  NULL: it has a T0 entry now. */
        target = kj_resolve(fn);
        if (target == kj_arch_fail_address()) return (kjit_value){0};
        if (!target) target = fn->stub.lazy;
    }
    if (!fn->sig[0]) return (kjit_value){0};
    if (fn->sig[0] == '*') { /* no signature to call it by */
        kj_set_error(KJIT_EINVAL, "kjit_call: '%s' has no signature (\"*\")", fn->name);
        return (kjit_value){0};
    }
    return kj_t0_call_native(target, fn->sig, args);
}

kjit_value kjit_call_at(kjit_fn *fn, const kjit_value *args, const kjit_pos *pos) {
    kj_trap_act_at(pos);
    return kjit_call(fn, args);
}
