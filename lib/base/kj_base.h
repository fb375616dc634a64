/*
 * kj_base.h — the bottom layer (lib/base): the calling thread's error text,
 * the clock, name hashing and the trace hook's events.  Calls nothing of
 * libkjit.  The C++ file's functions are in kj_wrap.h beside it.
 */
#ifndef KJ_BASE_H
#define KJ_BASE_H

#include <signal.h>
#include <sys/types.h>

#include "base/kj_types.h"

/* kj_base.c */
/* Put a message in the thread's error text (kjit_errmsg); returns st. */
kjit_status kj_set_error(kjit_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Microseconds of the monotonic clock. */
uint64_t kj_now_us(void);
uint64_t kj_hash_name(const char *s);
/* The program's signal handlers run only on its own threads, and never
 * where kjit holds its locks: a handler that calls a function not compiled
 * yet would compile it, and wait for ever for the lock its own thread
 * holds.  kj_signals_block blocks the asynchronous signals on the calling
 * thread (*old: the mask before), the synchronous ones (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP, SIGSYS) left as they were; kj_signals_hold the
 * same on a program thread, except the usual ones that end or stop the
 * process by default and have no handler now (SIGINT, SIGTERM, SIGALRM...:
 * a compile in the way of one should not keep it from ending the
 * process); kj_signals_restore puts *old back (a signal that came
 * meanwhile is delivered then).  kj_thread_start starts a thread of
 * kjit's own with every signal blocked, the synchronous ones too (0, or
 * pthread_create's error). */
void kj_signals_block(sigset_t *old);
void kj_signals_hold(sigset_t *old);
void kj_signals_restore(const sigset_t *old);
int kj_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Which file a descriptor is open on.  kjit keeps descriptors across a run
 * (the code cache's directory, the perf map), and a program may close every
 * descriptor above 2 and get those numbers back for files of its own:
 * kj_fd_id_of (0, or -1 if fstat fails) says which file fd is now, kj_fd_is
 * whether it is still that one. */
typedef struct kj_fd_id {
    dev_t dev;
    ino_t ino;
} kj_fd_id;
int kj_fd_id_of(int fd, kj_fd_id *id);
int kj_fd_is(int fd, const kj_fd_id *id);

/* kj_trace.c: an event for the trace hook, if one is set.  start_us 0:
 * now. */
void kj_trace(kjit *jit, kjit_event_kind kind, const char *name, const char *tier,
              uint64_t start_us, uint64_t dur_us, uint64_t bytes, const char *message);

#endif
