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

/* kj_cache.c: entries keyed by 32 bytes, one file each, or many in a
 * bundle (below).  Several threads and several processes may use one
 * directory at once. */
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
/* Bundles: one program's entries kept in one entry, read once and written
 * once (a first run of the SQL engine made 900 files, and the file system
 * spent a quarter of the run allocating their inodes; its warm run opened
 * 500).  kj_cache_bundle_open reads the entry under bkey, checked as any
 * entry; from then on kj_cache_get looks in the bundle before the files,
 * and kj_cache_bundle_put adds to it in memory.  kj_cache_bundle_write
 * stores it, if anything was put since it was read or last written: the
 * entries put, those of the bundle read that were looked up, and the others
 * until KJ_CACHE_BUNDLE_AGE writes have passed them by unused (another
 * input of the same program may call them).  One bundle per kj_cache; a
 * write first merges what another process wrote since the bundle was read
 * (this one's entries winning).  All of it is safe from several threads. */
#define KJ_CACHE_BUNDLE_AGE 16
/* 1: opened (an empty bundle if none was kept, or a damaged one was
 * rejected); 0: one is open already, or out of memory. */
int kj_cache_bundle_open(kj_cache *c, const uint8_t bkey[32]);
/* 0, or -1: no bundle is open (or out of memory); then nothing was done. */
int kj_cache_bundle_put(kj_cache *c, const uint8_t key[32], const void *data, size_t size);
/* 0 (written, or nothing to write), or -1 with a reason in why. */
int kj_cache_bundle_write(kj_cache *c, char *why, size_t len);
/* Hold the lock file name (in the directory) if no process holds it: its
 * descriptor (close it to let go), or -1. */
int kj_cache_lock(kj_cache *c, const char *name);

/* The name a program's entries are kept under for a module named name: if
 * it is the path of a file, the file's absolute path, with "." and ".."
 * taken out but symbolic links kept (a link to the release of the day is
 * one program from release to release), so that "p.bc", "./p.bc" and
 * "/dir/p.bc" are one; else name.  The caller frees it; NULL: out of
 * memory. */
char *kj_cache_program_name(const char *name);
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
