/*
 * ks_diag.h — sources and user diagnostics.
 *
 * A ks_source is one chunk of program text (a file, a -e string, a REPL
 * entry) with the name diagnostics show.  The text may contain any bytes,
 * NUL included.  Positions are 1-based line and column (columns count bytes).
 *
 * The front end never prints: it reports each diagnostic to a ks_diag sink;
 * the client decides where it goes.  ks_diag_format renders the standard form
 *     FILE:LINE:COL: error: MESSAGE
 *     <the source line>
 *         ^
 */
#ifndef KS_DIAG_H
#define KS_DIAG_H
#include <stddef.h>
#include <stdio.h>

typedef struct ks_source {
    const char *name;  /* shown in diagnostics, e.g. "fib.ks", "<stdin>", "-e" */
    const char *text;  /* not necessarily NUL-terminated */
    size_t len;
    int first_line;    /* line number of text[0], normally 1 (REPL continues) */
} ks_source;

typedef struct ks_pos {
    int line, col;     /* 1-based */
    size_t off;        /* byte offset in the source text */
} ks_pos;

typedef struct ks_diag {
    void (*emit)(void *user, const ks_source *src, ks_pos pos, const char *msg);
    void *user;
    int errors;        /* count of errors reported through this sink */
} ks_diag;

/* Report an error: formats the message, bumps d->errors, calls d->emit. */
void ks_diag_error(ks_diag *d, const ks_source *src, ks_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print a diagnostic in the standard three-line form.  Non-printable bytes of
 * the source line are shown as '?', long lines are cut around the column. */
void ks_diag_print(FILE *out, const ks_source *src, ks_pos pos, const char *severity,
                   const char *msg);

#endif
