/*
 * ks_arena.h — bump allocator for everything one top-level item owns.
 *
 * Each top-level item (a definition, an extern, an expression) is parsed into
 * its own arena; the arena is freed as a whole when nothing refers to the item
 * any more (an expression after it ran; a definition when it is replaced or
 * the session ends).  No individual frees.
 */
#ifndef KS_ARENA_H
#define KS_ARENA_H
#include <stddef.h>

typedef struct ks_arena ks_arena;

ks_arena *ks_arena_new(void);                 /* NULL on OOM */
void ks_arena_free(ks_arena *a);              /* NULL is fine */
void *ks_arena_alloc(ks_arena *a, size_t n);  /* zeroed, 16-aligned; aborts on OOM */
char *ks_arena_strndup(ks_arena *a, const char *s, size_t n);
size_t ks_arena_used(const ks_arena *a);      /* bytes handed out, for tests */

#endif
