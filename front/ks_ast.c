/*
 * ks_ast.c — freeing items and printing trees (--emit=ast).
 *
 * The printed form is an S-expression, one line per item:
 *   number           15, 0.1, 1e+300         (ks_value_format)
 *   variable         x
 *   unary            (unary! x)              (the function it calls)
 *   binary           (+ a b), (| a b)
 *   assignment       (= x e)
 *   call             (call f a b)
 *   if               (if c a b)
 *   for              (for (i start end) body), (for (i start end step) body)
 *   var ... in       (var ((a 1) (b)) body)  ((b): initialised to 0)
 *   def              (def f (a b) body), (def unary! (v) body),
 *                    (def binary| 5 (a b) body)   (precedence shown)
 *   extern           (extern sin (x))
 *   global           (global x e)
 *   top-level expr   the expression itself
 * Resolved slots are not shown; the form depends only on the source.
 */
#include "ks_ast.h"
#include <stdlib.h>
#include "ks_value.h"

void ks_item_free(ks_item *item) {
    if (item)
        ks_arena_free(item->arena); /* the item itself lives in its arena */
}

static void print_expr(FILE *out, const ks_expr *e) {
    char num[KS_VALUE_BUFSIZE];
    switch (e->kind) {
    case KS_EXPR_NUM:
        fputs(ks_value_format(e->u.num, num), out);
        break;
    case KS_EXPR_VAR:
        fputs(e->u.var.name, out);
        break;
    case KS_EXPR_UNARY:
        fprintf(out, "(unary%c ", e->u.unary.op);
        print_expr(out, e->u.unary.operand);
        fputc(')', out);
        break;
    case KS_EXPR_BINARY:
        fprintf(out, "(%c ", e->u.binary.op);
        print_expr(out, e->u.binary.lhs);
        fputc(' ', out);
        print_expr(out, e->u.binary.rhs);
        fputc(')', out);
        break;
    case KS_EXPR_ASSIGN:
        fprintf(out, "(= %s ", e->u.assign.name);
        print_expr(out, e->u.assign.value);
        fputc(')', out);
        break;
    case KS_EXPR_CALL:
        fprintf(out, "(call %s", e->u.call.callee);
        for (int i = 0; i < e->u.call.nargs; i++) {
            fputc(' ', out);
            print_expr(out, e->u.call.args[i]);
        }
        fputc(')', out);
        break;
    case KS_EXPR_IF:
        fputs("(if ", out);
        print_expr(out, e->u.if_.cond);
        fputc(' ', out);
        print_expr(out, e->u.if_.then_e);
        fputc(' ', out);
        print_expr(out, e->u.if_.else_e);
        fputc(')', out);
        break;
    case KS_EXPR_FOR:
        fprintf(out, "(for (%s ", e->u.for_.var);
        print_expr(out, e->u.for_.start);
        fputc(' ', out);
        print_expr(out, e->u.for_.end);
        if (e->u.for_.step) {
            fputc(' ', out);
            print_expr(out, e->u.for_.step);
        }
        fputs(") ", out);
        print_expr(out, e->u.for_.body);
        fputc(')', out);
        break;
    case KS_EXPR_VARIN:
        fputs("(var (", out);
        for (int i = 0; i < e->u.varin.nvars; i++) {
            const ks_binding *b = &e->u.varin.vars[i];
            fprintf(out, "%s(%s", i ? " " : "", b->name);
            if (b->init) {
                fputc(' ', out);
                print_expr(out, b->init);
            }
            fputc(')', out);
        }
        fputs(") ", out);
        print_expr(out, e->u.varin.body);
        fputc(')', out);
        break;
    }
}

static void print_proto(FILE *out, const ks_proto *p) {
    fprintf(out, "%s ", p->name);
    if (p->kind == KS_PROTO_BINARY)
        fprintf(out, "%d ", p->prec);
    fputc('(', out);
    for (int i = 0; i < p->nparams; i++)
        fprintf(out, "%s%s", i ? " " : "", p->params[i]);
    fputc(')', out);
}

void ks_ast_print(FILE *out, const ks_item *item) {
    switch (item->kind) {
    case KS_ITEM_DEF:
        fputs("(def ", out);
        print_proto(out, item->proto);
        fputc(' ', out);
        print_expr(out, item->body);
        fputc(')', out);
        break;
    case KS_ITEM_EXTERN:
        fputs("(extern ", out);
        print_proto(out, item->proto);
        fputc(')', out);
        break;
    case KS_ITEM_GLOBAL:
        fprintf(out, "(global %s ", item->global);
        print_expr(out, item->body);
        fputc(')', out);
        break;
    case KS_ITEM_EXPR:
        print_expr(out, item->body);
        break;
    }
    fputc('\n', out);
}
