/*
 * kj_cache.h — the on-disk store of the persistent code cache (lib/base):
 * SHA-256 (kj_sha256.c) and a directory of checked entries (kj_cache.c).
 * Calls nothing of libkjit and no LLVM; what an entry holds is its caller's.
 */
#ifndef KJ_CACHE_H
#define KJ_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* kj_sha256.c: SHA-256 (FIPS 180-4), fed in pieces. */
typedef struct {
    uint32_t h[8];
    uint64_t len;  /* bytes added so far */
    uint8_t buf[64];
    size_t n;      /* bytes waiting in buf */
} kj_sha256;
void kj_sha256_init(kj_sha256 *s);
void kj_sha256_add(kj_sha256 *s, const void *p, size_t n);
void kj_sha256_done(kj_sha256 *s, uint8_t out[32]);
/* Tests: on, the C code only; off, the CPU's SHA instructions where it has
 * them (the default). */
void kj_sha256_portable(int on);

/* kj_cache.c: entries keyed by 32 bytes, one file each.  Several threads
 * and several processes may use one directory at once. */
typedef struct kj_cache kj_cache;
typedef struct {
    uint64_t entries, bytes, max_bytes;
} kj_cache_stats;

/* The directory: dir if non-NULL and non-empty, else $KJIT_CACHE_DIR, else
 * $XDG_CACHE_HOME/kjit, else $HOME/.cache/kjit, written to out.  0, or -1
 * if there is none (no HOME) or it does not fit in len. */
int kj_cache_dir(const char *dir, char *out, size_t len);
/* Open the cache in kj_cache_dir(dir), creating it (0700; its parents too
 * for the XDG/HOME default).  max_bytes 0: 1 GiB.  NULL when it must not be
 * used, with a one-line reason in why: a symbolic link, not a directory,
 * not owned by geteuid(), writable by group or others, cannot be created. */
kj_cache *kj_cache_open(const char *dir, uint64_t max_bytes, char *why, size_t len);
/* A verified copy of key's data (malloc'd, the caller frees) and its size,
 * or NULL on a miss.  An entry failing a check is removed, counted corrupt
 * (and a miss), never returned.  A hit makes the entry the most recently
 * used. */
void *kj_cache_get(kj_cache *c, const uint8_t key[32], size_t *size);
/* Store data under key (written aside, renamed into place).  0, or -1 with
 * a reason in why; the cache is unchanged then. */
int kj_cache_put(kj_cache *c, const uint8_t key[32], const void *data, size_t size,
                 char *why, size_t len);
/* This process's counts: hits, misses, puts, corrupt (entries rejected). */
void kj_cache_counters(const kj_cache *c, uint64_t *hits, uint64_t *misses, uint64_t *puts,
                       uint64_t *corrupt);
/* If the entries take more than max_bytes, remove the least recently used
 * until they take at most 90% of it.  Other files are left alone. */
void kj_cache_evict(kj_cache *c);
/* Evict if this process put anything, then free.  NULL is fine. */
void kj_cache_close(kj_cache *c);
/* The entries' count and size (kjit --cache-stats); removes temporary files
 * older than an hour on the way.  0, or -1 if the directory cannot be read. */
int kj_cache_scan(kj_cache *c, kj_cache_stats *out);
/* Remove every entry and temporary files older than an hour (kjit
 * --cache-clear).  The number of entries removed, or -1. */
int kj_cache_clear(kj_cache *c);

#endif
