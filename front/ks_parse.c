/*
 * ks_parse.c — recursive descent parser with precedence climbing.
 *
 * One call of ks_parse_item reads one top-level item into a fresh arena.
 * Every parse function returns NULL after an error has been reported (or
 * suppressed: a lexer error was already reported; an error at end of input in
 * REPL mode is "incomplete", not an error); the caller then skips to a point
 * where parsing can resume.
 *
 * Two bounds make any input safe: the recursion depth of the parser, and the
 * height of the tree it builds (a long chain `1+1+1+...` is shallow for the
 * parser but deep for every later recursive walk: sema, printing, IR
 * generation).  Both are capped at KS_PARSE_MAX_NEST.
 */
#include "ks_parse.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ks_value.h"

#define KS_PARSE_MAX_NEST 1000
#define KS_PARSE_QUOTE_MAX 40

void ks_optab_init(ks_optab *t) {
    memset(t, 0, sizeof *t);
    static const struct {
        char op;
        unsigned char prec;
    } builtins[] = {{'=', 2}, {'<', 10}, {'+', 20}, {'-', 20}, {'*', 40}, {'/', 40}};
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        t->binary_prec[(unsigned char)builtins[i].op] = builtins[i].prec;
        t->builtin[(unsigned char)builtins[i].op] = 1;
    }
}

void ks_parse_init(ks_parser *p, const ks_source *src, const ks_optab *ops, ks_diag *diag,
                   int quiet_eof) {
    memset(p, 0, sizeof *p);
    ks_lex_init(&p->lx, src, diag);
    p->ops = ops;
    p->diag = diag;
    p->quiet_eof = quiet_eof;
    p->tok = ks_lex_next(&p->lx);
}

/* ---- helpers ---------------------------------------------------------- */

static void next(ks_parser *p) { p->tok = ks_lex_next(&p->lx); }

static int is_char(const ks_parser *p, int c) { return p->tok.kind == KS_TOK_CHAR && p->tok.ch == c; }

/* Characters that can name a user-defined operator: ASCII punctuation other
 * than those the grammar itself uses. */
static int is_op_char(int c) {
    if (c <= 0x20 || c >= 0x7f)
        return 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 0;
    return strchr("(),;#.", c) == NULL;
}

/* How a token is named in "expected X, got Y". */
static const char *describe(const ks_token *t, char *buf, size_t n) {
    int len = (int)(t->len > KS_PARSE_QUOTE_MAX ? KS_PARSE_QUOTE_MAX : t->len);
    const char *more = t->len > KS_PARSE_QUOTE_MAX ? "..." : "";
    switch (t->kind) {
    case KS_TOK_IDENT:
        snprintf(buf, n, "identifier '%.*s%s'", len, t->text, more);
        return buf;
    case KS_TOK_NUMBER:
        snprintf(buf, n, "number '%.*s%s'", len, t->text, more);
        return buf;
    case KS_TOK_CHAR:
        snprintf(buf, n, "'%c'", t->ch);
        return buf;
    default:
        return ks_lex_kind_name(t->kind);
    }
}

/* Report an error at token `t`.  A lexer error token was already reported;
 * an error at end of input is remembered (hit_eof) and, in REPL mode, not
 * reported at all.  Returns NULL for the callers' convenience. */
__attribute__((format(printf, 3, 4))) static void *perr(ks_parser *p, const ks_token *t,
                                                        const char *fmt, ...) {
    if (t->kind == KS_TOK_ERROR)
        return NULL;
    if (t->kind == KS_TOK_EOF) {
        p->hit_eof = 1;
        if (p->quiet_eof)
            return NULL;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ks_diag_error(p->diag, p->lx.src, t->pos, "%s", msg);
    return NULL;
}

/* "expected WHAT, got <current token>" */
static void *expected(ks_parser *p, const char *what) {
    char buf[80];
    return perr(p, &p->tok, "expected %s, got %s", what, describe(&p->tok, buf, sizeof buf));
}

static ks_expr *new_expr(ks_parser *p, ks_expr_kind kind, ks_pos pos) {
    ks_expr *e = ks_arena_alloc(p->arena, sizeof *e);
    e->kind = kind;
    e->pos = pos;
    return e;
}

/* Grow an arena array: doubling keeps the copies (and the waste) linear. */
static void *grow(ks_parser *p, void *old, int n, int *cap, size_t elem) {
    if (n < *cap)
        return old;
    int ncap = *cap ? *cap * 2 : 4;
    void *fresh = ks_arena_alloc(p->arena, (size_t)ncap * elem);
    if (n)
        memcpy(fresh, old, (size_t)n * elem);
    *cap = ncap;
    return fresh;
}

static char *tok_str(ks_parser *p, const ks_token *t) {
    return ks_arena_strndup(p->arena, t->text, t->len);
}

static int max_i(int a, int b) { return a > b ? a : b; }

/* A node of height h at pos: reject trees too deep for later recursive walks. */
static int check_height(ks_parser *p, int h, ks_pos pos) {
    if (h <= KS_PARSE_MAX_NEST)
        return 0;
    ks_diag_error(p->diag, p->lx.src, pos, "nesting too deep");
    return -1;
}

/* ---- expressions -------------------------------------------------------
 * Each function returns the node and its height in *h. */

static ks_expr *parse_expression(ks_parser *p, int *h);
static ks_expr *parse_unary(ks_parser *p, int *h);

/* call ::= ident '(' [expr (',' expr)*] ')'   (the ident is consumed) */
static ks_expr *parse_call(ks_parser *p, const char *name, ks_pos pos, int *h) {
    ks_expr *e = new_expr(p, KS_EXPR_CALL, pos);
    e->u.call.callee = name;
    int cap = 0, hmax = 0;
    next(p); /* '(' */
    if (is_char(p, ')')) {
        next(p);
        *h = 1;
        return e;
    }
    for (;;) {
        int ha;
        ks_expr *arg = parse_expression(p, &ha);
        if (!arg)
            return NULL;
        e->u.call.args = grow(p, e->u.call.args, e->u.call.nargs, &cap, sizeof(ks_expr *));
        e->u.call.args[e->u.call.nargs++] = arg;
        hmax = max_i(hmax, ha);
        if (is_char(p, ')')) {
            next(p);
            break;
        }
        if (!is_char(p, ','))
            return expected(p, "',' or ')' in argument list");
        next(p);
    }
    *h = hmax + 1;
    return check_height(p, *h, pos) ? NULL : e;
}

/* if ::= 'if' expr 'then' expr 'else' expr */
static ks_expr *parse_if(ks_parser *p, int *h) {
    ks_expr *e = new_expr(p, KS_EXPR_IF, p->tok.pos);
    int hc, ht, he;
    next(p);
    if (!(e->u.if_.cond = parse_expression(p, &hc)))
        return NULL;
    if (p->tok.kind != KS_TOK_THEN)
        return expected(p, "'then'");
    next(p);
    if (!(e->u.if_.then_e = parse_expression(p, &ht)))
        return NULL;
    if (p->tok.kind != KS_TOK_ELSE)
        return expected(p, "'else'");
    next(p);
    if (!(e->u.if_.else_e = parse_expression(p, &he)))
        return NULL;
    *h = 1 + max_i(hc, max_i(ht, he));
    return check_height(p, *h, e->pos) ? NULL : e;
}

/* for ::= 'for' ident '=' expr ',' expr [',' expr] 'in' expr */
static ks_expr *parse_for(ks_parser *p, int *h) {
    ks_expr *e = new_expr(p, KS_EXPR_FOR, p->tok.pos);
    int hs, he, hst = 0, hb;
    next(p);
    if (p->tok.kind != KS_TOK_IDENT)
        return expected(p, "identifier after 'for'");
    e->u.for_.var = tok_str(p, &p->tok);
    e->u.for_.var_pos = p->tok.pos;
    next(p);
    if (!is_char(p, '='))
        return expected(p, "'=' after for variable");
    next(p);
    if (!(e->u.for_.start = parse_expression(p, &hs)))
        return NULL;
    if (!is_char(p, ','))
        return expected(p, "',' after for start value");
    next(p);
    if (!(e->u.for_.end = parse_expression(p, &he)))
        return NULL;
    if (is_char(p, ',')) {
        next(p);
        if (!(e->u.for_.step = parse_expression(p, &hst)))
            return NULL;
    }
    if (p->tok.kind != KS_TOK_IN)
        return expected(p, "'in' after for");
    next(p);
    if (!(e->u.for_.body = parse_expression(p, &hb)))
        return NULL;
    *h = 1 + max_i(max_i(hs, he), max_i(hst, hb));
    return check_height(p, *h, e->pos) ? NULL : e;
}

/* bindings ::= 'var' ident ['=' expr] (',' ident ['=' expr])*
 * Fills e->u.varin.vars; *h is the height of the tallest initialiser. */
static int parse_bindings(ks_parser *p, ks_expr *e, int *h) {
    int cap = 0;
    *h = 0;
    next(p); /* 'var' */
    for (;;) {
        if (p->tok.kind != KS_TOK_IDENT) {
            expected(p, "variable name");
            return -1;
        }
        e->u.varin.vars = grow(p, e->u.varin.vars, e->u.varin.nvars, &cap, sizeof(ks_binding));
        ks_binding *b = &e->u.varin.vars[e->u.varin.nvars++];
        b->name = tok_str(p, &p->tok);
        b->pos = p->tok.pos;
        b->slot = -1;
        next(p);
        if (is_char(p, '=')) {
            int hi;
            next(p);
            if (!(b->init = parse_expression(p, &hi)))
                return -1;
            *h = max_i(*h, hi);
        }
        if (!is_char(p, ','))
            return 0;
        next(p);
    }
}

/* The rest of `var ... in body`, after the bindings. */
static ks_expr *finish_varin(ks_parser *p, ks_expr *e, int hinit, int *h) {
    int hb;
    if (p->tok.kind != KS_TOK_IN)
        return expected(p, "'in' after var bindings");
    next(p);
    if (!(e->u.varin.body = parse_expression(p, &hb)))
        return NULL;
    *h = 1 + max_i(hinit, hb);
    return check_height(p, *h, e->pos) ? NULL : e;
}

static ks_expr *parse_primary(ks_parser *p, int *h) {
    ks_token t = p->tok;
    switch (t.kind) {
    case KS_TOK_NUMBER: {
        ks_expr *e = new_expr(p, KS_EXPR_NUM, t.pos);
        e->u.num = t.num;
        next(p);
        *h = 1;
        return e;
    }
    case KS_TOK_IDENT: {
        const char *name = tok_str(p, &t);
        next(p);
        if (is_char(p, '('))
            return parse_call(p, name, t.pos, h);
        ks_expr *e = new_expr(p, KS_EXPR_VAR, t.pos);
        e->u.var.name = name;
        e->u.var.slot = -1;
        *h = 1;
        return e;
    }
    case KS_TOK_IF:
        return parse_if(p, h);
    case KS_TOK_FOR:
        return parse_for(p, h);
    case KS_TOK_VAR: {
        ks_expr *e = new_expr(p, KS_EXPR_VARIN, t.pos);
        int hi;
        if (parse_bindings(p, e, &hi))
            return NULL;
        return finish_varin(p, e, hi, h);
    }
    case KS_TOK_CHAR:
        if (t.ch == '(') {
            next(p);
            ks_expr *e = parse_expression(p, h);
            if (!e)
                return NULL;
            if (!is_char(p, ')'))
                return expected(p, "')'");
            next(p);
            return e;
        }
        break;
    default:
        break;
    }
    return expected(p, "expression");
}

/* unary ::= opchar unary | primary.  Every level of nesting passes here, so
 * this is where the recursion depth is bounded. */
static ks_expr *parse_unary(ks_parser *p, int *h) {
    if (p->depth >= KS_PARSE_MAX_NEST) {
        /* Reported even at end of input: more input would not help. */
        ks_diag_error(p->diag, p->lx.src, p->tok.pos, "nesting too deep");
        return NULL;
    }
    p->depth++;
    ks_expr *e;
    if (p->tok.kind == KS_TOK_CHAR && is_op_char(p->tok.ch)) {
        ks_token t = p->tok;
        if (!p->ops->unary_defined[t.ch]) {
            e = perr(p, &t, "unknown unary operator '%c'", t.ch);
        } else {
            int ho;
            next(p);
            ks_expr *operand = parse_unary(p, &ho);
            e = NULL;
            if (operand) {
                e = new_expr(p, KS_EXPR_UNARY, t.pos);
                e->u.unary.op = t.ch;
                e->u.unary.operand = operand;
                *h = ho + 1;
                if (check_height(p, *h, t.pos))
                    e = NULL;
            }
        }
    } else {
        e = parse_primary(p, h);
    }
    p->depth--;
    return e;
}

/* Precedence of the current token as a binary operator, 0 if it ends the
 * expression, -1 after reporting an unknown operator. */
static int binop_prec(ks_parser *p) {
    if (p->tok.kind != KS_TOK_CHAR)
        return 0;
    int c = p->tok.ch;
    if (p->ops->binary_prec[c])
        return p->ops->binary_prec[c];
    /* Closing punctuation, and (as LLVM's toy does) a character with a
     * unary operator: the next item starts there. */
    if (strchr("),;(", c) || p->ops->unary_defined[c])
        return 0;
    perr(p, &p->tok, "unknown binary operator '%c'", c);
    return -1;
}

/* binoprhs ::= (binop unary)*, folding left-associatively by precedence
 * climbing: operators binding tighter than `minprec` are left to callers. */
static ks_expr *parse_binop_rhs(ks_parser *p, int minprec, ks_expr *lhs, int hl, int *h) {
    for (;;) {
        int prec = binop_prec(p);
        if (prec < 0)
            return NULL;
        if (prec == 0 || prec < minprec) {
            *h = hl;
            return lhs;
        }
        ks_token op = p->tok;
        if (op.ch == '=' && lhs->kind != KS_EXPR_VAR)
            return perr(p, &op, "destination of '=' must be a variable");
        next(p);
        int hr;
        ks_expr *rhs = parse_unary(p, &hr);
        if (!rhs)
            return NULL;
        int nprec = binop_prec(p);
        if (nprec < 0)
            return NULL;
        if (nprec > prec && !(rhs = parse_binop_rhs(p, prec + 1, rhs, hr, &hr)))
            return NULL;
        ks_expr *e;
        if (op.ch == '=') {
            e = new_expr(p, KS_EXPR_ASSIGN, lhs->pos); /* the variable's position */
            e->u.assign.name = lhs->u.var.name;
            e->u.assign.slot = -1;
            e->u.assign.value = rhs;
        } else {
            e = new_expr(p, KS_EXPR_BINARY, op.pos);
            e->u.binary.op = op.ch;
            e->u.binary.lhs = lhs;
            e->u.binary.rhs = rhs;
        }
        lhs = e;
        hl = 1 + max_i(hl, hr);
        if (check_height(p, hl, op.pos))
            return NULL;
    }
}

static ks_expr *parse_expression(ks_parser *p, int *h) {
    int hl;
    ks_expr *lhs = parse_unary(p, &hl);
    if (!lhs)
        return NULL;
    return parse_binop_rhs(p, 1, lhs, hl, h);
}

/* ---- top level --------------------------------------------------------- */

/* proto ::= ident '(' ident* ')'
 *         | 'unary' opchar '(' ident ')'
 *         | 'binary' opchar [number] '(' ident ident ')' */
static ks_proto *parse_proto(ks_parser *p) {
    ks_proto *pr = ks_arena_alloc(p->arena, sizeof *pr);
    pr->pos = p->tok.pos;
    pr->prec = 30;
    if (p->tok.kind == KS_TOK_IDENT) {
        pr->kind = KS_PROTO_PLAIN;
        pr->name = tok_str(p, &p->tok);
        next(p);
    } else if (p->tok.kind == KS_TOK_UNARY || p->tok.kind == KS_TOK_BINARY) {
        int unary = p->tok.kind == KS_TOK_UNARY;
        pr->kind = unary ? KS_PROTO_UNARY : KS_PROTO_BINARY;
        next(p);
        if (p->tok.kind != KS_TOK_CHAR || !is_op_char(p->tok.ch))
            return expected(p, unary ? "operator character after 'unary'"
                                     : "operator character after 'binary'");
        pr->op = p->tok.ch;
        pr->pos = p->tok.pos;
        char name[8];
        snprintf(name, sizeof name, "%s%c", unary ? "unary" : "binary", pr->op);
        pr->name = ks_arena_strndup(p->arena, name, strlen(name));
        next(p);
        if (!unary && p->tok.kind == KS_TOK_NUMBER) {
            /* As toy: any number in 1..100, truncated to an integer. */
            if (!(p->tok.num >= 1 && p->tok.num <= 100)) {
                char v[KS_VALUE_BUFSIZE];
                return perr(p, &p->tok, "precedence must be between 1 and 100, got %s",
                            ks_value_format(p->tok.num, v));
            }
            pr->prec = (int)p->tok.num;
            next(p);
        }
    } else {
        return expected(p, "function name in prototype");
    }
    if (!is_char(p, '('))
        return expected(p, "'(' in prototype");
    next(p);
    int cap = 0, pcap = 0;
    while (p->tok.kind == KS_TOK_IDENT) {
        pr->params = grow(p, pr->params, pr->nparams, &cap, sizeof(const char *));
        pr->param_pos = grow(p, pr->param_pos, pr->nparams, &pcap, sizeof(ks_pos));
        pr->params[pr->nparams] = tok_str(p, &p->tok);
        pr->param_pos[pr->nparams++] = p->tok.pos;
        next(p);
    }
    if (!is_char(p, ')'))
        return expected(p, "parameter name or ')' in prototype");
    next(p);
    if (pr->kind == KS_PROTO_UNARY && pr->nparams != 1)
        return perr(p, &(ks_token){.kind = KS_TOK_CHAR, .pos = pr->pos},
                    "unary operator must have exactly 1 parameter, got %d", pr->nparams);
    if (pr->kind == KS_PROTO_BINARY && pr->nparams != 2)
        return perr(p, &(ks_token){.kind = KS_TOK_CHAR, .pos = pr->pos},
                    "binary operator must have exactly 2 parameters, got %d", pr->nparams);
    return pr;
}

/* Parse one item into `it`; 0 on success. */
static int parse_item_body(ks_parser *p, ks_item *it) {
    int h;
    switch (p->tok.kind) {
    case KS_TOK_DEF:
        it->kind = KS_ITEM_DEF;
        next(p);
        if (!(it->proto = parse_proto(p)))
            return -1;
        return (it->body = parse_expression(p, &h)) ? 0 : -1;
    case KS_TOK_EXTERN:
        it->kind = KS_ITEM_EXTERN;
        next(p);
        return (it->proto = parse_proto(p)) ? 0 : -1;
    case KS_TOK_VAR: {
        /* `var x = e` without `in` is a global; with `in`, an expression. */
        ks_expr *e = new_expr(p, KS_EXPR_VARIN, p->tok.pos);
        int hi;
        if (parse_bindings(p, e, &hi))
            return -1;
        if (p->tok.kind != KS_TOK_IN && e->u.varin.nvars == 1) {
            ks_binding *b = &e->u.varin.vars[0];
            it->kind = KS_ITEM_GLOBAL;
            it->global = b->name;
            if (b->init) {
                it->body = b->init;
            } else {
                it->body = new_expr(p, KS_EXPR_NUM, b->pos);
                it->body->u.num = 0.0;
            }
            return 0;
        }
        if (!(e = finish_varin(p, e, hi, &h)))
            return -1;
        it->kind = KS_ITEM_EXPR;
        return (it->body = parse_binop_rhs(p, 1, e, h, &h)) ? 0 : -1;
    }
    default:
        it->kind = KS_ITEM_EXPR;
        return (it->body = parse_expression(p, &h)) ? 0 : -1;
    }
}

ks_parse_status ks_parse_item(ks_parser *p, ks_item **out) {
    *out = NULL;
    p->hit_eof = 0;
    p->depth = 0;
    while (is_char(p, ';'))
        next(p);
    if (p->tok.kind == KS_TOK_EOF)
        return KS_PARSE_EOF;

    size_t start = p->tok.pos.off;
    int failed = 1;
    if (p->tok.kind != KS_TOK_ERROR) { /* a lexer error is already reported */
        ks_arena *a = ks_arena_new();
        if (!a) {
            fprintf(stderr, "kjit: out of memory\n");
            abort();
        }
        p->arena = a;
        ks_item *it = ks_arena_alloc(a, sizeof *it);
        it->arena = a;
        it->src = p->lx.src;
        it->pos = p->tok.pos;
        failed = parse_item_body(p, it);
        p->arena = NULL;
        if (!failed) {
            *out = it;
            return KS_PARSE_ITEM;
        }
        ks_arena_free(a);
    }

    if (p->hit_eof && p->quiet_eof)
        return KS_PARSE_INCOMPLETE;
    /* Resynchronise: after the next ';', or before the next def/extern. */
    while (p->tok.kind != KS_TOK_EOF) {
        if (is_char(p, ';')) {
            next(p);
            break;
        }
        if (p->tok.kind == KS_TOK_DEF || p->tok.kind == KS_TOK_EXTERN) {
            if (p->tok.pos.off == start) /* never stop where we started */
                next(p);
            else
                break;
        } else {
            next(p);
        }
    }
    return KS_PARSE_ERROR;
}
