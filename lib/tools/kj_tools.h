/*
 * kj_tools.h — the tools layer (lib/tools): what perf and gdb see of JIT'd
 * code (the perf map, gdb's JIT interface, source positions from debug
 * info).  Calls only lib/machine and lib/base.
 */
#ifndef KJ_TOOLS_H
#define KJ_TOOLS_H

#include "base/kj_types.h"

/* kj_gdb.c: JIT'd functions made known to gdb (its JIT interface). */
typedef struct kj_gdb_entry kj_gdb_entry;
struct kj_perf_syms;
/* Register the functions of one object (names, sizes, linked addresses),
 * and dbg, a copy of the object with debug info (kj_gdb_debug_copy; NULL:
 * none), which the entry takes. */
kj_gdb_entry *kj_gdb_register(const struct kj_perf_syms *syms, const uint64_t *addr,
                              const char *tier, char *dbg, size_t dbg_size);
void kj_gdb_unregister(kj_gdb_entry *e);  /* NULL is fine */
/* A malloc'd copy of an object file if it has debug info (a line table),
 * else NULL. */
char *kj_gdb_debug_copy(const char *obj, size_t size);
/* Name the source frames at pc (a call's address in registered code),
 * innermost first, through fn (kj_wrap.h): from its debug info, else its
 * symbol (no position; "" for libkjit's thunks).  Returns how many. */
typedef void (*kj_gdb_frame_fn)(void *ctx, const char *function, const char *file,
                                unsigned line, unsigned col);
int kj_gdb_where(uint64_t pc, kj_gdb_frame_fn fn, void *ctx);

/* kj_perf.c: the perf map (kjit_options.perf_map). */
#define KJ_PERF_SYMS 32
typedef struct kj_perf_syms {
    int n;
    char name[KJ_PERF_SYMS][128];
    uint64_t size[KJ_PERF_SYMS];
} kj_perf_syms;
/* The JIT's function symbols of an object file and their sizes (before it
 * is linked). */
void kj_perf_object(kjit *jit, LLVMMemoryBufferRef obj, kj_perf_syms *out);
/* Once linked: write them with their addresses, labelled with tier, to the
 * perf map (if asked) and register them with gdb (returned). */
kj_gdb_entry *kj_perf_linked(kjit *jit, const kj_perf_syms *syms, const char *tier, char *dbg,
                             size_t dbg_size);
/* The same for symbols linked at addr[] (kjit's own linker: no lookup). */
kj_gdb_entry *kj_perf_linked_at(kjit *jit, const kj_perf_syms *syms, const uint64_t *addr,
                                const char *tier, char *dbg, size_t dbg_size);
void kj_perf_stub(kjit *jit, const kj_fn *fn);
/* Open the perf map of this process (kjit_create, with perf_map): -1, with
 * the error set, if it may not be written (a symbolic link, another user's
 * file...). */
int kj_perf_open(void);


#endif
