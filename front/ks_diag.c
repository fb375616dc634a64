/*
 * ks_diag.c — user diagnostics: formatting and the standard printed form.
 *
 * The front end reports through ks_diag_error (a sink the client supplies);
 * clients that print use ks_diag_print, which shows
 *     FILE:LINE:COL: error: MESSAGE
 *     <the source line>
 *         ^
 * Columns count bytes, so the start of the line is simply off - (col - 1):
 * no backward scan, which keeps printing O(window) even on a 1 MB line.
 */
#include "ks_diag.h"
#include <stdarg.h>
#include <string.h>

/* Longest message kept; the quoted user text inside is capped by the callers. */
#define KS_DIAG_MSGMAX 512
/* Source lines longer than this are shown as a window around the column. */
#define KS_DIAG_WINDOW 120

void ks_diag_error(ks_diag *d, const ks_source *src, ks_pos pos, const char *fmt, ...) {
    char msg[KS_DIAG_MSGMAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->errors++;
    if (d->emit)
        d->emit(d->user, src, pos, msg);
}

static int ks_diag_printable(unsigned char c) { return c >= 0x20 && c < 0x7f; }

void ks_diag_print(FILE *out, const ks_source *src, ks_pos pos, const char *severity,
                   const char *msg) {
    fprintf(out, "%s:%d:%d: %s: %s\n", src && src->name ? src->name : "<input>", pos.line,
            pos.col, severity, msg);
    if (!src || !src->text)
        return;
    size_t off = pos.off <= src->len ? pos.off : src->len;
    size_t back = pos.col > 1 ? (size_t)(pos.col - 1) : 0;
    if (back > off)
        back = off;
    size_t line = off - back; /* start of the line */
    size_t from = line;       /* start of the window shown */
    int cut_left = 0, cut_right = 0;
    if (back > KS_DIAG_WINDOW / 2) {
        from = off - KS_DIAG_WINDOW / 2;
        cut_left = 1;
    }
    size_t to = from;
    while (to < src->len && src->text[to] != '\n' && to - from < KS_DIAG_WINDOW)
        to++;
    if (to < src->len && src->text[to] != '\n')
        cut_right = 1;
    /* A CRLF line end is not part of the line. */
    if (!cut_right && to > from && src->text[to - 1] == '\r')
        to--;

    fputs(cut_left ? "..." : "", out);
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)src->text[i];
        fputc(c == '\t' || ks_diag_printable(c) ? c : '?', out);
    }
    fputs(cut_right ? "...\n" : "\n", out);

    fputs(cut_left ? "   " : "", out);
    for (size_t i = from; i < off; i++)
        fputc(src->text[i] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}
