/*
 * kj_stub.h — the stub manager: stable entry addresses for functions.
 *
 * Stubs are handed out from blocks.  A block is one mapping: first its code
 * pages (stubs, then lazy entries, then one word holding the trampoline's
 * address), then its data pages (one {slot, owner} cell per stub).  The code
 * is written while the pages are read-write and then turned read-execute
 * before any stub is handed out; it is never written again.  The data pages
 * stay read-write and never become executable.  So no page is ever writable
 * and executable at once (W^X).
 *
 * Repointing a stub is one atomic release store to its slot; a thread calling
 * the stub sees either the old or the new target, both complete.
 *
 * Not thread-safe by itself: the caller serialises kj_stub_alloc.
 */
#ifndef KJ_STUB_H
#define KJ_STUB_H
#include <stdatomic.h>
#include <stddef.h>

#include "base/kj_types.h" /* kj_stub, kj_stubs */

/* Stubs per block (a tunable: bigger blocks, fewer mappings). */
#define KJ_STUB_BLOCK 512

kj_stubs *kj_stub_manager_new(void);
void kj_stub_manager_free(kj_stubs *m);   /* unmaps every block */

/* Hand out a stub whose slot points at its lazy entry and whose owner is
 * `owner`.  Returns 0, or -1 when no memory could be mapped. */
int kj_stub_alloc(kj_stubs *m, void *owner, kj_stub *out);

/* What a call through a lazy entry runs (kj_arch.h): the tiers' resolver,
 * which the layer above installs once, before any stub is called.  One per
 * process, as the trampoline is. */
struct kj_arch_frame;
typedef void *(*kj_stub_resolver)(void **slot, struct kj_arch_frame *frame);
void kj_stub_set_resolver(kj_stub_resolver r);

/* The owner recorded for a slot (used by the re-entry path). */
void *kj_stub_owner(void **slot);

/* Point a stub's slot at target (one atomic release store). */
static inline void kj_stub_point(_Atomic(void *) *slot, void *target) {
    atomic_store_explicit(slot, target, memory_order_release);
}

static inline void *kj_stub_target(_Atomic(void *) *slot) {
    return atomic_load_explicit(slot, memory_order_acquire);
}

/* Bytes mapped for stubs (code + data), for statistics and tests. */
size_t kj_stub_mapped_bytes(const kj_stubs *m);

/* Failure injection for tests: make the next n block mappings fail. */
void kj_stub_inject_map_failures(kj_stubs *m, int n);

#endif
