/*
 * ks_arena.c — bump allocator: one arena per top-level item.
 *
 * Memory comes in chunks of KS_ARENA_FIRST bytes while the item is small
 * (a definition the JIT keeps wastes less than one chunk), then in chunks
 * that double in size (a huge item costs at most twice what it uses).  Allocations are never
 * freed one by one: the whole arena goes at once with ks_arena_free.
 */
#include "ks_arena.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KS_ARENA_ALIGN 16
#define KS_ARENA_FIRST 1024
#define KS_ARENA_FLAT (16 * KS_ARENA_FIRST) /* grow flat up to this, then double */

typedef struct ks_chunk {
    struct ks_chunk *prev;
    size_t size, used;
    /* Payload follows, aligned by the padding of the header to 16. */
    _Alignas(KS_ARENA_ALIGN) unsigned char data[];
} ks_chunk;

struct ks_arena {
    ks_chunk *head;
    size_t used;      /* total handed out */
    size_t next_size; /* size of the next chunk */
};

ks_arena *ks_arena_new(void) {
    ks_arena *a = calloc(1, sizeof *a);
    if (a)
        a->next_size = KS_ARENA_FIRST;
    return a;
}

void ks_arena_free(ks_arena *a) {
    if (!a)
        return;
    ks_chunk *c = a->head;
    while (c) {
        ks_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    free(a);
}

/* Out of memory in the front end is not a user error: stop with a message. */
static void ks_arena_oom(size_t n) {
    fprintf(stderr, "kjit: out of memory (arena request of %zu bytes)\n", n);
    abort();
}

void *ks_arena_alloc(ks_arena *a, size_t n) {
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2 - KS_ARENA_ALIGN)
        ks_arena_oom(n);
    size_t need = (n + KS_ARENA_ALIGN - 1) & ~(size_t)(KS_ARENA_ALIGN - 1);
    ks_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = a->next_size;
        while (size < need)
            size *= 2;
        c = malloc(sizeof *c + size);
        if (!c)
            ks_arena_oom(n);
        c->prev = a->head;
        c->size = size;
        c->used = 0;
        a->head = c;
        if (a->used + size >= KS_ARENA_FLAT && a->next_size < (size_t)1 << 24)
            a->next_size = size * 2;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *ks_arena_strndup(ks_arena *a, const char *s, size_t n) {
    char *d = ks_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

size_t ks_arena_used(const ks_arena *a) { return a ? a->used : 0; }
