/*
 * kj_reclaim.c — freeing replaced code once no thread can still run it
 * (machine code, and replaced T0 definitions with their user data).
 *
 * The quiescence rule (docs/DESIGN.md, "Reclaiming code"):
 *   - Code is *retired* when no stub leads to it any more (its last user was
 *     redefined, or its T2 body invalidated).  Retiring bumps the JIT's epoch
 *     and stamps the code with the new value, after the stub was repointed.
 *   - A *participant* is a thread that may be running JIT'd code: a thread
 *     inside kjit_run (automatically), or a thread that called
 *     kjit_thread_attach.  When it enters JIT'd code from the host (the
 *     outermost kjit_run) or declares a quiescent state (kjit_quiescent), it
 *     records the epoch it has seen.
 *   - Retired code stamped r is freed when every active participant has seen
 *     an epoch >= r.  A participant that saw epoch >= r entered (or became
 *     quiescent) after the stubs were repointed, so it can only reach the
 *     new code; one that left (kjit_run returned, or detached) holds nothing.
 * Threads that call stubs directly without attaching are outside the rule:
 * code may be freed under them (the API says so).
 *
 * Layer pipeline (lib/LAYERS): calls only lib/tools, lib/machine and
 * lib/base; what it runs of the tiers it is handed (kj_unit.instrument,
 * kjit.polls, the trampoline's resolver).
 */
#include <stdlib.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"

/* This thread's participant record in jit, created on first use (under
 * lock).  A thread keeps one record per JIT. */
static kj_part *part_of(kjit *jit) {
    pthread_t self = pthread_self();
    for (kj_part *p = jit->parts; p; p = p->next)
        if (pthread_equal(p->thread, self)) return p;
    kj_part *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->thread = self;
    p->next = jit->parts;
    jit->parts = p;
    return p;
}

/* Free every retired code that no participant can still run (under lock). */
static void reclaim(kjit *jit) {
    uint64_t safe = atomic_load(&jit->epoch);
    for (kj_part *p = jit->parts; p; p = p->next)
        if (p->active && p->seen < safe) safe = p->seen;
    for (kj_code **pc = &jit->retired; *pc;) {
        kj_code *c = *pc;
        if (c->retired_at > safe) {
            pc = &c->next_retired;
            continue;
        }
        *pc = c->next_retired;
        kj_reclaim_free(jit, c, 1);
    }
}

void kj_reclaim_free(kjit *jit, kj_code *c, int count) {
    if (c->rt || c->elf) {
        if (count) {
            kj_code_free_mem(jit, c->rt, c->elf);
            atomic_fetch_add(&jit->stats.reclaimed_bytes, c->bytes);
            kj_trace(jit, KJIT_EV_RECLAIMED, NULL, NULL, 0, 0, c->bytes, NULL);
        } else {
            if (c->rt) LLVMOrcReleaseResourceTracker(c->rt); /* the JIT is going: its session frees it */
            kj_elf_free(jit, c->elf);
        }
    }
    kj_gdb_unregister(c->gdb);
    if (c->release && c->user) c->release(c->user);
    free(c->t0);
    free(c->osr);
    free(c);
}

void kj_code_drop(kjit *jit, kj_code *c) {
    if (c && --c->users == 0) kj_reclaim_retire(jit, c);
}

void kj_reclaim_retire(kjit *jit, kj_code *c) {
    c->retired_at = atomic_fetch_add(&jit->epoch, 1) + 1;
    c->next_retired = jit->retired;
    jit->retired = c;
    reclaim(jit);
}

int kj_reclaim_enter(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    kj_part *p = part_of(jit);
    int outermost = p && p->depth++ == 0 && !p->attached;
    if (outermost) {
        p->seen = atomic_load(&jit->epoch);
        p->active = 1;
    }
    pthread_mutex_unlock(&jit->lock);
    return outermost;
}

void kj_reclaim_leave(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    kj_part *p = part_of(jit);
    if (p && --p->depth == 0 && !p->attached) p->active = 0;
    reclaim(jit);
    pthread_mutex_unlock(&jit->lock);
}

void kj_reclaim_free_all(kjit *jit) {
    for (kj_part *p = jit->parts, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    jit->parts = NULL;
}

kjit_status kjit_thread_attach(kjit *jit) {
    if (!jit) return kj_set_error(KJIT_EINVAL, "kjit_thread_attach: no JIT");
    pthread_mutex_lock(&jit->lock);
    kj_part *p = part_of(jit);
    if (p) {
        p->attached = 1;
        p->active = 1;
        p->seen = atomic_load(&jit->epoch);
    }
    pthread_mutex_unlock(&jit->lock);
    return p ? KJIT_OK : kj_set_error(KJIT_ENOMEM, "out of memory");
}

void kjit_thread_detach(kjit *jit) {
    if (!jit) return;
    pthread_mutex_lock(&jit->lock);
    kj_part *p = part_of(jit);
    if (p) {
        p->attached = 0;
        p->active = p->depth > 0;
    }
    reclaim(jit);
    pthread_mutex_unlock(&jit->lock);
}

void kjit_quiescent(kjit *jit) {
    if (!jit) return;
    pthread_mutex_lock(&jit->lock);
    kj_part *p = part_of(jit);
    if (p && p->depth == 0) p->seen = atomic_load(&jit->epoch);
    reclaim(jit);
    pthread_mutex_unlock(&jit->lock);
}
