/*
 * kj_fn.c — the function table (every name the JIT has heard of, with its
 * kj_fn and stub), and the implementation names compiled code is emitted
 * under.
 *
 * Layer pipeline (lib/LAYERS): calls only lib/tools, lib/machine and
 * lib/base; what it runs of the tiers it is handed (kj_unit.instrument,
 * kjit.polls, the trampoline's resolver).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"

/* ---- the function table -------------------------------------------------- */

static int table_grow(kjit *jit) {
    size_t n = jit->table_size ? jit->table_size * 2 : 256;
    kj_fn **t = calloc(n, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < jit->table_size; i++) {
        for (kj_fn *f = jit->table[i], *next; f; f = next) {
            next = f->hash_next;
            size_t b = kj_hash_name(f->name) & (n - 1);
            f->hash_next = t[b];
            t[b] = f;
        }
    }
    free(jit->table);
    jit->table = t;
    jit->table_size = n;
    return 0;
}

kj_fn *kj_fn_find(kjit *jit, const char *name) {
    if (!jit->table_size) return NULL;
    for (kj_fn *f = jit->table[kj_hash_name(name) & (jit->table_size - 1)]; f; f = f->hash_next)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

kj_fn *kj_fn_lookup_or_add(kjit *jit, const char *name) {
    kj_fn *f = kj_fn_find(jit, name);
    if (f) return f;
    if (jit->nfns + 1 > jit->table_size / 2 && table_grow(jit) != 0) return NULL;
    f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->name = strdup(name);
    if (!f->name || kj_stub_alloc(jit->stubs, f, &f->stub) != 0) {
        free(f->name);
        free(f);
        return NULL;
    }
    f->jit = jit;
    f->state = KJ_UNDEFINED;
    kj_perf_stub(jit, f);
    size_t b = kj_hash_name(name) & (jit->table_size - 1);
    f->hash_next = jit->table[b];
    jit->table[b] = f;
    jit->nfns++;
    atomic_fetch_add(&jit->stats.stubs, 1);
    return f;
}

void kj_fn_point(kj_fn *fn, void *target) {
    pthread_mutex_lock(&fn->jit->mirror_lock); /* (kj_fn_mirror reads the slot under it) */
    kj_stub_point(fn->stub.slot, target);
    for (kj_mirror *m = fn->mirrors; m; m = m->next)
        atomic_store_explicit(m->slot, target, memory_order_release);
    pthread_mutex_unlock(&fn->jit->mirror_lock);
}

int kj_fn_mirror(kj_fn *fn, _Atomic(void *) *slot, const void *owner) {
    kj_mirror *m = malloc(sizeof *m);
    if (!m) return -1;
    m->slot = slot;
    m->owner = owner;
    m->next = fn->mirrors;
    fn->mirrors = m;
    atomic_store_explicit(slot, kj_stub_target(fn->stub.slot), memory_order_release);
    return 0;
}

void kj_fn_unmirror(kj_fn *fn, const void *owner) {
    for (kj_mirror **p = &fn->mirrors; *p;) {
        kj_mirror *m = *p;
        if (m->owner == owner) {
            *p = m->next;
            free(m);
        } else {
            p = &m->next;
        }
    }
}

/* Implementation names are "__kjit.<n>.<name>": no registered name can take
 * them (valid_name), and n (KJ_IMPL_DIGITS hex digits) makes every compile's
 * symbol unique. */
void kj_impl_name(kjit *jit, const char *name, char *buf, size_t len) {
    uint64_t n = atomic_fetch_add(&jit->toplevel_seq, 1);
    snprintf(buf, len, "__kjit.%0*llx.%s", KJ_IMPL_DIGITS, (unsigned long long)n, name);
}


void kj_fn_set_source_key(kjit *jit, const char *name, const void *user, const uint8_t key[32]) {
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn && fn->user == user) { /* (still that definition) */
        memcpy(fn->src_key, key, sizeof fn->src_key);
        fn->src_keyed = 1;
    }
    pthread_mutex_unlock(&jit->lock);
}
