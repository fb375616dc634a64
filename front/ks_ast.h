/*
 * ks_ast.h — the Kaleidoscope abstract syntax tree.
 *
 * Every node lives in the arena of its top-level item.  The parser builds the
 * tree; ks_sema resolves it (variable slots, call arity) so that IR
 * generation needs no symbol table of its own.
 */
#ifndef KS_AST_H
#define KS_AST_H
#include <stdio.h>
#include "ks_arena.h"
#include "ks_diag.h"

typedef enum ks_expr_kind {
    KS_EXPR_NUM,     /* 1.5 */
    KS_EXPR_VAR,     /* x */
    KS_EXPR_UNARY,   /* !x: call of the user-defined "unary!" */
    KS_EXPR_BINARY,  /* a + b; built-in (< + - * /) or user-defined "binary|" */
    KS_EXPR_ASSIGN,  /* x = e */
    KS_EXPR_CALL,    /* f(a, b) */
    KS_EXPR_IF,      /* if c then a else b */
    KS_EXPR_FOR,     /* for i = s, e [, step] in body */
    KS_EXPR_VARIN    /* var a = 1, b in body */
} ks_expr_kind;

typedef struct ks_expr ks_expr;

/* One binding of a `var ... in` expression. */
typedef struct ks_binding {
    const char *name;
    ks_pos pos;
    ks_expr *init;   /* NULL: initialised to 0.0 */
    int slot;        /* set by sema: local slot index */
} ks_binding;

struct ks_expr {
    ks_expr_kind kind;
    ks_pos pos;      /* operator/name/keyword position, for diagnostics */
    union {
        double num;
        struct {
            const char *name;
            int slot;          /* set by sema: local slot, or -1 for a global */
        } var;
        struct {
            int op;            /* the operator character */
            ks_expr *operand;
        } unary;
        struct {
            int op;            /* '<' '+' '-' '*' '/' or a user-defined character */
            ks_expr *lhs, *rhs;
        } binary;
        struct {
            const char *name;  /* the variable assigned */
            int slot;          /* set by sema: local slot, or -1 for a global */
            ks_expr *value;
        } assign;
        struct {
            const char *callee;
            ks_expr **args;
            int nargs;
        } call;
        struct {
            ks_expr *cond, *then_e, *else_e;
        } if_;
        struct {
            const char *var;
            ks_pos var_pos;
            int slot;          /* set by sema */
            ks_expr *start, *end, *step; /* step NULL: 1.0 */
            ks_expr *body;
        } for_;
        struct {
            ks_binding *vars;
            int nvars;
            ks_expr *body;
        } varin;
    } u;
};

typedef enum ks_proto_kind {
    KS_PROTO_PLAIN,   /* def f(a b) */
    KS_PROTO_UNARY,   /* def unary!(v) */
    KS_PROTO_BINARY   /* def binary| 5 (a b) */
} ks_proto_kind;

typedef struct ks_proto {
    ks_proto_kind kind;
    const char *name;     /* "f", "unary!", "binary|" */
    ks_pos pos;           /* of the name (the operator character for operators) */
    int op;               /* operator character, 0 for plain */
    int prec;             /* binary precedence 1..100 */
    const char **params;
    ks_pos *param_pos;
    int nparams;
} ks_proto;

typedef enum ks_item_kind {
    KS_ITEM_DEF,      /* def proto body */
    KS_ITEM_EXTERN,   /* extern proto */
    KS_ITEM_EXPR,     /* a top-level expression */
    KS_ITEM_GLOBAL    /* var name = expr;  (top-level global variable) */
} ks_item_kind;

typedef struct ks_item {
    ks_item_kind kind;
    ks_arena *arena;        /* owns this item and every node below it */
    const ks_source *src;   /* for diagnostics; outlives the item */
    ks_pos pos;             /* of the item's first token */
    ks_proto *proto;        /* DEF, EXTERN */
    ks_expr *body;          /* DEF, EXPR, GLOBAL (initialiser) */
    const char *global;     /* GLOBAL: the variable's name */
    int nlocals;            /* set by sema: local slots the body needs (params first) */
} ks_item;

/* Free an item and everything in it (frees its arena). NULL is fine. */
void ks_item_free(ks_item *item);

/* Print the tree in a stable, readable S-expression form (--emit=ast). */
void ks_ast_print(FILE *out, const ks_item *item);

#endif
