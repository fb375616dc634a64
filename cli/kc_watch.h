/*
 * kc_watch.h — `kjit --watch`: the program's files watched with inotify;
 * when one changes, it is recompiled (a C or C++ source, with every source
 * that includes a changed header) and reloaded into the running program.
 */
#ifndef KC_WATCH_H
#define KC_WATCH_H
#include "kc_cc.h"
#include "kjit.h"

/* One file of the program, as the JIT knows it. */
typedef struct kc_unit {
    const char *name;   /* what the command line named (the module's name) */
    char *bc;           /* what is read: the bitcode made from a source, or name */
    char **deps;        /* a source's files (itself first, then its headers); NULL for IR */
} kc_unit;

/* Watch units[0..n) (kept, with cc, for the program's life), from now on:
 * called before the files are read, so that no change after the read goes
 * unseen (the events wait in the kernel's queue).  0, or -1 after saying
 * why. */
int kc_watch_prepare(kc_unit *units, int n, kc_cc *cc);
/* Start reloading into jit, on a thread of its own: one line on stderr per
 * reload or failure; a failure leaves the program running its code.  0, or
 * -1 after saying why. */
int kc_watch_start(kjit *jit);
/* At the program's exit: wait for a reload that has installed its code to
 * say so, and let no other start (kc_watch.c). */
void kc_watch_quiesce(void);

#endif
