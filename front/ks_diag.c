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

/* The whole diagnostic is composed in memory and written at once: stderr is
 * unbuffered, and a write per byte would make 10^5 diagnostics take seconds. */
void ks_diag_print(FILE *out, const ks_source *src, ks_pos pos, const char *severity,
                   const char *msg) {
    /* Room for: the first line (cut to `head` bytes), the line shown (at most
     * "..." + WINDOW + "...\n") and the caret line (at most "   " + WINDOW/2 + "^\n"). */
    char buf[KS_DIAG_MSGMAX + 256 + 2 * KS_DIAG_WINDOW];
    const size_t head = sizeof buf - 2 * KS_DIAG_WINDOW;
    int k = snprintf(buf, head, "%s:%d:%d: %s: %s\n", src && src->name ? src->name : "<input>",
                     pos.line, pos.col, severity, msg);
    size_t n = k < 0 ? 0 : (size_t)k;
    if (n >= head) { /* cut, but still a line */
        n = head - 1;
        buf[n - 1] = '\n';
    }
    if (src && src->text) {
        size_t off = pos.off <= src->len ? pos.off : src->len;
        size_t back = pos.col > 1 ? (size_t)(pos.col - 1) : 0;
        if (back > off)
            back = off;
        size_t from = off - back; /* start of the line, or of the window shown */
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

        if (cut_left)
            n += (size_t)sprintf(buf + n, "...");
        for (size_t i = from; i < to; i++) {
            unsigned char c = (unsigned char)src->text[i];
            buf[n++] = c == '\t' || ks_diag_printable(c) ? (char)c : '?';
        }
        n += (size_t)sprintf(buf + n, cut_right ? "...\n" : "\n");
        if (cut_left)
            n += (size_t)sprintf(buf + n, "   ");
        for (size_t i = from; i < off; i++)
            buf[n++] = src->text[i] == '\t' ? '\t' : ' ';
        buf[n++] = '^';
        buf[n++] = '\n';
    }
    fwrite(buf, 1, n, out);
}
