/*
 * test_parse.c — parser and semantic check: tree shapes (through
 * ks_ast_print), every parse and sema diagnostic with its position, error
 * recovery, REPL-mode incompleteness, nesting bounds, resolved slots, and
 * the printed form of a diagnostic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ks_parse.h"
#include "ks_sema.h"

#include "unit_test.h"

static FILE *out; /* everything a run produces, in order */

static void collect(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    fprintf(out, "%d:%d: %s\n", pos.line, pos.col, msg);
}

/* Run `text` (len bytes) through parser and sema in a fresh session; the
 * result lists, in order, each accepted item's tree and each diagnostic
 * ("LINE:COL: MSG"), and "incomplete" for KS_PARSE_INCOMPLETE.  The caller
 * frees it. */
static char *run_n(const char *text, size_t len, int quiet) {
    char *buf = NULL;
    size_t size = 0;
    out = open_memstream(&buf, &size);
    ks_source src = {"t.ks", text, len, 1};
    ks_diag diag = {collect, NULL, 0};
    ks_optab ops;
    ks_optab_init(&ops);
    ks_sema *sema = ks_sema_new(&ops, &diag);
    ks_parser p;
    ks_parse_init(&p, &src, &ops, &diag, quiet);
    for (int guard = 0; guard < 10000; guard++) {
        ks_item *item;
        ks_parse_status st = ks_parse_item(&p, &item);
        if (st == KS_PARSE_EOF)
            break;
        if (st == KS_PARSE_INCOMPLETE) {
            fputs("incomplete\n", out);
            break;
        }
        if (st == KS_PARSE_ITEM) {
            if (ks_sema_check(sema, item) == 0)
                ks_ast_print(out, item);
            ks_item_free(item);
        }
    }
    ks_sema_free(sema);
    fclose(out);
    return buf;
}

static void expect_run(const char *text, int quiet, const char *want, int line) {
    char *got = run_n(text, strlen(text), quiet);
    CHECK(strcmp(got, want) == 0, "line %d\n  input: %.80s\n  got:\n%.400s  want:\n%.400s", line,
          text, got, want);
    free(got);
}

#define RUN(text, want) expect_run(text, 0, want, __LINE__)
#define RUNQ(text, want) expect_run(text, 1, want, __LINE__)

static void shapes(void) {
    RUN("1+2*3", "(+ 1 (* 2 3))\n");
    RUN("1*2+3", "(+ (* 1 2) 3)\n");
    RUN("1-2-3", "(- (- 1 2) 3)\n");
    RUN("8/4/2", "(/ (/ 8 4) 2)\n");
    RUN("1+2<3*4-5", "(< (+ 1 2) (- (* 3 4) 5))\n");
    RUN("(1+2)*3", "(* (+ 1 2) 3)\n");
    RUN("((((7))))", "7\n");
    RUN("1.5 + .25", "(+ 1.5 0.25)\n");
    RUN("def f(a b c) a < b + c", "(def f (a b c) (< a (+ b c)))\n");
    RUN("def f(x) x = 1 + 2", "(def f (x) (= x (+ 1 2)))\n");
    RUN("def f(x) x = x < 1", "(def f (x) (= x (< x 1)))\n");
    RUN("def f(x) (x) = 1", "(def f (x) (= x 1))\n");
    RUN("def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2)",
        "(def fib (x) (if (< x 3) 1 (+ (call fib (- x 1)) (call fib (- x 2)))))\n");
    RUN("extern putchard(c); def f(n) for i = 1, i < n, 2 in putchard(i)",
        "(extern putchard (c))\n(def f (n) (for (i 1 (< i n) 2) (call putchard i)))\n");
    RUN("def f(n) for i = 1, i < n in i", "(def f (n) (for (i 1 (< i n)) i))\n");
    RUN("def f(x) var a = 1, b in a + b + x", "(def f (x) (var ((a 1) (b)) (+ (+ a b) x)))\n");
    RUN("def f(x) var x = x + 1 in x", "(def f (x) (var ((x (+ x 1))) x))\n");
    RUN("def f() 1; f()", "(def f () 1)\n(call f)\n");
    RUN("extern g(a b); g(1, g(2, 3))", "(extern g (a b))\n(call g 1 (call g 2 3))\n");
    RUN("extern sin(x) sin(1)", "(extern sin (x))\n(call sin 1)\n");

    /* User-defined operators and their precedence. */
    RUN("def binary| 5 (a b) if a then 1 else if b then 1 else 0; def f(a b) a | b < 2",
        "(def binary| 5 (a b) (if a 1 (if b 1 0)))\n(def f (a b) (| a (< b 2)))\n");
    RUN("def binary& (a b) a*b; def f(x) x & x + 1; def g(x) x + x & 1",
        "(def binary& 30 (a b) (* a b))\n(def f (x) (+ (& x x) 1))\n(def g (x) (+ x (& x 1)))\n");
    RUN("def binary@ 20 (a b) a; def f(a b c) a @ b + c - a @ b",
        "(def binary@ 20 (a b) a)\n(def f (a b c) (@ (- (+ (@ a b) c) a) b))\n");
    RUN("def binary: 1 (x y) y; def f(x) x = 1 : 2",
        "(def binary: 1 (x y) y)\n(def f (x) (: (= x 1) 2))\n");
    RUN("def binary% 99.9 (a b) a; 1 % 2", "(def binary% 99 (a b) a)\n(% 1 2)\n");
    RUN("def unary!(v) if v then 0 else 1; def f(x) !x + !!x",
        "(def unary! (v) (if v 0 1))\n(def f (x) (+ (unary! x) (unary! (unary! x))))\n");
    RUN("def unary-(v) 0-v; def f(x) -x * 2; 1 - -2",
        "(def unary- (v) (- 0 v))\n(def f (x) (* (unary- x) 2))\n(- 1 (unary- 2))\n");
    RUN("def unary - (v) 0-v", "(def unary- (v) (- 0 v))\n");
    RUN("def unary=(v) v; =3", "(def unary= (v) v)\n(unary= 3)\n");
    /* As toy: a character with only a unary meaning ends an expression. */
    RUN("def unary!(v) 0; 1 !2", "(def unary! (v) 0)\n1\n(unary! 2)\n");
    /* A binary operator may be redefined (same arity), with a new precedence. */
    RUN("def binary% 5 (a b) a; def binary% 50 (a b) b; 1 + 2 % 3",
        "(def binary% 5 (a b) a)\n(def binary% 50 (a b) b)\n(+ 1 (% 2 3))\n");
    RUN("extern binary~ 7 (a b)", "(extern binary~ 7 (a b))\n");

    /* Top level: ';' optional, stray ';' skipped, globals. */
    RUN("1+2;;; 3", "(+ 1 2)\n3\n");
    RUN(";;;", "");
    RUN("", "");
    RUN("# nothing\n", "");
    RUN("1 2", "1\n2\n");
    RUN("var g = 5; g * 2", "(global g 5)\n(* g 2)\n");
    RUN("var g; g", "(global g 0)\ng\n");
    RUN("var g = 1; def f() g = g + 1", "(global g 1)\n(def f () (= g (+ g 1)))\n");
    RUN("var a = 1 in a", "(var ((a 1)) a)\n");
    RUN("var a = 1, b = a in b", "(var ((a 1) (b a)) b)\n");
    RUN("var a = 1 in a + 1 * 2", "(var ((a 1)) (+ a (* 1 2)))\n");
}

static void errors(void) {
    /* Parser. */
    RUN("1 +", "1:4: expected expression, got end of input\n");
    RUN("(1", "1:3: expected ')', got end of input\n");
    RUN("extern f(a b); f(1 2)", "(extern f (a b))\n"
                                 "1:20: expected ',' or ')' in argument list, got number '2'\n");
    RUN("if 1 2", "1:6: expected 'then', got number '2'\n");
    RUN("if 1 then 2", "1:12: expected 'else', got end of input\n");
    RUN("if 1 then 2 then", "1:13: expected 'else', got 'then'\n");
    RUN("for 1", "1:5: expected identifier after 'for', got number '1'\n");
    RUN("for i 1", "1:7: expected '=' after for variable, got number '1'\n");
    RUN("for i = 1 in", "1:11: expected ',' after for start value, got 'in'\n");
    RUN("for i = 1, 2 3", "1:14: expected 'in' after for, got number '3'\n");
    RUN("var 1", "1:5: expected variable name, got number '1'\n");
    RUN("var a = 1, 2", "1:12: expected variable name, got number '2'\n");
    RUN("var a, b", "1:9: expected 'in' after var bindings, got end of input\n");
    RUN("def f(x) var a x", "1:16: expected 'in' after var bindings, got identifier 'x'\n");
    RUN("def 1", "1:5: expected function name in prototype, got number '1'\n");
    RUN("extern if", "1:8: expected function name in prototype, got 'if'\n");
    RUN("def f x", "1:7: expected '(' in prototype, got identifier 'x'\n");
    RUN("def f(a, b) a", "1:8: expected parameter name or ')' in prototype, got ','\n");
    RUN("def f(a", "1:8: expected parameter name or ')' in prototype, got end of input\n");
    RUN("def unary (v) 1", "1:11: expected operator character after 'unary', got '('\n");
    RUN("def unary;(v) 1", "1:10: expected operator character after 'unary', got ';'\n"
                          "1:12: unknown variable 'v'\n1\n");
    RUN("def binary a (x y) 1",
        "1:12: expected operator character after 'binary', got identifier 'a'\n");
    RUN("def binary% 0 (a b) a", "1:13: precedence must be between 1 and 100, got 0\n");
    RUN("def binary% 101 (a b) a", "1:13: precedence must be between 1 and 100, got 101\n");
    RUN("def binary% 0.5 (a b) a", "1:13: precedence must be between 1 and 100, got 0.5\n");
    RUN("def unary!(a b) a", "1:10: unary operator must have exactly 1 parameter, got 2\n");
    RUN("def unary!() 1", "1:10: unary operator must have exactly 1 parameter, got 0\n");
    RUN("def binary% (a) a", "1:11: binary operator must have exactly 2 parameters, got 1\n");
    RUN("!x", "1:1: unknown unary operator '!'\n");
    RUN("1 + -2", "1:5: unknown unary operator '-'\n");
    RUN("1 | 2", "1:3: unknown binary operator '|'\n");
    RUN("1 ] 2", "1:3: unknown binary operator ']'\n");
    RUN("1 = 2", "1:3: destination of '=' must be a variable\n");
    RUN("def f(x y) x = y = 3", "1:18: destination of '=' must be a variable\n");
    RUN("def f(x y) x + y = 3", "1:18: destination of '=' must be a variable\n");
    RUN("def f(x) f(x) = 3", "1:15: destination of '=' must be a variable\n");
    RUN(")", "1:1: expected expression, got ')'\n");
    RUN("then", "1:1: expected expression, got 'then'\n");
    RUN("1 + in", "1:5: expected expression, got 'in'\n");

    /* Sema. */
    RUN("x", "1:1: unknown variable 'x'\n");
    RUN("def f(x) y = 1", "1:10: unknown variable 'y'\n");
    RUN("def f(x) x + y + z", "1:14: unknown variable 'y'\n1:18: unknown variable 'z'\n");
    RUN("def f(x y x) 1", "1:11: duplicate parameter 'x'\n");
    RUN("def f(x x x) 1", "1:9: duplicate parameter 'x'\n1:11: duplicate parameter 'x'\n");
    RUN("def binary+ (a b) a", "1:11: cannot redefine built-in operator '+'\n");
    RUN("def binary= 3 (a b) a", "1:11: cannot redefine built-in operator '='\n");
    RUN("def binary< (a b) a", "1:11: cannot redefine built-in operator '<'\n");
    RUN("extern g(a b); g(1)", "(extern g (a b))\n1:16: function 'g' expects 2 arguments, got 1\n");
    RUN("def f(x) f(x, 1)", "1:10: function 'f' expects 1 argument, got 2\n");
    /* A forward reference fixes the arity... */
    RUN("def f() h(1); h(1, 2)", "(def f () (call h 1))\n1:15: function 'h' expects 1 argument, got 2\n");
    RUN("def f() h(1) + h()", "1:16: function 'h' expects 1 argument, got 0\n");
    /* ...but only when its item is accepted. */
    RUN("def f() h(1) + y; h(1,2)", "1:16: unknown variable 'y'\n(call h 1 2)\n");
    RUN("def f(a b) a; def f(a) a", "(def f (a b) a)\n1:19: 'f' redefined with 1 parameter (it had 2)\n");
    RUN("extern f(a); def f() 1", "(extern f (a))\n1:18: 'f' redefined with 0 parameters (it had 1)\n");
    RUN("def g() k(1); extern k(a b)",
        "(def g () (call k 1))\n1:22: 'k' declared with 2 parameters, but an earlier call passes 1\n");
    RUN("def g() k(1); def k(a b) a",
        "(def g () (call k 1))\n1:19: 'k' defined with 2 parameters, but an earlier call passes 1\n");
    RUN("def f(a) 1; def f(b) 2", "(def f (a) 1)\n(def f (b) 2)\n");
    RUN("def g() k(1); def k(a) a", "(def g () (call k 1))\n(def k (a) a)\n");
    /* An operator cannot be used in its own definition (as toy). */
    RUN("def binary% 5 (a b) a % b", "1:23: unknown binary operator '%'\n");
    RUN("def unary!(v) !v", "1:15: unknown unary operator '!'\n");
    /* A rejected operator definition does not install the operator. */
    RUN("def binary% 5 (a b) a + y; 1 % 2",
        "1:25: unknown variable 'y'\n1:30: unknown binary operator '%'\n");
    RUN("def binary+ (a b) a; 1 + 2", "1:11: cannot redefine built-in operator '+'\n(+ 1 2)\n");
    /* Scoping. */
    RUN("def f(x) for i = i, 1 in 0", "1:18: unknown variable 'i'\n");
    RUN("def f(x) var a = a in a", "1:18: unknown variable 'a'\n");
    RUN("def f(x) (var a = 1 in a) + a", "1:29: unknown variable 'a'\n");
    RUN("def f(x) (for i = 1, i in i) + i", "1:32: unknown variable 'i'\n");
    RUN("var z = z", "1:9: unknown variable 'z'\n");
    RUN("def h() q; var q = 1; def h() q",
        "1:9: unknown variable 'q'\n(global q 1)\n(def h () q)\n");
}

static void recovery(void) {
    RUN("1 + ; 2", "1:5: expected expression, got ';'\n2\n");
    RUN("1 + ) 5; 7", "1:5: expected expression, got ')'\n7\n");
    RUN("f(1 def g() 2", "1:5: expected ',' or ')' in argument list, got 'def'\n(def g () 2)\n");
    RUN("def def g() 2", "1:5: expected function name in prototype, got 'def'\n(def g () 2)\n");
    RUN("1 + extern g(x); 3", "1:5: expected expression, got 'extern'\n(extern g (x))\n3\n");
    RUN("1.2.3 + 1; 4", "1:1: malformed number '1.2.3'\n4\n");
    RUN("1 + 1.2.3; 4", "1:5: malformed number '1.2.3'\n4\n");
    RUN("\x01; 4", "1:1: unexpected byte 0x01\n4\n");
    /* The lexer reports a bad byte as it reads ahead, before the item ends. */
    RUN("def f(x) x \x01 ; 5", "1:12: unexpected byte 0x01\n(def f (x) x)\n5\n");
    RUN("1 +\n2 +\n)\n4", "3:1: expected expression, got ')'\n");
    RUN("1 +\n2 +\n);\n4", "3:1: expected expression, got ')'\n4\n");
    /* REPL mode: an item cut short by the end is incomplete, not an error. */
    RUNQ("def f(x)", "incomplete\n");
    RUNQ("1 +", "incomplete\n");
    RUNQ("if x then", "incomplete\n");
    RUNQ("def", "incomplete\n");
    RUNQ("var a = 1, b", "incomplete\n");
    RUNQ("1 + )", "1:5: expected expression, got ')'\n");
    RUNQ("var a = 1", "(global a 1)\n");
    RUNQ("1; 2 *", "1\nincomplete\n");
}

/* A string of n copies of `s`. */
static char *rep(const char *s, int n, const char *tail) {
    size_t l = strlen(s), t = strlen(tail);
    char *b = malloc(l * (size_t)n + t + 1);
    for (int i = 0; i < n; i++)
        memcpy(b + l * (size_t)i, s, l);
    memcpy(b + l * (size_t)n, tail, t + 1);
    return b;
}

static void nesting(void) {
    char *s = rep("(", 5000, "1");
    RUN(s, "1:1001: nesting too deep\n");
    free(s);
    s = rep("(", 999, "1");
    char *t = rep(")", 999, "");
    char *u = malloc(strlen(s) + strlen(t) + 1);
    strcpy(u, s);
    strcat(u, t);
    RUN(u, "1\n");
    free(s), free(t), free(u);
    s = rep("1+", 1500, "1");
    RUN(s, "1:2000: nesting too deep\n");
    free(s);
    s = rep("1+", 999, "1");
    char *got = run_n(s, strlen(s), 0);
    CHECK(strncmp(got, "(+ (+ (+ ", 9) == 0, "long chain: %.20s", got);
    free(got), free(s);
    s = rep("!", 3000, "1");
    char *d = malloc(strlen(s) + 40);
    strcpy(d, "def unary!(v) v;");
    strcat(d, s);
    RUN(d, "(def unary! (v) v)\n1:1017: nesting too deep\n");
    free(s), free(d);
    s = rep("if 1 then 1 else ", 3000, "1");
    RUN(s, "1:16987: nesting too deep\n"); /* the 1000th if's condition */
    free(s);
}

/* The slots sema records. */
static void slots(void) {
    const char *text = "def f(a b) var c = a in (for i = 0, i < c in b) + (var d, c = c in c + d)";
    ks_source src = {"t.ks", text, strlen(text), 1};
    ks_diag diag = {NULL, NULL, 0};
    ks_optab ops;
    ks_optab_init(&ops);
    ks_sema *sema = ks_sema_new(&ops, &diag);
    ks_parser p;
    ks_parse_init(&p, &src, &ops, &diag, 0);
    ks_item *it;
    CHECK(ks_parse_item(&p, &it) == KS_PARSE_ITEM, "parse");
    CHECK(ks_sema_check(sema, it) == 0, "sema");
    CHECK(it->nlocals == 6, "nlocals %d", it->nlocals);
    ks_expr *v = it->body; /* var c = a in (+ for varin) */
    CHECK(v->kind == KS_EXPR_VARIN && v->u.varin.vars[0].slot == 2, "c slot");
    CHECK(v->u.varin.vars[0].init->u.var.slot == 0, "a slot");
    ks_expr *plus = v->u.varin.body;
    ks_expr *loop = plus->u.binary.lhs, *inner = plus->u.binary.rhs;
    CHECK(loop->u.for_.slot == 3, "i slot %d", loop->u.for_.slot);
    CHECK(loop->u.for_.end->u.binary.lhs->u.var.slot == 3, "i in end");
    CHECK(loop->u.for_.end->u.binary.rhs->u.var.slot == 2, "c in end");
    CHECK(loop->u.for_.body->u.var.slot == 1, "b in body");
    CHECK(inner->u.varin.vars[0].slot == 4 && inner->u.varin.vars[1].slot == 5, "d, c slots");
    CHECK(inner->u.varin.vars[1].init->u.var.slot == 2, "inner c init sees outer c");
    CHECK(inner->u.varin.body->u.binary.lhs->u.var.slot == 5, "inner c");
    CHECK(inner->u.varin.body->u.binary.rhs->u.var.slot == 4, "d");
    ks_item_free(it);

    /* Globals resolve to -1; arities are queryable. */
    const char *text2 = "var g = 2; def h(x) g = x + g; q(g)";
    src = (ks_source){"t.ks", text2, strlen(text2), 1};
    ks_parse_init(&p, &src, &ops, &diag, 0);
    CHECK(ks_parse_item(&p, &it) == KS_PARSE_ITEM && it->kind == KS_ITEM_GLOBAL, "global");
    CHECK(strcmp(it->global, "g") == 0, "global name");
    CHECK(!ks_sema_is_global(sema, "g"), "not yet global");
    CHECK(ks_sema_check(sema, it) == 0 && it->nlocals == 0, "global ok");
    CHECK(ks_sema_is_global(sema, "g"), "now global");
    ks_item_free(it);
    CHECK(ks_parse_item(&p, &it) == KS_PARSE_ITEM && ks_sema_check(sema, it) == 0, "h");
    CHECK(it->body->kind == KS_EXPR_ASSIGN && it->body->u.assign.slot == -1, "assign global");
    CHECK(it->body->u.assign.value->u.binary.lhs->u.var.slot == 0, "x");
    CHECK(it->body->u.assign.value->u.binary.rhs->u.var.slot == -1, "g");
    CHECK(it->nlocals == 1, "nlocals %d", it->nlocals);
    ks_item_free(it);
    CHECK(ks_sema_arity(sema, "h") == 1 && ks_sema_arity(sema, "q") == -1, "arity");
    CHECK(ks_parse_item(&p, &it) == KS_PARSE_ITEM && ks_sema_check(sema, it) == 0, "q(g)");
    CHECK(ks_sema_arity(sema, "q") == 1, "q arity fixed");
    ks_item_free(it);
    CHECK(ks_parse_item(&p, &it) == KS_PARSE_EOF, "eof");
    CHECK(diag.errors == 0, "errors %d", diag.errors);

    /* Operators enter the table only when their definition is accepted. */
    CHECK(ops.binary_prec['%'] == 0, "no %%");
    const char *text3 = "def binary% 7 (a b) a; def unary~(v) v";
    src = (ks_source){"t.ks", text3, strlen(text3), 1};
    ks_parse_init(&p, &src, &ops, &diag, 0);
    while (ks_parse_item(&p, &it) == KS_PARSE_ITEM) {
        CHECK(ks_sema_check(sema, it) == 0, "op def");
        ks_item_free(it);
    }
    CHECK(ops.binary_prec['%'] == 7 && ops.unary_defined['~'] && !ops.builtin['%'], "ops");
    CHECK(ks_sema_arity(sema, "binary%") == 2 && ks_sema_arity(sema, "unary~") == 1, "op arity");
    ks_sema_free(sema);
}

static char *print_diag(const char *text, size_t len, ks_pos pos, const char *msg) {
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    ks_source src = {"x.ks", text, len, 1};
    ks_diag_print(f, &src, pos, "error", msg);
    fclose(f);
    return buf;
}

#define DIAG_PRINT(text, line, col, off, want)                                       \
    do {                                                                             \
        char *got_ = print_diag(text, sizeof(text) - 1, (ks_pos){line, col, off}, "m"); \
        CHECK(strcmp(got_, want) == 0, "got:\n%s\nwant:\n%s", got_, want);           \
        free(got_);                                                                  \
    } while (0)

static void diag_print(void) {
    DIAG_PRINT("1 + )", 1, 5, 4, "x.ks:1:5: error: m\n1 + )\n    ^\n");
    DIAG_PRINT("a\n\tb\t)\nc", 2, 4, 5, "x.ks:2:4: error: m\n\tb\t)\n\t \t^\n");
    DIAG_PRINT("a\x01\xff\0 b", 1, 6, 5, "x.ks:1:6: error: m\na??? b\n     ^\n");
    DIAG_PRINT("x +\r\n", 1, 4, 3, "x.ks:1:4: error: m\nx +\n   ^\n");
    DIAG_PRINT("1 +", 1, 4, 3, "x.ks:1:4: error: m\n1 +\n   ^\n");
    DIAG_PRINT("", 1, 1, 0, "x.ks:1:1: error: m\n\n^\n");
    /* A long line is shown as a window around the column. */
    char *s = rep("a", 1000, ")");
    char *got = print_diag(s, 1001, (ks_pos){1, 1001, 1000}, "m");
    char *want = malloc(300);
    char *a60 = rep("a", 60, ")");
    char *sp = rep(" ", 63, "^\n");
    snprintf(want, 300, "x.ks:1:1001: error: m\n...%s\n%s", a60, sp);
    CHECK(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
    free(got), free(want), free(a60), free(sp);
    /* A first line too long for the buffer is cut but stays a line. */
    char *longmsg = rep("m", 5000, "");
    got = print_diag("x", 1, (ks_pos){1, 1, 0}, longmsg);
    CHECK(strncmp(got, "x.ks:1:1: error: mmm", 20) == 0 && strstr(got, "m\nx\n^\n") &&
              strlen(got) < 1200,
          "got %zu bytes", strlen(got));
    free(got), free(longmsg);
    got = print_diag(s, 1001, (ks_pos){1, 2, 1}, "m");
    CHECK(strncmp(got, "x.ks:1:2: error: m\naaaa", 23) == 0 && strstr(got, "aaa...\n ^\n"),
          "got:\n%s", got);
    free(got), free(s);
}

int main(void) {
    shapes();
    errors();
    recovery();
    nesting();
    slots();
    diag_print();
    printf("test_parse: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
