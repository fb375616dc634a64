/*
 * kj_trap.c — protected calls into JIT'd code, run-time errors, and stack
 * overflow recovery.
 *
 * How a run-time error unwinds (see docs/DESIGN.md, "Run-time errors"):
 * kj_trap_run records a frame (a sigjmp_buf) in a thread-local list and calls
 * the thunk.  A run-time error is raised only from libkjit's own C code —
 * the re-entry path, after it has released every lock and left LLVM — or
 * from the SIGSEGV handler when the fault is a stack overflow in JIT'd code.
 * Either siglongjmps to the innermost frame.  The frames skipped are JIT'd
 * code (no destructors, no locks, no state of ours) and the trampoline.
 *
 * The chain of frames (kjit_error_frames): before it siglongjmps, a raise
 * records what is on the stack between it and the kj_trap_run frame — the
 * pcs of the machine frames (the unwinder, through the .eh_frame LLJIT
 * registers for JIT'd code and through the signal frame after a fault) and
 * the T0 activations (records kj_t0.c keeps on the C stack) — merged by
 * stack address, innermost first: the innermost and outermost
 * KJ_RAW_KEEP of each, with a count of those between.  Machine frames
 * outside every JIT'd object are left out as they are met.  Naming them is
 * done after the landing, by the layer that knows the code (kj_jit.c).
 * The re-entry trampoline has unwind information (.cfi directives in
 * kj_arch_*.c), so a raise from the re-entry path walks through it to the
 * JIT'd caller.
 *
 * Stack overflow: the handler runs on an alternate signal stack (one per
 * thread, set up on the thread's first kjit_run) and recognises a fault just
 * below the thread's stack as an overflow.  Any other fault is passed to the
 * handler that was installed before ours (or the default action).  The
 * re-entry path refuses to compile when little stack is left, so an overflow
 * never happens inside LLVM.
 *
 * Layer machine (lib/LAYERS): calls only lib/base.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"

typedef struct kj_frame {
    sigjmp_buf jb;
    struct kj_frame *prev;
    uintptr_t sp;            /* the kj_trap_run frame: what lies below is the run's */
    kj_act *acts;            /* the T0 activations when the run began */
    kjit_status st;
    char msg[KJ_ERRMSG_SIZE];
} kj_frame;

static _Thread_local kj_frame *tls_frame;
static _Thread_local kj_act *tls_acts;      /* innermost T0 activation */
static _Thread_local kj_raw *tls_raw;       /* the last error's frames: 2 * KJ_RAW_KEEP */
static _Thread_local size_t tls_nraw, tls_raw_seen;
static _Thread_local char tls_landed_msg[KJ_ERRMSG_SIZE];
static _Thread_local uintptr_t tls_stack_lo; /* lowest usable address of this thread's stack */
static _Thread_local uintptr_t tls_stack_hi; /* and its end */
static _Thread_local int tls_ready;

#define KJ_ALTSTACK_SIZE (64 * 1024)
/* Stack a compile needs; the re-entry path refuses to compile with less. */
#define KJ_COMPILE_STACK (256 * 1024)
/* A fault this close to (or below) the stack's low end is an overflow. */
#define KJ_OVERFLOW_WINDOW (64 * 1024)

static struct sigaction old_segv, old_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_key_t altstack_key, raw_key;

static void chain(int sig, siginfo_t *si, void *uc) {
    struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, si, uc);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        /* Restore the default action; returning re-executes the faulting
         * instruction, which then terminates the process as usual. */
        signal(sig, SIG_DFL);
    }
}

/* ---- the chain of frames --------------------------------------------------- */

void kj_trap_act_enter(kj_act *a, const void *who, uintptr_t sp) {
    a->prev = tls_acts;
    a->who = who;
    a->sp = sp;
    a->pos = (kjit_pos){0};
    tls_acts = a;
}

void kj_trap_act_leave(kj_act *a) { tls_acts = a->prev; }

void kj_trap_act_at(const kjit_pos *pos) {
    if (tls_acts) tls_acts->pos = pos ? *pos : (kjit_pos){0};
}

/* Keep r: the first KJ_RAW_KEEP in order, then a ring of the last ones. */
static void raw_add(const kj_raw *r) {
    size_t k = tls_raw_seen++;
    if (k >= KJ_RAW_KEEP) k = KJ_RAW_KEEP + (k - KJ_RAW_KEEP) % KJ_RAW_KEEP;
    tls_raw[k] = *r;
    if (tls_nraw < 2 * KJ_RAW_KEEP) tls_nraw++;
}

typedef struct walk {
    uintptr_t top;           /* the run's frame: stop above it */
    const kj_act *act;       /* next T0 activation to merge */
} walk;

/* T0 activations below sp (deeper than a machine frame at sp). */
static void acts_below(walk *w, uintptr_t sp) {
    for (; w->act && w->act->sp < sp && w->act->sp < w->top; w->act = w->act->prev)
        raw_add(&(kj_raw){.sp = w->act->sp, .who = w->act->who, .pos = w->act->pos, .act = 1});
}

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *ctx, void *p) {
    walk *w = p;
    uintptr_t cfa = _Unwind_GetCFA(ctx);
    if (cfa >= w->top) return _URC_END_OF_STACK;
    int before = 0;
    uintptr_t pc = _Unwind_GetIPInfo(ctx, &before);
    acts_below(w, cfa);
    /* A return address is just after its call: look up the call. */
    if (pc && kj_trap_in_jit(pc)) raw_add(&(kj_raw){.sp = cfa, .pc = before ? pc : pc - 1});
    return _URC_NO_REASON;
}

static void reverse(kj_raw *r, size_t lo, size_t hi) {
    while (hi > lo + 1) {
        kj_raw t = r[lo];
        r[lo++] = r[--hi];
        r[hi] = t;
    }
}

/* Set while the unwinder walks: a fault in it (an unwind table that leads
 * astray) ends the walk, not the process. */
static _Thread_local sigjmp_buf *tls_walk_jb;

/* Record the frames of the innermost run, from here up. */
static void capture(kj_frame *fr) {
    tls_nraw = tls_raw_seen = 0;
    if (!tls_raw) return;
    static _Thread_local walk w; /* (survives the longjmp below) */
    w = (walk){.top = fr->sp, .act = tls_acts};
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) == 0) {
        tls_walk_jb = &jb;
        /* In the fault handler SIGSEGV is blocked: let a fault of the walk
         * through (the mask is restored with the jump). */
        sigset_t faults;
        sigemptyset(&faults);
        sigaddset(&faults, SIGSEGV);
        sigaddset(&faults, SIGBUS);
        pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
        _Unwind_Backtrace(walk_frame, &w);
    }
    tls_walk_jb = NULL;
    acts_below(&w, UINTPTR_MAX);
    if (tls_raw_seen > 2 * KJ_RAW_KEEP) { /* put the ring in order: rotate it left by its start */
        kj_raw *ring = tls_raw + KJ_RAW_KEEP;
        size_t start = (tls_raw_seen - KJ_RAW_KEEP) % KJ_RAW_KEEP;
        reverse(ring, 0, start);
        reverse(ring, start, KJ_RAW_KEEP);
        reverse(ring, 0, KJ_RAW_KEEP);
    }
}

size_t kj_trap_frames(const kj_raw **raw, size_t *omitted) {
    *raw = tls_raw;
    *omitted = tls_raw_seen - tls_nraw;
    return tls_nraw;
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
    if (tls_walk_jb) siglongjmp(*tls_walk_jb, 1); /* the walk faulted: stop it there */
    kj_frame *fr = tls_frame;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (fr && tls_stack_lo && a < tls_stack_lo + KJ_OVERFLOW_WINDOW &&
        a + 16 * KJ_OVERFLOW_WINDOW > tls_stack_lo) {
        fr->st = KJIT_ERUNTIME;
        strcpy(fr->msg, "stack overflow");
        capture(fr);
        siglongjmp(fr->jb, 1);
    }
    chain(sig, si, uc);
}

static void free_altstack(void *p) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(p);
}

static void install(void) {
    pthread_key_create(&altstack_key, free_altstack);
    pthread_key_create(&raw_key, free);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

static void kj_trap_global_init(void) { pthread_once(&install_once, install); }

/* Bytes of alternate signal stack: 64 KiB, or what the kernel's signal frame
 * needs if that is more (on aarch64 it holds the SVE and SME registers,
 * whose size depends on the machine; glibc 2.34 on says how much). */
static size_t altstack_size(void) {
#ifdef _SC_SIGSTKSZ
    long need = sysconf(_SC_SIGSTKSZ);
    if (need > KJ_ALTSTACK_SIZE) return (size_t)need;
#endif
    return KJ_ALTSTACK_SIZE;
}

/* This thread's stack's low end, learnt once: a thread the program made
 * has not been through kjit_run (thread_setup).  0 if unknown. */
static uintptr_t stack_lo(void) {
    static _Thread_local int asked;
    if (!tls_stack_lo && !asked) {
        asked = 1;
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            void *addr;
            size_t size;
            if (pthread_attr_getstack(&attr, &addr, &size) == 0)
                tls_stack_lo = (uintptr_t)addr, tls_stack_hi = (uintptr_t)addr + size;
            pthread_attr_destroy(&attr);
        }
    }
    return tls_stack_lo;
}

/* Bytes left below sp on this thread's stack; SIZE_MAX if sp is not on it
 * (a signal's alternate stack, a coroutine's of makecontext: how much they
 * have is not known) or its bounds are not. */
static size_t left_below(uintptr_t sp) {
    uintptr_t lo = stack_lo();
    return lo && sp > lo && sp <= tls_stack_hi ? sp - lo : SIZE_MAX;
}

/* First kjit_run on this thread: learn the stack bounds, give the thread an
 * alternate signal stack. */
static void thread_setup(void) {
    kj_trap_global_init();
    (void)stack_lo();
    stack_t cur;
    size_t altsize = altstack_size();
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= altsize) {
        /* someone (a sanitizer, the host) already gave us one */
    } else {
        void *mem = malloc(altsize);
        if (mem) {
            stack_t ss = {.ss_sp = mem, .ss_size = altsize, .ss_flags = 0};
            if (sigaltstack(&ss, NULL) == 0)
                pthread_setspecific(altstack_key, mem);
            else
                free(mem);
        }
    }
    tls_raw = malloc(2 * KJ_RAW_KEEP * sizeof *tls_raw);
    if (tls_raw) pthread_setspecific(raw_key, tls_raw);
    tls_ready = 1;
}

size_t kj_trap_stack_left(void) { return left_below((uintptr_t)__builtin_frame_address(0)); }

/* A compile on a stack of its own: 8 MiB (what a main thread has), and
 * a guard page below, mapped for the call and unmapped after. */
#define KJ_OWN_STACK (8u << 20)

void kj_trap_on_stack(void (*fn)(void *), void *arg) {
    size_t left = kj_trap_stack_left();
    if (left > KJ_COMPILE_STACK && left != SIZE_MAX) {
        fn(arg);
        return;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE), size = KJ_OWN_STACK + page;
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) { /* (as before: on the thread's own, and hope) */
        fn(arg);
        return;
    }
    mprotect(m, page, PROT_NONE);
    kj_arch_call_on_stack(m + size, fn, arg);
    munmap(m, size);
}

int kj_trap_stack_ok(void) {
    /* The frame address, not a local's: a sanitizer may keep locals on a
     * heap-allocated fake stack. */
    size_t left = left_below((uintptr_t)__builtin_frame_address(0));
    return left > KJ_COMPILE_STACK; /* (SIZE_MAX: not known, as before) */
}

kjit_status kj_trap_run(kjit_value (*body)(void *ctx), void *ctx, kjit_value *result) {
    if (!tls_ready) thread_setup();
    kj_frame fr;
    fr.prev = tls_frame;
    fr.sp = (uintptr_t)__builtin_frame_address(0);
    fr.acts = tls_acts;
    fr.st = KJIT_OK;
    fr.msg[0] = 0;
    if (sigsetjmp(fr.jb, 1) == 0) {
        tls_frame = &fr;
        kjit_value v = body(ctx);
        tls_frame = fr.prev;
        *result = v;
        return KJIT_OK;
    }
    /* Arrived by siglongjmp: the thunk was abandoned, and the T0
     * activations it had with it. */
    tls_frame = fr.prev;
    tls_acts = fr.acts;
    memcpy(tls_landed_msg, fr.msg, sizeof fr.msg);
    return fr.st;
}

const char *kj_trap_message(void) { return tls_landed_msg; }

void kj_trap_report(kjit *jit, kjit_status st, const char *msg) {
    atomic_fetch_add(&jit->stats.runtime_errors, 1);
    kj_trace(jit, KJIT_EV_ERROR, NULL, NULL, 0, 0, 0, msg);
    kj_set_error(st, "%s", msg);
    if (jit->hook) jit->hook(jit->hook_user, st, msg);
}

void *kj_trap_raise(kjit *jit, kjit_status st, const char *msg) {
    kj_frame *fr = tls_frame;
    if (fr) {
        fr->st = st;
        snprintf(fr->msg, sizeof fr->msg, "%s", msg);
        capture(fr);
        siglongjmp(fr->jb, 1);
    }
    kj_trap_report(jit, st, msg);
    return kj_arch_fail_address();
}

/* ---- where JIT'd code is ------------------------------------------------------ */

static _Atomic uintptr_t code_lo = UINTPTR_MAX, code_hi = 0;

void kj_trap_note_code(uintptr_t lo, uintptr_t hi) {
    uintptr_t v = atomic_load(&code_lo);
    while (lo < v && !atomic_compare_exchange_weak(&code_lo, &v, lo)) {}
    v = atomic_load(&code_hi);
    while (hi > v && !atomic_compare_exchange_weak(&code_hi, &v, hi)) {}
}

int kj_trap_in_jit(uintptr_t pc) {
    return pc >= atomic_load_explicit(&code_lo, memory_order_relaxed) &&
           pc < atomic_load_explicit(&code_hi, memory_order_relaxed);
}
