/*
 * ks_lex.h — the Kaleidoscope lexer.
 *
 * Tokens: identifiers [a-zA-Z][a-zA-Z0-9]*, numbers [0-9.]+ (the whole run
 * must be one valid decimal number, else an error at its start), keywords,
 * `#` comments to end of line, and any other printable ASCII character as a
 * token of its own.  Bytes outside printable ASCII (other than white space)
 * are errors.  The lexer reports errors to the diag sink and returns
 * KS_TOK_ERROR; it always makes progress, so a caller that keeps asking
 * reaches KS_TOK_EOF.
 */
#ifndef KS_LEX_H
#define KS_LEX_H
#include <stddef.h>
#include "ks_diag.h"

/* X(enum suffix, spelling) for keywords: the single table of keywords. */
#define KS_KEYWORDS(X) \
    X(DEF, "def")       \
    X(EXTERN, "extern") \
    X(IF, "if")         \
    X(THEN, "then")     \
    X(ELSE, "else")     \
    X(FOR, "for")       \
    X(IN, "in")         \
    X(BINARY, "binary") \
    X(UNARY, "unary")   \
    X(VAR, "var")

typedef enum ks_tok_kind {
    KS_TOK_EOF = 0,
    KS_TOK_ERROR,    /* already reported */
    KS_TOK_IDENT,
    KS_TOK_NUMBER,
    KS_TOK_CHAR,     /* any other printable ASCII character: see .ch */
#define KS_X_ENUM(e, s) KS_TOK_##e,
    KS_KEYWORDS(KS_X_ENUM)
#undef KS_X_ENUM
    KS_TOK__COUNT
} ks_tok_kind;

typedef struct ks_token {
    ks_tok_kind kind;
    ks_pos pos;
    const char *text;  /* points into the source */
    size_t len;
    double num;        /* KS_TOK_NUMBER */
    int ch;            /* KS_TOK_CHAR */
} ks_token;

typedef struct ks_lexer {
    const ks_source *src;
    ks_diag *diag;
    size_t off;
    int line, col;
} ks_lexer;

void ks_lex_init(ks_lexer *lx, const ks_source *src, ks_diag *diag);
ks_token ks_lex_next(ks_lexer *lx);

/* Spelling of a token kind for messages: "identifier", "'def'", ... */
const char *ks_lex_kind_name(ks_tok_kind k);

#endif
