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
 * Stack overflow: the handler runs on an alternate signal stack (one per
 * thread, set up on the thread's first kjit_run) and recognises a fault just
 * below the thread's stack as an overflow.  Any other fault is passed to the
 * handler that was installed before ours (or the default action).  The
 * re-entry path refuses to compile when little stack is left, so an overflow
 * never happens inside LLVM.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kj_arch.h"
#include "kj_internal.h"

typedef struct kj_frame {
    sigjmp_buf jb;
    struct kj_frame *prev;
    kjit_status st;
    char msg[KJ_ERRMSG_SIZE];
} kj_frame;

static _Thread_local kj_frame *tls_frame;
static _Thread_local uintptr_t tls_stack_lo; /* lowest usable address of this thread's stack */
static _Thread_local int tls_ready;

#define KJ_ALTSTACK_SIZE (64 * 1024)
/* Stack a compile needs; the re-entry path refuses to compile with less. */
#define KJ_COMPILE_STACK (256 * 1024)
/* A fault this close to (or below) the stack's low end is an overflow. */
#define KJ_OVERFLOW_WINDOW (64 * 1024)

static struct sigaction old_segv, old_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_key_t altstack_key;

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

static void on_fault(int sig, siginfo_t *si, void *uc) {
    kj_frame *fr = tls_frame;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (fr && tls_stack_lo && a < tls_stack_lo + KJ_OVERFLOW_WINDOW &&
        a + 16 * KJ_OVERFLOW_WINDOW > tls_stack_lo) {
        fr->st = KJIT_ERUNTIME;
        strcpy(fr->msg, "stack overflow");
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

/* First kjit_run on this thread: learn the stack bounds, give the thread an
 * alternate signal stack. */
static void thread_setup(void) {
    kj_trap_global_init();
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr;
        size_t size;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) tls_stack_lo = (uintptr_t)addr;
        pthread_attr_destroy(&attr);
    }
    stack_t cur;
    size_t altsize = altstack_size();
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= altsize) {
        tls_ready = 1; /* someone (a sanitizer, the host) already gave us one */
        return;
    }
    void *mem = malloc(altsize);
    if (mem) {
        stack_t ss = {.ss_sp = mem, .ss_size = altsize, .ss_flags = 0};
        if (sigaltstack(&ss, NULL) == 0)
            pthread_setspecific(altstack_key, mem);
        else
            free(mem);
    }
    tls_ready = 1;
}

int kj_trap_stack_ok(void) {
    if (!tls_stack_lo) return 1;
    /* The frame address, not a local's: a sanitizer may keep locals on a
     * heap-allocated fake stack. */
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return sp > tls_stack_lo && sp - tls_stack_lo > KJ_COMPILE_STACK;
}

kjit_status kj_trap_run(kjit *jit, kjit_value (*body)(void *ctx), void *ctx,
                        kjit_value *result) {
    if (!tls_ready) thread_setup();
    kj_frame fr;
    fr.prev = tls_frame;
    fr.st = KJIT_OK;
    fr.msg[0] = 0;
    if (sigsetjmp(fr.jb, 1) == 0) {
        tls_frame = &fr;
        kjit_value v = body(ctx);
        tls_frame = fr.prev;
        *result = v;
        return KJIT_OK;
    }
    /* Arrived by siglongjmp: the thunk was abandoned. */
    tls_frame = fr.prev;
    atomic_fetch_add(&jit->stats.runtime_errors, 1);
    kj_trace(jit, KJIT_EV_ERROR, NULL, NULL, 0, 0, 0, fr.msg);
    kj_set_error(fr.st, "%s", fr.msg);
    if (jit->hook) jit->hook(jit->hook_user, fr.st, fr.msg);
    return fr.st;
}

void *kj_trap_raise(kjit *jit, kjit_status st, const char *msg) {
    kj_frame *fr = tls_frame;
    if (fr) {
        fr->st = st;
        snprintf(fr->msg, sizeof fr->msg, "%s", msg);
        siglongjmp(fr->jb, 1);
    }
    atomic_fetch_add(&jit->stats.runtime_errors, 1);
    kj_trace(jit, KJIT_EV_ERROR, NULL, NULL, 0, 0, 0, msg);
    kj_set_error(st, "%s", msg);
    if (jit->hook) jit->hook(jit->hook_user, st, msg);
    return kj_arch_fail_address();
}
