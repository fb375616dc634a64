/*
 * test_t0.c — tier 0 (ks_t0): programs run through the real parser and sema,
 * lowered, and interpreted through a test env whose calls dispatch by name to
 * other lowered items or to host functions (a recording printd, putchard).
 *
 *   - hand-computed values: every operator in folded and run-time forms, user
 *     operators and precedence, if with NaN/-0, for (order of body, step and
 *     end test, with and without step), var/in shadowing, assignment, globals,
 *     recursion, mutual recursion, a Mandelbrot count against C;
 *   - a differential check against a tree-walking model written here, on
 *     seeded random programs, comparing result bits, printd logs and globals;
 *   - back-edge hooks: loop numbers in pre-order, frames at each back-edge,
 *     pending operands, the interval, and a hook that finishes the function;
 *   - deep recursion, and siglongjmp out of nested activations (no leak);
 *   - with KS_T0_BENCH set: lowering time, code size, run speed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ks_parse.h"
#include "ks_sema.h"
#include "ks_t0.h"

#include "unit_test.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_T0_TEST_ASAN 1
#endif
#endif
#ifdef KS_T0_TEST_ASAN
#define DEEP "300" /* ks_t0_exec has an 8 KB frame at -O0 with ASan+UBSan */
#else
#define DEEP "20000"
#endif

/* ---- a session: functions, globals, host functions ---------------------- */

typedef struct prog prog;

typedef struct fn {
    char *name;
    int nargs;
    ks_t0_code *code; /* the T0 form of its def, or NULL */
    ks_item *item;    /* the def itself, for the model */
    double (*host)(prog *, const double *args);
} fn;

typedef struct gvar {
    char *name;
    double *val; /* its own allocation: storage must not move */
} gvar;

typedef struct hook_rec {
    int loop;
    double frame[8];
} hook_rec;

struct prog {
    ks_optab ops;
    ks_diag diag;
    ks_sema *sema;
    ks_t0_env env;
    fn *fns[256];
    int nfns;
    gvar globals[32];
    int nglobals;
    double log[4096]; /* printd's arguments */
    int nlog;
    char out[4096];   /* putchard's output */
    int nout;
    int model;        /* calls go to the model evaluator, not to T0 */
    char *texts[256]; /* sources of kept items */
    int ntexts;
    /* back-edge hook state */
    hook_rec hooks[64];
    int nhooks;
    int hook_nframe;    /* frame values the hook records (at most 8) */
    int hook_finish_at; /* return 1 at this hook call (1-based); 0: never */
    double hook_result;
    jmp_buf *escape;  /* boom() siglongjmps here */
    int errors;
    uintptr_t mark;   /* a stack address seen by mark() */
};

static fn *find_fn(prog *p, const char *name) {
    for (int i = 0; i < p->nfns; i++)
        if (strcmp(p->fns[i]->name, name) == 0)
            return p->fns[i];
    return NULL;
}

static fn *add_fn(prog *p, const char *name, int nargs) {
    fn *f = find_fn(p, name);
    if (f)
        return f;
    f = calloc(1, sizeof *f);
    f->name = strdup(name);
    f->nargs = nargs;
    p->fns[p->nfns++] = f;
    return f;
}

static double *gref(prog *p, const char *name) {
    for (int i = 0; i < p->nglobals; i++)
        if (strcmp(p->globals[i].name, name) == 0)
            return p->globals[i].val;
    gvar *g = &p->globals[p->nglobals++];
    g->name = strdup(name);
    g->val = calloc(1, sizeof(double));
    return g->val;
}

static double model_call(prog *p, fn *f, const double *args);

static void *env_callee(void *ctx, const char *name, int nargs) {
    return add_fn(ctx, name, nargs);
}

static double env_call(void *ctx, void *h, const double *args, int nargs, const char *file,
                       unsigned line, unsigned col) {
    (void)file, (void)line, (void)col;
    prog *p = ctx;
    fn *f = h;
    if (f->host)
        return f->host(p, args);
    if (!f->code) {
        p->errors++;
        return NAN;
    }
    return ks_t0_exec(f->code, args, p);
}

static double *env_global(void *ctx, const char *name) { return gref(ctx, name); }

static int env_backedge(void *ctx, void *user, int loop, double *frame, double *result) {
    prog *p = ctx;
    CHECK(user == p, "activation_user passed through");
    if (p->nhooks < 64) {
        hook_rec *r = &p->hooks[p->nhooks];
        r->loop = loop;
        memcpy(r->frame, frame, (size_t)p->hook_nframe * sizeof *frame);
    }
    p->nhooks++;
    if (p->hook_finish_at && p->nhooks == p->hook_finish_at) {
        *result = p->hook_result;
        return 1;
    }
    return 0;
}

static double host_printd(prog *p, const double *a) {
    if (p->nlog < 4096)
        p->log[p->nlog++] = a[0];
    return 0;
}

static double host_putchard(prog *p, const double *a) {
    if (p->nout < 4095)
        p->out[p->nout++] = (char)(int)a[0];
    return 0;
}

static double host_boom(prog *p, const double *a) {
    siglongjmp(*p->escape, 1);
}

static double host_mark(prog *p, const double *a) {
    volatile char c = 0;
    p->mark = (uintptr_t)&c;
    return c;
}

static void collect(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    printf("  diagnostic %d:%d: %s\n", pos.line, pos.col, msg);
}

static void prog_init(prog *p, int interval) {
    memset(p, 0, sizeof *p);
    ks_optab_init(&p->ops);
    p->diag = (ks_diag){collect, NULL, 0};
    p->sema = ks_sema_new(&p->ops, &p->diag);
    p->env = (ks_t0_env){p, env_callee, env_call, env_global, env_backedge, interval, 0};
    add_fn(p, "printd", 1)->host = host_printd;
    add_fn(p, "putchard", 1)->host = host_putchard;
    add_fn(p, "boom", 0)->host = host_boom;
    add_fn(p, "mark", 0)->host = host_mark;
}

static void prog_free(prog *p) {
    for (int i = 0; i < p->nfns; i++) {
        ks_t0_free(p->fns[i]->code);
        ks_item_free(p->fns[i]->item);
        free(p->fns[i]->name);
        free(p->fns[i]);
    }
    for (int i = 0; i < p->nglobals; i++) {
        free(p->globals[i].name);
        free(p->globals[i].val);
    }
    for (int i = 0; i < p->ntexts; i++)
        free(p->texts[i]);
    ks_sema_free(p->sema);
}

/* ---- the model: a tree walk written from ks_irgen's semantics ----------- */

static int model_truth(double c) { return c != 0.0 && !isnan(c); }

static double model(prog *p, const ks_expr *e, double *loc);

static double model_named(prog *p, const char *name, const double *args) {
    fn *f = find_fn(p, name);
    if (!f) {
        p->errors++;
        return NAN;
    }
    return model_call(p, f, args);
}

static double model_call(prog *p, fn *f, const double *args) {
    if (f->host)
        return f->host(p, args);
    if (!f->item) {
        p->errors++;
        return NAN;
    }
    int n = f->item->nlocals > f->nargs ? f->item->nlocals : f->nargs;
    double *loc = calloc((size_t)n + 1, sizeof *loc);
    memcpy(loc, args, (size_t)f->nargs * sizeof *loc);
    double v = model(p, f->item->body, loc);
    free(loc);
    return v;
}

static double model(prog *p, const ks_expr *e, double *loc) {
    switch (e->kind) {
    case KS_EXPR_NUM: return e->u.num;
    case KS_EXPR_VAR: return e->u.var.slot >= 0 ? loc[e->u.var.slot] : *gref(p, e->u.var.name);
    case KS_EXPR_UNARY: {
        double v = model(p, e->u.unary.operand, loc);
        char name[8] = "unary?";
        name[5] = (char)e->u.unary.op;
        return model_named(p, name, &v);
    }
    case KS_EXPR_BINARY: {
        double a[2];
        a[0] = model(p, e->u.binary.lhs, loc);
        a[1] = model(p, e->u.binary.rhs, loc);
        switch (e->u.binary.op) {
        case '+': return a[0] + a[1];
        case '-': return a[0] - a[1];
        case '*': return a[0] * a[1];
        case '/': return a[0] / a[1];
        case '<': return (isunordered(a[0], a[1]) || a[0] < a[1]) ? 1.0 : 0.0;
        }
        char name[8] = "binary?";
        name[6] = (char)e->u.binary.op;
        return model_named(p, name, a);
    }
    case KS_EXPR_ASSIGN: {
        double v = model(p, e->u.assign.value, loc);
        if (e->u.assign.slot >= 0)
            loc[e->u.assign.slot] = v;
        else
            *gref(p, e->u.assign.name) = v;
        return v;
    }
    case KS_EXPR_CALL: {
        double a[16];
        for (int i = 0; i < e->u.call.nargs; i++)
            a[i] = model(p, e->u.call.args[i], loc);
        return model_named(p, e->u.call.callee, a);
    }
    case KS_EXPR_IF:
        return model_truth(model(p, e->u.if_.cond, loc)) ? model(p, e->u.if_.then_e, loc)
                                                         : model(p, e->u.if_.else_e, loc);
    case KS_EXPR_FOR: {
        int s = e->u.for_.slot;
        loc[s] = model(p, e->u.for_.start, loc);
        for (;;) {
            model(p, e->u.for_.body, loc);
            double step = e->u.for_.step ? model(p, e->u.for_.step, loc) : 1.0;
            double end = model(p, e->u.for_.end, loc);
            loc[s] += step;
            if (!model_truth(end))
                return 0.0;
        }
    }
    case KS_EXPR_VARIN:
        for (int i = 0; i < e->u.varin.nvars; i++) {
            const ks_binding *b = &e->u.varin.vars[i];
            loc[b->slot] = b->init ? model(p, b->init, loc) : 0.0;
        }
        return model(p, e->u.varin.body, loc);
    }
    return NAN;
}

/* ---- running programs ----------------------------------------------------- */

static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Snapshot of the globals, to run one item twice from the same state. */
typedef struct snap {
    double v[32];
} snap;
static void save(prog *p, snap *s) {
    for (int i = 0; i < p->nglobals; i++)
        s->v[i] = *p->globals[i].val;
}
static void restore(prog *p, const snap *s) {
    for (int i = 0; i < p->nglobals; i++)
        *p->globals[i].val = s->v[i];
}

/* Run every item of text; returns the value of the last expression or
 * global.  With `diff`, each expression also runs in the model from the same
 * globals, and result, printd log and globals must agree bit for bit. */
static double run_text(prog *p, const char *text, int diff, int line) {
    if (p->ntexts + 2 > 256) {
        CHECK(0, "line %d: too many texts", line);
        return NAN;
    }
    char *copy = strdup(text);
    p->texts[p->ntexts++] = copy;
    ks_source src = {"t.ks", copy, strlen(copy), 1};
    /* Items kept (defs) refer to src: keep it alive in the copy's slot. */
    ks_source *srcp = malloc(sizeof *srcp);
    *srcp = src;
    p->texts[p->ntexts++] = (char *)srcp;
    ks_parser ps;
    ks_parse_init(&ps, srcp, &p->ops, &p->diag, 0);
    double last = NAN;
    for (;;) {
        ks_item *item;
        ks_parse_status st = ks_parse_item(&ps, &item);
        if (st == KS_PARSE_EOF)
            break;
        if (st != KS_PARSE_ITEM || ks_sema_check(p->sema, item) != 0) {
            CHECK(0, "line %d: front end rejected: %s", line, text);
            if (st == KS_PARSE_ITEM)
                ks_item_free(item);
            if (st == KS_PARSE_INCOMPLETE)
                break;
            continue;
        }
        if (item->kind == KS_ITEM_EXTERN) {
            char err[128];
            CHECK(ks_t0_lower(item, &p->env, err, sizeof err) == NULL, "extern lowered");
            ks_item_free(item);
            continue;
        }
        char err[128] = "";
        ks_t0_code *code = ks_t0_lower(item, &p->env, err, sizeof err);
        CHECK(code != NULL, "line %d: lower failed: %s", line, err);
        if (!code) {
            ks_item_free(item);
            continue;
        }
        if (item->kind == KS_ITEM_DEF) {
            fn *f = add_fn(p, item->proto->name, item->proto->nparams);
            ks_t0_free(f->code);
            ks_item_free(f->item);
            f->code = code;
            f->item = item;
            continue;
        }
        snap before, after_t0;
        save(p, &before);
        int log0 = p->nlog;
        p->model = 0;
        last = ks_t0_exec(code, NULL, p);
        if (diff) {
            save(p, &after_t0);
            int nlog_t0 = p->nlog - log0;
            double log_t0[64];
            memcpy(log_t0, p->log + log0, (size_t)(nlog_t0 < 64 ? nlog_t0 : 64) * sizeof(double));
            restore(p, &before);
            p->nlog = log0;
            double *loc = calloc((size_t)item->nlocals + 1, sizeof *loc);
            double m = model(p, item->body, loc);
            free(loc);
            if (item->kind == KS_ITEM_GLOBAL)
                *gref(p, item->global) = m;
            CHECK(same(m, last), "line %d: t0 %a, model %a\n  %s", line, last, m, text);
            CHECK(p->nlog - log0 == nlog_t0, "line %d: printd count t0 %d model %d", line,
                  nlog_t0, p->nlog - log0);
            for (int i = 0; i < nlog_t0 && i < 64 && i < p->nlog - log0; i++)
                CHECK(same(log_t0[i], p->log[log0 + i]), "line %d: printd %d: %a vs %a", line, i,
                      log_t0[i], p->log[log0 + i]);
            for (int i = 0; i < p->nglobals; i++)
                CHECK(same(after_t0.v[i], *p->globals[i].val), "line %d: global %s", line,
                      p->globals[i].name);
        }
        ks_t0_free(code);
        ks_item_free(item);
    }
    return last;
}

/* Kaleidoscope's value of `text` (its last expression) in a fresh session. */
static double value_of(const char *text, int diff, int line) {
    prog p;
    prog_init(&p, 1);
    double v = run_text(&p, text, diff, line);
    CHECK(p.errors == 0, "line %d: calls of undefined functions", line);
    prog_free(&p);
    return v;
}

#define EXPECT(text, want) EXPECT_D(text, want, 1)
/* Without the model (whose C stack per call is larger). */
#define EXPECT_DEEP(text, want) EXPECT_D(text, want, 0)
#define EXPECT_D(text, want, diff)                                                           \
    do {                                                                                     \
        double got_ = value_of(text, diff, __LINE__), want_ = (want);                              \
        CHECK(same(got_, want_) || (isnan(got_) && isnan(want_)), "%s\n  got %a (%.17g), want %a", \
              text, got_, got_, want_);                                                      \
    } while (0)

/* The printd log of text, as "v v v". */
static void expect_log(const char *text, const char *want_log, double want, int line) {
    prog p;
    prog_init(&p, 1);
    double v = run_text(&p, text, 1, line);
    char buf[1024] = "";
    size_t n = 0;
    for (int i = 0; i < p.nlog && n < sizeof buf - 32; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%g", i ? " " : "", p.log[i]);
    CHECK(strcmp(buf, want_log) == 0, "line %d: log \"%s\", want \"%s\"", line, buf, want_log);
    CHECK(same(v, want), "line %d: value %g, want %g", line, v, want);
    prog_free(&p);
}
#define EXPECT_LOG(text, log, want) expect_log(text, log, want, __LINE__)

/* ---- hand-computed values -------------------------------------------------- */

static void operators(void) {
    double nz = -0.0;
    /* Folded at lowering time. */
    EXPECT("1 + 2", 3);
    EXPECT("5 - 7", -2);
    EXPECT("3 * 4", 12);
    EXPECT("1 / 4", 0.25);
    EXPECT("1 < 2", 1);
    EXPECT("2 < 1", 0);
    EXPECT("1 < 1", 0);
    EXPECT("(0/0) < 1", 1); /* fcmp ult: true on NaN */
    EXPECT("1 < (0/0)", 1);
    EXPECT("0 * (0 - 1)", nz);
    EXPECT("0 - 0", 0.0);
    EXPECT("1 / 0", INFINITY);
    EXPECT("(0 - 1) / 0", -INFINITY);
    EXPECT("0 / 0", NAN);
    EXPECT("0.1 + 0.2", 0.1 + 0.2);
    EXPECT("1 + 2 * 3 - 4 / 8", 6.5);
    /* At run time, in every operand form. */
    static const char *ops = "+-*/<";
    double a = 0.1, b = 3;
    for (int i = 0; i < 5; i++) {
        char src[512];
        double want;
        switch (ops[i]) {
        case '+': want = a + b; break;
        case '-': want = a - b; break;
        case '*': want = a * b; break;
        case '/': want = a / b; break;
        default: want = a < b; break;
        }
        char o = ops[i];
        /* rr, rk, kr, ar, ak, ra, ka, and held lhs */
        const char *forms[] = {
            "def f(a b) a %c b; f(0.1, 3)",
            "def f(a) a %c 3; f(0.1)",
            "def f(b) 0.1 %c b; f(3)",
            "def id(x) x; def f(a b) id(a) %c b; f(0.1, 3)",
            "def id(x) x; def f(a) id(a) %c 3; f(0.1)",
            "def id(x) x; def f(a b) a %c id(b); f(0.1, 3)",
            "def id(x) x; def f(b) 0.1 %c id(b); f(3)",
            "def id(x) x; def f(a b) id(a) %c id(b); f(0.1, 3)",
            "def f(a b) a %c (b = b); f(0.1, 3)",
            "var ga = 0.1; var gb = 3; ga %c gb",
            "def f(a b) if a %c b then 1 else 0; f(0.1, 3)",
        };
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
            snprintf(src, sizeof src, forms[k], o);
            double w = want;
            if (strstr(forms[k], "if "))
                w = (want < 0 || want > 0) ? 1 : 0;
            EXPECT(src, w);
        }
    }
    /* '<' and NaN at run time, through compare-and-branch and as a value. */
    EXPECT("def f(a b) a < b; f(0/0, 1)", 1);
    EXPECT("def f(a b) a < b; f(1, 0/0)", 1);
    EXPECT("def f(a) if a < 3 then 1 else 2; f(0/0)", 1);
    EXPECT("def f(a) if a < 3 then 1 else 2; f(3)", 2);
    EXPECT("def f(a) if a < 3 then 1 else 2; f(2)", 1);
    EXPECT("def f(a) if 3 < a then 1 else 2; f(0/0)", 1);
    EXPECT("def f(a b) a * b; f(0, 0 - 1)", nz);
    EXPECT("def f(a b) a + b; f(0 * (0 - 1), 0 * (0 - 1))", nz);
    EXPECT("def f(a b) a + b; f(0 * (0 - 1), 0)", 0.0);
    EXPECT("def f(a) a - a; f(1/0)", NAN);
    /* Left to right: the lhs is read before the rhs assigns. */
    EXPECT("def f(x) x + (x = 5); f(1)", 6);
    EXPECT("def f(x) (x = 5) + x; f(1)", 10);
    EXPECT("def f(x) 1 + (x = 5) * x; f(1)", 26);
    EXPECT("var g = 1; def s() g = 10; g + s()", 11);
    EXPECT("var g = 1; def s() g = 10; s() + g", 20);
}

static void user_ops(void) {
    const char *bar = "def binary| 5 (a b) if a then 1 else if b then 1 else 0;";
    char src[512];
    snprintf(src, sizeof src, "%s 0 | 0", bar);
    EXPECT(src, 0);
    snprintf(src, sizeof src, "%s 0 | 1 < 2", bar); /* '<' binds tighter */
    EXPECT(src, 1);
    snprintf(src, sizeof src, "%s def f(a b) a | b < 2; f(0, 5)", bar);
    EXPECT(src, 0);
    /* precedence 20 equal to + -: ((((a @ b) + c) - a) @ b) with @ = first */
    EXPECT("def binary@ 20 (a b) a; def f(a b c) a @ b + c - a @ b; f(1, 2, 3)", 3);
    /* precedence 30 (default): x & x + 1 is (x & x) + 1 */
    EXPECT("def binary& (a b) a*b; def f(x) x & x + 1; f(3)", 10);
    EXPECT("def binary& (a b) a*b; def g(x) x + x & 1; g(3)", 6);
    EXPECT("def unary-(v) 0-v; -3 * 2", -6);
    EXPECT("def unary-(v) 0-v; 1 - -2", 3);
    EXPECT("def unary!(v) if v then 0 else 1; def f(x) !x + !!x; f(0)", 1);
    EXPECT("def unary!(v) if v then 0 else 1; !(0/0)", 1);
    EXPECT("def binary: 1 (x y) y; def f(x) x = 1 : x + 2; f(0)", 3);
    /* The operator's arguments are evaluated left to right. */
    EXPECT_LOG("def binary: 1 (x y) y; printd(1) : printd(2) : 7", "1 2", 7);
    EXPECT_LOG("def unary~(v) printd(v); ~(printd(4) + 5)", "4 5", 0);
}

static void conditionals(void) {
    EXPECT("if 0 / 0 then 1 else 2", 2);
    EXPECT("def t(c) if c then 1 else 2; t(0/0)", 2);
    EXPECT("def t(c) if c then 1 else 2; t(1/0)", 1);
    EXPECT("def t(c) if c then 1 else 2; t((0-1)/0)", 1);
    EXPECT("def t(c) if c then 1 else 2; t(0 * (0-1))", 2);
    EXPECT("def t(c) if c then 1 else 2; t(0)", 2);
    EXPECT("def t(c) if c then 1 else 2; t(0.5)", 1);
    EXPECT("def t(c) if c then 1 else 2; t(0 - 0.5)", 1);
    EXPECT("def t(a) if a < 1 then (if a < 0 then 0 - 1 else 0) else 1; t(0 - 5) + 10 * t(0.5) "
           "+ 100 * t(7)",
           99);
    EXPECT_LOG("if printd(1) then printd(2) else printd(3)", "1 3", 0);
}

static void loops(void) {
    /* for-order.ks: body, step, end test (old i), then the increment. */
    EXPECT_LOG("for i = 0, printd(100 + i) + (i < 1), printd(200 + i) + 1 in printd(i)",
               "0 200 100 1 201 101", 0);
    /* for-once.ks: the body runs before the first test. */
    EXPECT_LOG("for i = 10, i < 5 in printd(i)", "10", 0);
    EXPECT_LOG("for i = 0, 0 in printd(i)", "0", 0);
    EXPECT_LOG("def once(n) for i = n, 0 < 0 in printd(i); once(5)", "5", 0);
    /* Without a step: 1.0; i = 0, 1, 2 run, i < 3 false after i = 2 ... */
    EXPECT_LOG("for i = 0, i < 3 in printd(i)", "0 1 2 3", 0);
    EXPECT_LOG("for i = 0, i < 10, 4 in printd(i)", "0 4 8 12", 0);
    EXPECT_LOG("for i = 1, i < 2, 0.5 in printd(i)", "1 1.5 2", 0);
    /* A NaN end test is false. */
    EXPECT_LOG("for i = 0, 0/0 in printd(i)", "0", 0);
    EXPECT_LOG("def f(n) for i = 0, n in printd(i); f(0/0)", "0", 0);
    EXPECT_LOG("def f(n) for i = 0, n in printd(i); f(0 * (0 - 1))", "0", 0);
    /* for-value.ks */
    EXPECT("1 + (for i = 0, i < 3 in 5)", 1);
    EXPECT("def loop(n) for i = 0, i < n in i * 100; loop(7)", 0);
    /* assign-loop.ks */
    EXPECT("def sumto(n) var s = 0 in (for i = 1, i < n in s = s + i) + s; sumto(10)", 55);
    EXPECT("def sumto(n) var s = 0 in (for i = 1, i < n in s = s + i) + s; sumto(0)", 1);
    EXPECT("def hops() var n = 0 in (for i = 0, i < 10 in n = n + 1 + 0 * (i = i + 4)) + n; "
           "hops()",
           3);
    EXPECT_LOG("def binary : 1 (x y) y; for i = 0, i < 10 in printd(i) : i = i + 4", "0 5 10",
               0);
    /* A step computed each time, and an end that assigns the variable. */
    EXPECT_LOG("def f(n) var k = 1 in for i = 0, i < n, k = k * 2 in printd(i); f(10)",
               "0 2 6 14", 0);
    EXPECT_LOG("def f() for i = 0, (i = i + 10) < 25 in printd(i); f()", "0 11 22", 0);
    /* for-shadow.ks */
    EXPECT_LOG("def f(i) (for i = 0, i < 2 in printd(i)) + i; f(7)", "0 1 2", 7);
    EXPECT_LOG("for i = 0, i < 1 in for i = 10, i < 11 in printd(i)", "10 11 10 11", 0);
    EXPECT_LOG("def g(i) for i = i + 1, i < 3 in printd(i); g(0)", "1 2 3", 0);
    /* nested count: 3 x 4 */
    EXPECT("def f() var n = 0 in (for i = 1, i < 3 in for j = 1, j < 4 in n = n + 1) + n; f()",
           12);
    /* a loop in the end test and in the step */
    EXPECT("def f() var n = 0 in (for i = 0, (for j = 0, j < 1 in n = n + 1) + (i < 2), "
           "(for k = 0, k < 0 in n = n + 100) + 1 in n = n + 1000) + n; f()",
           3 * (2 + 100 + 1000));
}

static void scoping(void) {
    /* var-shadow.ks */
    EXPECT("def g(a) var a = a + 1 in a; g(10)", 11);
    EXPECT("def h(a) (var a = 100 in a) + a; h(1)", 101);
    EXPECT("var x = 1 in (var x = x + 1 in x * 10) + x", 21);
    EXPECT("var a = 1, a = a + 5 in a", 6);
    EXPECT("def k(a) (var a = 0 in a = 50) + a * 3; k(1)", 53);
    /* var-scope.ks */
    EXPECT("var a = 1, b = a + 1, c = b * 10 in c", 20);
    EXPECT("var a in a", 0);
    EXPECT("var a, b = 2 in a + b", 2);
    EXPECT("def f(x) var y = x * 2 in x + y; f(5)", 15);
    EXPECT("def g(x) var a = x, b = a + x, c = a + b in c; g(2)", 6);
    /* a var in a loop body is re-initialised each iteration */
    EXPECT("def f() var s = 0 in (for i = 0, i < 3 in var t in s = s + (t = t + 1)) + s; f()",
           4);
}

static void assignment(void) {
    /* op-assign.ks */
    EXPECT("def set5(x) x = 5; set5(1)", 5);
    EXPECT("def bump(x) (x = x + 1) * 0 + x; bump(1)", 2);
    EXPECT("def low(x) x = 1 + 2 * 3; low(0)", 7);
    EXPECT("def cmp(x) var r in r = x < 8; cmp(3)", 1);
    EXPECT("var a = 1 in (a = a + 10) + a", 22);
    EXPECT("def after(x) var y = 0 in (y = x) + y; after(3)", 6);
    EXPECT("def f(x) x = 0 * (0 - 1); f(3)", -0.0);
}

static void globals(void) {
    /* global-var.ks, step by step */
    prog p;
    prog_init(&p, 1);
    CHECK(run_text(&p, "var n = 5", 1, __LINE__) == 5, "var n = 5 is 5");
    run_text(&p, "def bump(d) n = n + d", 1, __LINE__);
    CHECK(run_text(&p, "bump(2)", 1, __LINE__) == 7, "bump(2)");
    CHECK(run_text(&p, "n", 1, __LINE__) == 7, "n");
    run_text(&p, "def bump(d) n = n * d", 1, __LINE__);
    CHECK(run_text(&p, "bump(3)", 1, __LINE__) == 21, "bump(3)");
    run_text(&p, "var n = n + 1", 1, __LINE__);
    CHECK(run_text(&p, "n", 1, __LINE__) == 22, "n");
    CHECK(*gref(&p, "n") == 22, "storage");
    CHECK(run_text(&p, "def f(x) x; var f = 3; f(1) + f", 1, __LINE__) == 4, "namespaces");
    CHECK(run_text(&p, "var z; z", 1, __LINE__) == 0, "var z");
    prog_free(&p);
}

static void recursion(void) {
    EXPECT("def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2); fib(25)", 75025);
    /* fibi.ks style: iterative */
    EXPECT("def binary : 1 (x y) y;"
           "def fibi(x) var a = 1, b = 1, c in (for i = 3, i < x in c = a + b : a = b : b = c) "
           ": b; fibi(10)",
           55);
    /* mutual recursion with a forward reference */
    const char *eo = "def even(n) if n < 1 then 1 else odd(n - 1);"
                     "def odd(n) if n < 1 then 0 else even(n - 1);";
    char src[256];
    snprintf(src, sizeof src, "%s even(10)", eo);
    EXPECT(src, 1);
    snprintf(src, sizeof src, "%s odd(7)", eo);
    EXPECT(src, 1);
    snprintf(src, sizeof src, "%s even(7) + 10 * odd(10)", eo);
    EXPECT(src, 0);
    /* Deep: thousands of interpreter activations on the C stack. */
    /* Deep: thousands of interpreter activations on the C stack (fewer under
     * ASan at -O0, whose frames are several times larger). */
    EXPECT_DEEP("def down(n) if n < 1 then 0 else 1 + down(n - 1); down(" DEEP ")", atof(DEEP));
    EXPECT_DEEP("def down(n) if n < 1 then 0 else down(n - 1) + 1; down(" DEEP ")", atof(DEEP));
    /* C stack per Kaleidoscope call (interpreter + the test env's call). */
    prog p;
    prog_init(&p, 1);
    run_text(&p, "def dn(n) if n < 1 then mark() else 1 + dn(n - 1)", 0, __LINE__);
    run_text(&p, "dn(0)", 0, __LINE__);
    uintptr_t m0 = p.mark;
    run_text(&p, "dn(" DEEP ")", 0, __LINE__);
    long per = (long)(m0 - p.mark) / atol(DEEP);
    printf("test_t0: %ld bytes of C stack per call level\n", per);
#ifndef KS_T0_TEST_ASAN
    CHECK(per > 0 && per < 400, "C stack per level: %ld", per);
#endif
    prog_free(&p);
}

/* Mandelbrot escape counts summed over a grid, against the same double
 * operations in C. */
static void mandel(void) {
    const char *src =
        "def binary : 1 (x y) y;"
        "def binary & 6 (a b) if a then (if b then 1 else 0) else 0;"
        "def escape(cr ci limit)"
        "  var zr = 0, zi = 0, t = 0, n = 0 in"
        "    (for k = 1, (zr*zr + zi*zi < 4) & (n < limit) in"
        "       t = zr*zr - zi*zi + cr : zi = 2*zr*zi + ci : zr = t : n = n + 1) : n;"
        "def total(x0 y0 dx dy cols rows)"
        "  var s = 0 in (for row = 0, row < rows - 1 in"
        "    for col = 0, col < cols - 1 in s = s + escape(x0 + col*dx, y0 + row*dy, 50)) : s;"
        "total(0 - 2.2, 0 - 1.2, 0.05, 0.1, 64, 25)";
    double want = 0;
    for (double row = 0;; row += 1) {
        for (double col = 0;; col += 1) {
            double cr = -2.2 + col * 0.05, ci = -1.2 + row * 0.1;
            double zr = 0, zi = 0, t, n = 0;
            for (;;) {
                t = zr * zr - zi * zi + cr;
                    zi = 2 * zr * zi + ci;
                zr = t;
                n = n + 1;
                double a = zr * zr + zi * zi;
                if (!(!(a >= 4) && n < 50)) /* fcmp ult */
                    break;
            }
            want += n;
            if (!(col < 63))
                break;
        }
        if (!(row < 24))
            break;
    }
    EXPECT(src, want);

    /* The lit test's picture, when its file is beside this one. */
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    if (!slash)
        return;
    snprintf(slash, sizeof path - (size_t)(slash - path), "/../lang/mandel.ks");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    static char text[16384], want_pic[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    size_t wn = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *tags[] = {"# CHECK:      ", "# CHECK-NEXT: "};
        for (int i = 0; i < 2; i++)
            if (strncmp(l, tags[i], strlen(tags[i])) == 0 && l[strlen(tags[i])] != '0') {
                char *b = l + strlen(tags[i]), *e = strchr(b, '\n');
                size_t len = e ? (size_t)(e - b) : strlen(b);
                memcpy(want_pic + wn, b, len);
                wn += len;
                want_pic[wn++] = '\n';
            }
    }
    prog p;
    prog_init(&p, 1);
    run_text(&p, text, 1, __LINE__);
    p.out[p.nout] = 0;
    want_pic[wn] = 0;
    /* Drawn twice: by T0, then by the model. */
    CHECK(wn > 1000 && (size_t)p.nout == 2 * wn && memcmp(p.out, want_pic, wn) == 0 &&
              memcmp(p.out + wn, want_pic, wn) == 0,
          "mandel.ks picture:\n%s", p.out);
    prog_free(&p);
}

/* ---- back-edge hooks ------------------------------------------------------- */

static ks_t0_code *fn_code(prog *p, const char *name) { return find_fn(p, name)->code; }

static void hooks(void) {
    prog p;
    prog_init(&p, 1);
    /* slots n 0, s 1, i 2, j 3; loops: 0 outer, 1 inner; by hand (see below) */
    run_text(&p, "def h(n) var s = 0 in (for i = 0, i < n in (for j = 0, j < 1 in s = s + 1)) + s",
             0, __LINE__);
    ks_t0_code *h = fn_code(&p, "h");
    CHECK(ks_t0_nloops(h) == 2 && ks_t0_loop_depth(h, 0) == 0 && ks_t0_loop_depth(h, 1) == 0,
          "loops of h");
    CHECK(ks_t0_loop_depth(h, 2) == -1, "no loop 2");
    CHECK(ks_t0_nlocals(h) == 4 && ks_t0_nparams(h) == 1, "locals of h");
    /* 4 locals; held: the lhs of '+' (0), and in the end test at depth 1
     * the lhs of '<' (1). */
    CHECK(ks_t0_frame_size(h) == 6, "frame of h: %d", ks_t0_frame_size(h));
    p.hook_nframe = 4;
    double v = run_text(&p, "h(2)", 0, __LINE__);
    CHECK(v == 6, "h(2) = %g", v);
    static const double want[5][5] = {
        {1, 2, 1, 0, 1}, {0, 2, 2, 1, 2}, {1, 2, 3, 1, 1}, {0, 2, 4, 2, 2}, {1, 2, 5, 2, 1}};
    CHECK(p.nhooks == 5, "hooks %d", p.nhooks);
    for (int k = 0; k < 5 && k < p.nhooks; k++) {
        CHECK(p.hooks[k].loop == (int)want[k][0], "hook %d loop %d", k, p.hooks[k].loop);
        for (int s = 0; s < 4; s++)
            CHECK(p.hooks[k].frame[s] == want[k][s + 1], "hook %d slot %d: %g, want %g", k, s,
                  p.hooks[k].frame[s], want[k][s + 1]);
    }

    /* Pre-order: loop 1 is in the end test (depth 1, the step 1.0 held at
     * frame[nlocals]), loop 2 in the body (runs first).  Slots i 0, k 1, j 2. */
    p.nhooks = 0;
    p.hook_nframe = 4;
    run_text(&p,
             "for i = 0, (for k = 0, k < 1 in 0) + (i < 1), 1 in (for j = 0, j < 1 in 0)", 0,
             __LINE__);
    static const int order[] = {2, 1, 0, 2, 1};
    CHECK(p.nhooks == 5, "hooks %d", p.nhooks);
    for (int k = 0; k < 5 && k < p.nhooks; k++) {
        CHECK(p.hooks[k].loop == order[k], "hook %d: loop %d, want %d", k, p.hooks[k].loop,
              order[k]);
        if (order[k] == 1)
            CHECK(p.hooks[k].frame[3] == 1.0, "held step %g", p.hooks[k].frame[3]);
    }

    /* Pending operands: 1 + (for ...): loop at depth 1, frame[nlocals] = 1. */
    p.nhooks = 0;
    run_text(&p, "def pa(x) 1 + (for i = 0, i < 2 in x)", 0, __LINE__);
    ks_t0_code *pa = fn_code(&p, "pa");
    p.hook_nframe = 3;
    CHECK(ks_t0_loop_depth(pa, 0) == 1 && ks_t0_frame_size(pa) == 5, "pa depth %d frame %d",
          ks_t0_loop_depth(pa, 0), ks_t0_frame_size(pa));
    CHECK(run_text(&p, "pa(5)", 0, __LINE__) == 1, "pa(5)");
    CHECK(p.nhooks == 2, "pa hooks %d", p.nhooks);
    for (int k = 0; k < 2 && k < p.nhooks; k++)
        CHECK(p.hooks[k].frame[0] == 5 && p.hooks[k].frame[1] == k + 1 &&
                  p.hooks[k].frame[2] == 1,
              "pa hook %d: %g %g %g", k, p.hooks[k].frame[0], p.hooks[k].frame[1],
              p.hooks[k].frame[2]);

    /* As the 2nd argument of a call: frame[nlocals] = 7 (the 1st). */
    p.nhooks = 0;
    run_text(&p, "def add2(a b) a + b; def pb(x) add2(7, for i = 0, i < 1 in x)", 0, __LINE__);
    CHECK(ks_t0_loop_depth(fn_code(&p, "pb"), 0) == 1, "pb depth");
    CHECK(run_text(&p, "pb(5)", 0, __LINE__) == 7, "pb(5)");
    CHECK(p.nhooks == 1 && p.hooks[0].frame[2] == 7 && p.hooks[0].frame[1] == 1,
          "pb hook: %d %g", p.nhooks, p.hooks[0].frame[2]);

    /* Deeper: x * (3 + add2(7, for ...)): pending [x, 3, 7], depth 3. */
    p.nhooks = 0;
    run_text(&p, "def pc(x) x * (3 + add2(7, for i = 0, i < 1 in x))", 0, __LINE__);
    ks_t0_code *pc = fn_code(&p, "pc");
    CHECK(ks_t0_loop_depth(pc, 0) == 3, "pc depth %d", ks_t0_loop_depth(pc, 0));
    CHECK(ks_t0_frame_size(pc) == 2 + 5, "pc frame %d", ks_t0_frame_size(pc));
    p.hook_nframe = 5;
    CHECK(run_text(&p, "pc(5)", 0, __LINE__) == 50, "pc(5)");
    CHECK(p.nhooks == 1 && p.hooks[0].frame[2] == 5 && p.hooks[0].frame[3] == 3 &&
              p.hooks[0].frame[4] == 7,
          "pc hook: %g %g %g", p.hooks[0].frame[2], p.hooks[0].frame[3], p.hooks[0].frame[4]);

    /* A held lhs that is a local, with a loop in the rhs: still in the frame. */
    p.nhooks = 0;
    run_text(&p, "def pd(x) x - (for i = 0, i < 1 in x = 100)", 0, __LINE__);
    CHECK(run_text(&p, "pd(5)", 0, __LINE__) == 5, "pd(5)");
    CHECK(p.nhooks == 1 && p.hooks[0].frame[0] == 100 && p.hooks[0].frame[2] == 5,
          "pd hook: %g %g", p.hooks[0].frame[0], p.hooks[0].frame[2]);

    /* A hook that finishes the function: its result is returned at once. */
    p.nhooks = 0;
    p.nlog = 0;
    p.hook_nframe = 0;
    p.hook_finish_at = 1;
    p.hook_result = 42;
    run_text(&p, "def r(n) (for i = 0, i < n in printd(i)) + 1000", 0, __LINE__);
    CHECK(run_text(&p, "r(10)", 0, __LINE__) == 42, "r(10) finished by the hook");
    CHECK(p.nlog == 1 && p.nhooks == 1, "body ran once: %d, hooks %d", p.nlog, p.nhooks);
    /* ...only that activation: the caller goes on. */
    p.nhooks = 0;
    CHECK(run_text(&p, "r(10) + 1", 0, __LINE__) == 43, "caller continues");
    p.hook_finish_at = 0;
    prog_free(&p);

    /* Interval 3: every third back-edge of one activation, across loops;
     * each activation counts its own. */
    prog_init(&p, 3);
    run_text(&p, "def c(n) (for i = 0, i < n in 0) + (for j = 0, j < n in 0)", 0, __LINE__);
    run_text(&p, "c(5)", 0, __LINE__); /* 5 + 5 back-edges */
    CHECK(p.nhooks == 3, "interval 3: %d", p.nhooks);
    CHECK(p.hooks[0].loop == 0 && p.hooks[1].loop == 1 && p.hooks[2].loop == 1,
          "loops %d %d %d", p.hooks[0].loop, p.hooks[1].loop, p.hooks[2].loop);
    p.nhooks = 0;
    run_text(&p, "def d2(n) (for i = 0, i < 1 in 0) + (if n then d2(n - 1) else 0)", 0,
             __LINE__);
    run_text(&p, "d2(5)", 0, __LINE__); /* one back-edge per activation */
    CHECK(p.nhooks == 0, "per activation: %d", p.nhooks);
    prog_free(&p);

    /* No hook at all. */
    prog_init(&p, 1);
    p.env.backedge = NULL;
    CHECK(run_text(&p, "def s(n) var t = 0 in (for i = 0, i < n in t = t + i) + t; s(100)", 0,
                   __LINE__) == 5050,
          "no hook");
    prog_free(&p);
}

/* ---- unwinding and failures ------------------------------------------------ */

static void unwinding(void) {
    prog p;
    prog_init(&p, 1);
    run_text(&p, "def deep(n) if n < 1 then boom() else 1 + deep(n - 1) * 2", 0, __LINE__);
    jmp_buf jb;
    p.escape = &jb;
    volatile int escaped = 0;
    if (sigsetjmp(jb, 0) == 0)
        env_call(&p, find_fn(&p, "deep"), (double[]){atof(DEEP)}, 1, "", 0, 0);
    else
        escaped = 1;
    CHECK(escaped, "siglongjmp out of " DEEP " activations");
    /* The session still works. */
    CHECK(run_text(&p, "def one() 1; one() + 1", 0, __LINE__) == 2, "after unwinding");
    prog_free(&p);

    /* Lowering failures are reported, not crashes. */
    prog_init(&p, 1);
    const char *text = "extern e(x); 1";
    ks_source src = {"t.ks", text, strlen(text), 1};
    ks_parser ps;
    ks_parse_init(&ps, &src, &p.ops, &p.diag, 0);
    ks_item *item;
    CHECK(ks_parse_item(&ps, &item) == KS_PARSE_ITEM && ks_sema_check(p.sema, item) == 0,
          "extern parses");
    char err[64] = "";
    CHECK(ks_t0_lower(item, &p.env, err, sizeof err) == NULL && err[0], "extern: %s", err);
    ks_item_free(item);
    prog_free(&p);
}

/* ---- the differential check ------------------------------------------------ */

#include "ks_randprog.h"
}

static void differential(int rounds) {
    for (int r = 0; r < rounds; r++) {
        prog p;
        prog_init(&p, 1 + (int)rnd(3));
        p.env.backedge = rnd(2) ? env_backedge : NULL;
        run_text(&p,
                 "def binary| 5 (a b) if a then 1 else if b then 1 else 0;"
                 "def binary : 1 (x y) y;"
                 "def unary!(v) if v then 0 else 1;"
                 "var g0 = 1.5; var g1 = 0 - 2;",
                 1, __LINE__);
        gen g = {0};
        for (int k = 0; k < 3; k++) {
            char *buf = NULL;
            size_t len = 0;
            g.o = open_memstream(&buf, &len);
            g.vars[0] = "x", g.vars[1] = "y", g.vars[2] = "g0", g.vars[3] = "g1";
            for (int i = 0; i < 4; i++)
                g.assignable[i] = 1;
            g.nvars = 4;
            g.nfuncs = k;
            g.size = 40;
            fprintf(g.o, "def f%d(x y) ", k);
            gexpr(&g, 5);
            fclose(g.o);
            run_text(&p, buf, 1, __LINE__);
            free(buf);
        }
        for (int k = 0; k < 6; k++) {
            char *buf = NULL;
            size_t len = 0;
            g.o = open_memstream(&buf, &len);
            g.vars[0] = "g0", g.vars[1] = "g1";
            g.assignable[0] = g.assignable[1] = 1;
            g.nvars = 2;
            g.nfuncs = 3;
            g.size = 40;
            if (k == 5)
                fputs("var g1 = ", g.o);
            gexpr(&g, 6);
            fclose(g.o);
            p.nlog = 0;
            run_text(&p, buf, 1, __LINE__);
            free(buf);
        }
        CHECK(p.errors == 0, "round %d: undefined calls", r);
        prog_free(&p);
    }
}

/* ---- measurements ----------------------------------------------------------- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *trivial_callee(void *ctx, const char *name, int nargs) { return ctx; }

static void bench(void) {
    prog p;
    prog_init(&p, 1);
    run_text(&p,
             "def binary : 1 (x y) y;"
             "def binary & 6 (a b) if a then (if b then 1 else 0) else 0;"
             "def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2);"
             "def escape(cr ci limit)"
             "  var zr = 0, zi = 0, t = 0, n = 0 in"
             "    (for k = 1, (zr*zr + zi*zi < 4) & (n < limit) in"
             "       t = zr*zr - zi*zi + cr : zi = 2*zr*zi + ci : zr = t : n = n + 1) : n;"
             "def add(n) var s = 0 in (for i = 0, i < n in s = s + 1) : s;"
             "def ten(a b) var x = a * b, y = a - b in x = x + 1 : y = y * 2 : "
             "  (if x < y then x else y) : printd(x) : x = x / 3 : y = y + x : printd(y) : "
             "  (for i = 0, i < a in x = x + i) : x + y;",
             0, __LINE__);
    p.env.backedge = NULL;
    const char *names[] = {"fib", "escape", "add", "ten"};
    for (int i = 0; i < 4; i++) {
        fn *f = find_fn(&p, names[i]);
        ks_t0_env env = {&p, trivial_callee, env_call, env_global, NULL, 1, 0};
        char err[64];
        int reps = 200000;
        double t0 = now_ns();
        for (int k = 0; k < reps; k++)
            ks_t0_free(ks_t0_lower(f->item, &env, err, sizeof err));
        double t1 = now_ns();
        printf("bench: %-6s lower %.2f us, %zu bytes\n", names[i], (t1 - t0) / reps / 1000,
               ks_t0_bytes(f->code));
    }
    if (getenv("KS_T0_DUMP"))
        for (int i = 0; i < 4; i++)
            ks_t0_dump(stdout, find_fn(&p, names[i])->code);
    double t0 = now_ns();
    double v = ks_t0_exec(find_fn(&p, "fib")->code, (double[]){25}, &p);
    double t1 = now_ns();
    /* fib(25): 150049 calls; 75025 leaves of 4 instructions (JGE LDK JMP
     * RET), 75024 inner calls of 10 (JGE SUB STR CALL STR SUB STR CALL ADD RET). */
    double ops = 75025.0 * 4 + 75024.0 * 10;
    printf("bench: fib(25) = %g in %.2f ms, %.1f ns/call, %.2f ns/op\n", v, (t1 - t0) / 1e6,
           (t1 - t0) / 150049, (t1 - t0) / ops);
    t0 = now_ns();
    v = ks_t0_exec(find_fn(&p, "add")->code, (double[]){1e7}, &p);
    t1 = now_ns();
    /* per iteration: ADD_RK STR LT_RR FORK */
    printf("bench: add(1e7) = %g in %.2f ms, %.2f ns/iteration, %.2f ns/op\n", v,
           (t1 - t0) / 1e6, (t1 - t0) / 1e7, (t1 - t0) / 4e7);
    p.env.backedge = env_backedge;
    p.env.backedge_interval = 1000;
    t0 = now_ns();
    v = ks_t0_exec(find_fn(&p, "add")->code, (double[]){1e7}, &p);
    t1 = now_ns();
    printf("bench: add(1e7) with a hook every 1000: %.2f ns/iteration\n", (t1 - t0) / 1e7);
    prog_free(&p);
}

int main(void) {
    operators();
    user_ops();
    conditionals();
    loops();
    scoping();
    assignment();
    globals();
    recursion();
    mandel();
    hooks();
    unwinding();
    differential(getenv("KS_T0_ROUNDS") ? atoi(getenv("KS_T0_ROUNDS")) : 400);
    if (getenv("KS_T0_BENCH"))
        bench();
    printf("test_t0: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
