/*
 * ks_lex.c — the Kaleidoscope lexer.
 *
 * Works on (text, len) so that NUL bytes are just bytes.  Every call makes
 * progress: an error consumes the offending bytes, so a caller that keeps
 * asking reaches KS_TOK_EOF.  Character classes are plain ASCII tests, never
 * <ctype.h>, so the locale cannot change what a token is.
 */
#include "ks_lex.h"
#include <stdlib.h>
#include <string.h>

/* Quoted numbers in messages are cut to this many bytes. */
#define KS_LEX_QUOTE_MAX 40

static const struct {
    const char *spelling;
    ks_tok_kind kind;
} ks_keywords[] = {
#define KS_X_KW(e, s) {s, KS_TOK_##e},
    KS_KEYWORDS(KS_X_KW)
#undef KS_X_KW
};

static const char *const ks_kind_names[KS_TOK__COUNT] = {
    [KS_TOK_EOF] = "end of input",
    [KS_TOK_ERROR] = "invalid token",
    [KS_TOK_IDENT] = "identifier",
    [KS_TOK_NUMBER] = "number",
    [KS_TOK_CHAR] = "character",
#define KS_X_NAME(e, s) [KS_TOK_##e] = "'" s "'",
    KS_KEYWORDS(KS_X_NAME)
#undef KS_X_NAME
};

const char *ks_lex_kind_name(ks_tok_kind k) {
    return k >= 0 && k < KS_TOK__COUNT ? ks_kind_names[k] : "?";
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
/* Printable ASCII other than space. */
static int is_graph(unsigned char c) { return c > 0x20 && c < 0x7f; }

void ks_lex_init(ks_lexer *lx, const ks_source *src, ks_diag *diag) {
    lx->src = src;
    lx->diag = diag;
    lx->off = 0;
    lx->line = src->first_line > 0 ? src->first_line : 1;
    lx->col = 1;
}

static ks_pos here(const ks_lexer *lx) { return (ks_pos){lx->line, lx->col, lx->off}; }

static unsigned char peek(const ks_lexer *lx) {
    return lx->off < lx->src->len ? (unsigned char)lx->src->text[lx->off] : 0;
}

static void advance(ks_lexer *lx) {
    if (lx->src->text[lx->off] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->off++;
}

/* Skip white space and comments. */
static void skip_blank(ks_lexer *lx) {
    while (lx->off < lx->src->len) {
        unsigned char c = peek(lx);
        if (is_space(c)) {
            advance(lx);
        } else if (c == '#') {
            while (lx->off < lx->src->len && peek(lx) != '\n' && peek(lx) != '\r')
                advance(lx);
        } else {
            break;
        }
    }
}

/* A run of [0-9.] is a number only if it has digits and at most one '.':
 * exactly the runs that strtod reads in full.  Converted with strtod. */
static ks_token lex_number(ks_lexer *lx, ks_token t) {
    const char *s = lx->src->text + lx->off;
    size_t n = 0, dots = 0, digits = 0;
    while (lx->off + n < lx->src->len && (is_digit((unsigned char)s[n]) || s[n] == '.')) {
        if (s[n] == '.')
            dots++;
        else
            digits++;
        n++;
    }
    for (size_t i = 0; i < n; i++)
        advance(lx);
    t.text = s;
    t.len = n;
    if (dots > 1 || digits == 0) {
        ks_diag_error(lx->diag, lx->src, t.pos, "malformed number '%.*s%s'",
                      (int)(n > KS_LEX_QUOTE_MAX ? KS_LEX_QUOTE_MAX : n), s,
                      n > KS_LEX_QUOTE_MAX ? "..." : "");
        t.kind = KS_TOK_ERROR;
        return t;
    }
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        abort();
    memcpy(buf, s, n);
    buf[n] = '\0';
    t.kind = KS_TOK_NUMBER;
    t.num = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return t;
}

ks_token ks_lex_next(ks_lexer *lx) {
    skip_blank(lx);
    ks_token t = {.kind = KS_TOK_EOF, .pos = here(lx), .text = lx->src->text + lx->off};
    if (lx->off >= lx->src->len)
        return t;
    unsigned char c = peek(lx);
    if (is_alpha(c)) {
        size_t n = 0;
        while (lx->off < lx->src->len && (is_alpha(peek(lx)) || is_digit(peek(lx)))) {
            advance(lx);
            n++;
        }
        t.kind = KS_TOK_IDENT;
        t.len = n;
        for (size_t i = 0; i < sizeof ks_keywords / sizeof ks_keywords[0]; i++) {
            const char *kw = ks_keywords[i].spelling;
            if (strlen(kw) == n && memcmp(kw, t.text, n) == 0) {
                t.kind = ks_keywords[i].kind;
                break;
            }
        }
        return t;
    }
    if (is_digit(c) || c == '.')
        return lex_number(lx, t);
    if (is_graph(c)) {
        advance(lx);
        t.kind = KS_TOK_CHAR;
        t.ch = c;
        t.len = 1;
        return t;
    }
    /* A control byte, DEL, or a byte >= 0x80: one error for the whole run of
     * such bytes (a UTF-8 character, a binary blob) rather than one per byte. */
    ks_diag_error(lx->diag, lx->src, t.pos, "unexpected byte 0x%02x", c);
    do {
        advance(lx);
        t.len++;
    } while (lx->off < lx->src->len && !is_space(peek(lx)) && !is_graph(peek(lx)));
    t.kind = KS_TOK_ERROR;
    return t;
}
