/*
 * ks_parse.h — the Kaleidoscope parser (recursive descent with operator
 * precedence climbing, as LLVM's tutorial).
 *
 * The parser reads one top-level item at a time, each into a fresh arena.
 * Binary operator precedences come from a ks_optab that the session owns and
 * extends at run time when a user-defined operator is accepted (ks_sema does
 * that), so an operator can be used only after its definition.
 */
#ifndef KS_PARSE_H
#define KS_PARSE_H
#include "ks_ast.h"
#include "ks_lex.h"

/* Operator table: binary precedence per ASCII character (0: not a binary
 * operator), and whether a unary operator is defined on it.  The built-ins
 * ('=' 2, '<' 10, '+' '-' 20, '*' '/' 40) are marked builtin. */
typedef struct ks_optab {
    unsigned char binary_prec[128];
    unsigned char unary_defined[128];
    unsigned char builtin[128];
} ks_optab;

void ks_optab_init(ks_optab *t);

typedef enum ks_parse_status {
    KS_PARSE_ITEM,        /* *out holds an item; the caller owns it */
    KS_PARSE_EOF,         /* no more items */
    KS_PARSE_ERROR,       /* an error was reported; the faulty item was skipped */
    KS_PARSE_INCOMPLETE   /* the input ended inside an item (REPL: read more); nothing reported */
} ks_parse_status;

typedef struct ks_parser {
    ks_lexer lx;
    ks_token tok;          /* current token */
    const ks_optab *ops;
    ks_diag *diag;
    ks_arena *arena;       /* arena of the item being parsed */
    int depth;             /* nesting depth, bounded so no input exhausts the stack */
    int hit_eof;           /* set when a parse failed because input ended */
    int quiet_eof;         /* when set, an error caused by end of input is not reported */
} ks_parser;

/* Prepare to parse `src`.  With quiet_eof set (the REPL), an item cut short
 * by the end of the text yields KS_PARSE_INCOMPLETE instead of an error. */
void ks_parse_init(ks_parser *p, const ks_source *src, const ks_optab *ops, ks_diag *diag,
                   int quiet_eof);

/* Parse the next top-level item.  Stray ';' between items are skipped.  On
 * error the parser skips to the next ';' or `def`/`extern` and returns
 * KS_PARSE_ERROR; call again to go on. */
ks_parse_status ks_parse_item(ks_parser *p, ks_item **out);

#endif
