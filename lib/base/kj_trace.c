/*
 * kj_trace.c — events as they happen, for a trace hook (kjit_set_trace):
 * definitions, IR generated, compiles (tier, time, bytes), queueing, T2
 * installed, invalidation, reclamation, run-time errors.  In lib/base, at
 * the bottom: every stage reports here, on whatever thread the event happens.
 * With no hook set it costs one load.
 */
#include <stdatomic.h>

#include "base/kj_base.h"

static _Atomic int next_thread = 1;
static _Thread_local int tls_thread; /* small thread numbers, for timelines */

void kj_trace(kjit *jit, kjit_event_kind kind, const char *name, const char *tier,
              uint64_t start_us, uint64_t dur_us, uint64_t bytes, const char *message) {
    kjit_trace_hook hook = atomic_load_explicit(&jit->trace, memory_order_acquire);
    if (!hook) return;
    if (!tls_thread) tls_thread = atomic_fetch_add(&next_thread, 1);
    kjit_event ev = {.kind = kind,
                     .name = name ? name : "",
                     .tier = tier ? tier : "",
                     .time_us = (start_us ? start_us : kj_now_us()) - jit->created_us,
                     .dur_us = dur_us,
                     .bytes = bytes,
                     .thread = tls_thread,
                     .message = message ? message : ""};
    hook(jit->trace_user, &ev);
}

void kjit_set_trace(kjit *jit, kjit_trace_hook hook, void *user) {
    if (!jit) return;
    jit->trace_user = user;
    atomic_store_explicit(&jit->trace, hook, memory_order_release);
}

const char *kjit_event_name(kjit_event_kind k) {
    static const char *const names[] = {"defined",   "redefined",   "ir",        "compiled",
                                        "queued",    "installed",   "invalidated", "reclaimed",
                                        "error"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}
