/*
 * kj_stub.c — allocation of stubs in W^X blocks (see kj_stub.h).
 *
 * Layer machine (lib/LAYERS): calls only lib/base.
 */
#include "machine/kj_stub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine/kj_arch.h"

/* The data cell of one stub: the slot the stub jumps through, and the owner
 * (the JIT's function record) that the re-entry path looks up from the slot
 * address.  The slot is the first member so that &cell->slot == cell. */
typedef struct kj_cell {
    _Atomic(void *) slot;
    void *owner;
} kj_cell;

typedef struct kj_block {
    struct kj_block *next;
    uint8_t *base;      /* start of the mapping: code pages */
    size_t code_size;
    size_t map_size;
    kj_cell *cells;     /* data pages */
    int used;
} kj_block;

struct kj_stubs {
    kj_block *blocks;   /* newest first; only the first has free stubs */
    size_t mapped;
    int fail_maps;
};

/* Bytes of int3 before the first stub: tools that read the bytes before a
 * call target (clang's -fsanitize=function reads 8) find mapped memory. */
#define KJ_STUB_PAD 16

static size_t round_page(size_t n) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) / pg * pg;
}

kj_stubs *kj_stub_manager_new(void) { return calloc(1, sizeof(kj_stubs)); }

void kj_stub_manager_free(kj_stubs *m) {
    if (!m) return;
    for (kj_block *b = m->blocks, *next; b; b = next) {
        next = b->next;
        munmap(b->base, b->map_size);
        free(b);
    }
    free(m);
}

/* The one place where code libkjit writes becomes executable, so the one
 * place that must make the instruction side see it.  On aarch64 (as on most
 * architectures but x86) instruction fetch does not snoop the data cache:
 * the bytes just written may still sit there while a CPU fetches older
 * bytes of the same addresses.  __builtin___clear_cache cleans the data
 * cache and invalidates the instruction cache over the range (dc cvau,
 * ic ivau, dsb, isb); it is a no-op on x86-64.  It runs while the pages are
 * still RW, before they become RX and before any stub is handed out.
 * (qemu-user cannot show a missing flush: it always runs the new bytes.) */
static int commit_code(uint8_t *code, size_t size) {
    __builtin___clear_cache((char *)code, (char *)code + size);
    return mprotect(code, size, PROT_READ | PROT_EXEC);
}

/* Map a block, write all its code while it is RW, then make the code RX. */
static kj_block *new_block(kj_stubs *m) {
    if (m->fail_maps > 0) {
        m->fail_maps--;
        return NULL;
    }
    size_t code = round_page(KJ_STUB_PAD + KJ_STUB_BLOCK * (KJ_ARCH_STUB_SIZE + KJ_ARCH_LAZY_SIZE) +
                             sizeof(void *));
    size_t data = round_page(KJ_STUB_BLOCK * sizeof(kj_cell));
    kj_block *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    void *p = mmap(NULL, code + data, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        free(b);
        return NULL;
    }
    b->base = p;
    b->code_size = code;
    b->map_size = code + data;
    b->cells = (kj_cell *)(b->base + code);

    memset(b->base, 0xcc, KJ_STUB_PAD);
    uint8_t *stubs = b->base + KJ_STUB_PAD;
    uint8_t *lazies = stubs + KJ_STUB_BLOCK * KJ_ARCH_STUB_SIZE;
    void **reentry_cell = (void **)(lazies + KJ_STUB_BLOCK * KJ_ARCH_LAZY_SIZE);
    *reentry_cell = kj_arch_reentry_address();
    for (int i = 0; i < KJ_STUB_BLOCK; i++) {
        void *const *slot = (void *const *)&b->cells[i].slot;
        kj_arch_emit_stub(stubs + i * KJ_ARCH_STUB_SIZE, slot);
        kj_arch_emit_lazy(lazies + i * KJ_ARCH_LAZY_SIZE, slot, reentry_cell);
        atomic_init(&b->cells[i].slot, lazies + i * KJ_ARCH_LAZY_SIZE);
    }
    if (commit_code(b->base, code) != 0) {
        munmap(b->base, b->map_size);
        free(b);
        return NULL;
    }
    b->next = m->blocks;
    m->blocks = b;
    m->mapped += b->map_size;
    return b;
}

int kj_stub_alloc(kj_stubs *m, void *owner, kj_stub *out) {
    kj_block *b = m->blocks;
    if (!b || b->used == KJ_STUB_BLOCK) {
        b = new_block(m);
        if (!b) return -1;
    }
    int i = b->used++;
    b->cells[i].owner = owner;
    out->entry = b->base + KJ_STUB_PAD + i * KJ_ARCH_STUB_SIZE;
    out->lazy = b->base + KJ_STUB_PAD + KJ_STUB_BLOCK * KJ_ARCH_STUB_SIZE + i * KJ_ARCH_LAZY_SIZE;
    out->slot = &b->cells[i].slot;
    return 0;
}

static _Atomic(kj_stub_resolver) resolver;

void kj_stub_set_resolver(kj_stub_resolver r) { atomic_store(&resolver, r); }

void *kj_stub_resolve(void **slot, kj_arch_frame *frame) {
    return atomic_load_explicit(&resolver, memory_order_acquire)(slot, frame);
}

void *kj_stub_owner(void **slot) { return ((kj_cell *)(void *)slot)->owner; }

size_t kj_stub_mapped_bytes(const kj_stubs *m) { return m->mapped; }

void kj_stub_inject_map_failures(kj_stubs *m, int n) { m->fail_maps = n; }
