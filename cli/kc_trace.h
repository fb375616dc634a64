/*
 * kc_trace.h — --trace (see kc_trace.c).
 */
#ifndef KC_TRACE_H
#define KC_TRACE_H
#include "kjit.h"

typedef struct kc_trace kc_trace;

/* Trace jit's events: as text lines on stderr (path NULL) or into a Chrome
 * trace file.  NULL after reporting on stderr that path cannot be written. */
kc_trace *kc_trace_start(kjit *jit, const char *path);
/* Finish the file and free t: after kjit_destroy, when no thread of the
 * JIT can send an event any more.  1 if writing failed. */
int kc_trace_end(kc_trace *t);

#endif
