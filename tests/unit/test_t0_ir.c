/*
 * test_t0_ir.c — LLVM IR from T0 bytecode (ks_t0_ir): programs run through the
 * real parser and sema, lowered to T0, and run four ways from the same start:
 *
 *   - interpreted (ks_t0_exec), the reference;
 *   - a tree-walking model written from ks_irgen's semantics (as test_t0.c);
 *   - compiled from the bytecode (ks_t0_irgen), run by LLJIT;
 *   - compiled from the tree (ks_irgen_item), run by LLJIT;
 *
 * and once more for every loop of every item and several N: interpreted with
 * a back-edge hook that, at the Nth back-edge of that loop, enters the
 * compiled OSR entry (ks_t0_irgen_osr) with the frame and finishes there.
 * Results, printd logs and globals must agree, bit for bit, across all runs
 * (see same_value for NaNs).  Every module written is verified.
 *
 * Hand-written programs cover recursion, user operators, NaN/-0/inf, for with
 * and without step, var/in, globals, and loops at depth 0, nested, in
 * `1 + (for ...)`, as a call's 2nd argument, in top-level expressions and
 * global initialisers; seeded random programs cover the rest.  With
 * KS_T0_IR_BENCH set: IR generation time from bytecode and from the tree, and
 * the bytes the name table adds to T0 code.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "ks_irgen.h"
#include "ks_parse.h"
#include "ks_sema.h"
#include "ks_t0.h"
#include "ks_t0_ir.h"

#include "unit_test.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_T0_TEST_ASAN 1
#endif
#endif
#ifdef KS_T0_TEST_ASAN
#define DEEP "200" /* interpreter frames are large under ASan at -O0 */
#else
#define DEEP "3000"
#endif

/* ---- a program: its items, lowered ------------------------------------------ */

#define MAXLOOPS 16

typedef struct prog prog;

/* A def (callable by name) or a top-level item: the unit of code. */
typedef struct unit {
    char *name;       /* source name, or "top.K" */
    int nargs;
    ks_item *item;    /* the tree, for the model and ks_irgen */
    ks_t0_code *code;
    double (*host)(const double *args);
    double (*osr[MAXLOOPS])(double *frame); /* compiled OSR entries */
} unit;

typedef struct gvar {
    char *name;
    double *val;
} gvar;

struct prog {
    ks_optab ops;
    ks_diag diag;
    ks_sema *sema;
    ks_t0_env env;
    unit *fns[64];
    int nfns;
    unit *tops[64];
    int ntops;
    gvar globals[32];
    int nglobals;
    double log[4096];
    int nlog;
    char *texts[8];
    int ntexts;
    int errors;
    /* the OSR under test: at the nth back-edge of loop `loop` of `target` */
    unit *target;
    int loop, nth, seen, fired;
};

static prog *cur; /* host functions record here (they are called from JIT'd code too) */

static unit *find_fn(prog *p, const char *name) {
    for (int i = 0; i < p->nfns; i++)
        if (strcmp(p->fns[i]->name, name) == 0)
            return p->fns[i];
    return NULL;
}

static unit *add_fn(prog *p, const char *name, int nargs) {
    unit *f = find_fn(p, name);
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

static void *env_callee(void *ctx, const char *name, int nargs) { return add_fn(ctx, name, nargs); }

static double env_call(void *ctx, void *h, const double *args, int nargs, const char *file,
                       unsigned line, unsigned col) {
    (void)file, (void)line, (void)col;
    prog *p = ctx;
    unit *f = h;
    if (f->host)
        return f->host(args);
    if (!f->code) {
        p->errors++;
        return NAN;
    }
    return ks_t0_exec(f->code, args, f);
}

static double *env_global(void *ctx, const char *name) { return gref(ctx, name); }

/* Enter the compiled OSR entry at the chosen back-edge, once per run. */
static int env_backedge(void *ctx, void *user, int loop, double *frame, double *result) {
    prog *p = ctx;
    unit *u = user;
    if (p->fired || u != p->target || loop != p->loop || ++p->seen < p->nth)
        return 0;
    p->fired = 1;
    if (!u->osr[loop]) {
        CHECK(0, "no OSR entry for %s loop %d", u->name, loop);
        return 0;
    }
    *result = u->osr[loop](frame);
    return 1;
}

static double host_printd(const double *a) {
    if (cur->nlog < 4096)
        cur->log[cur->nlog++] = a[0];
    return 0;
}
static double host_putchard(const double *a) { return host_printd(a) * 0; }
/* The same, with the C signature compiled code calls. */
static double jit_printd(double x) { return host_printd(&x); }
static double jit_putchard(double x) { return host_putchard(&x); }

static void collect(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    printf("  diagnostic %d:%d: %s\n", pos.line, pos.col, msg);
}

static void prog_init(prog *p) {
    memset(p, 0, sizeof *p);
    ks_optab_init(&p->ops);
    p->diag = (ks_diag){collect, NULL, 0};
    p->sema = ks_sema_new(&p->ops, &p->diag);
    p->env = (ks_t0_env){p, env_callee, env_call, env_global, env_backedge, 1, 0};
    add_fn(p, "printd", 1)->host = host_printd;
    add_fn(p, "putchard", 1)->host = host_putchard;
    cur = p;
}

static void unit_free(unit *u) {
    ks_t0_free(u->code);
    ks_item_free(u->item);
    free(u->name);
    free(u);
}

static void prog_free(prog *p) {
    for (int i = 0; i < p->nfns; i++)
        unit_free(p->fns[i]);
    for (int i = 0; i < p->ntops; i++)
        unit_free(p->tops[i]);
    for (int i = 0; i < p->nglobals; i++) {
        free(p->globals[i].name);
        free(p->globals[i].val);
    }
    for (int i = 0; i < p->ntexts; i++)
        free(p->texts[i]);
    ks_sema_free(p->sema);
}

/* Parse, check and lower every item of text into p (defs by name, the rest
 * as tops in order). */
static void load(prog *p, const char *text, int line) {
    char *copy = strdup(text);
    ks_source *src = malloc(sizeof *src);
    *src = (ks_source){"t.ks", copy, strlen(copy), 1};
    p->texts[p->ntexts++] = copy;
    p->texts[p->ntexts++] = (char *)src;
    ks_parser ps;
    ks_parse_init(&ps, src, &p->ops, &p->diag, 0);
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
        unit *u;
        if (item->kind == KS_ITEM_DEF) {
            u = add_fn(p, item->proto->name, item->proto->nparams);
            CHECK(!u->code, "line %d: %s redefined (not supported here)", line, u->name);
            ks_t0_free(u->code);
            ks_item_free(u->item);
        } else {
            u = calloc(1, sizeof *u);
            char name[32];
            snprintf(name, sizeof name, "top.%d", p->ntops);
            u->name = strdup(name);
            p->tops[p->ntops++] = u;
        }
        u->code = code;
        u->item = item;
    }
}

/* ---- the model: a tree walk written from ks_irgen's semantics ----------- */

static int model_truth(double c) { return c != 0.0 && !isnan(c); }
static double model(prog *p, const ks_expr *e, double *loc);

static double model_named(prog *p, const char *name, const double *args) {
    unit *f = find_fn(p, name);
    if (!f || (!f->host && !f->item)) {
        p->errors++;
        return NAN;
    }
    if (f->host)
        return f->host(args);
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

/* ---- compiling a program with LLJIT ----------------------------------------- */

static int nan_bits_diffs; /* NaNs equal but for their bits, across all comparisons */

/* Bit for bit, -0 and infinities included; but two NaNs are the same value
 * whatever their sign and payload.  LLVM does not keep NaN bits (LangRef,
 * "Behavior of Floating-Point NaN values"): it folds constant operations such
 * as 0/0 with APFloat, whose default NaN is positive where x86's is negative,
 * even in the backend from unoptimised IR, and may commute an fadd of two
 * NaNs.  Kaleidoscope prints every NaN as "nan". */
static int same_value(double a, double b) {
    if (memcmp(&a, &b, sizeof a) == 0)
        return 1;
    if (isnan(a) && isnan(b)) {
        nan_bits_diffs++;
        return 1;
    }
    return 0;
}

static void check_error(LLVMErrorRef e, const char *what) {
    if (!e)
        return;
    char *msg = LLVMGetErrorMessage(e); /* consumes e */
    CHECK(0, "%s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
}

typedef struct jit {
    LLVMOrcLLJITRef j;
    int ok;
} jit;

static void define_abs(jit *jt, const char *name, void *addr) {
    LLVMOrcCSymbolMapPair pair = {
        LLVMOrcLLJITMangleAndIntern(jt->j, name),
        {(LLVMOrcExecutorAddress)(uintptr_t)addr,
         {LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable, 0}}};
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(&pair, 1);
    check_error(LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jt->j), mu), name);
}

enum { FROM_T0, FROM_AST };

/* Compile every unit of p (from its T0 code or its tree; from T0 also every
 * OSR entry) into one module, optionally optimised, and hand it to a new
 * LLJIT with the host functions and globals defined as absolute symbols. */
static void jit_build(jit *jt, prog *p, int from, const char *passes) {
    memset(jt, 0, sizeof *jt);
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&jt->j, NULL);
    if (e) {
        check_error(e, "LLJIT");
        return;
    }
    define_abs(jt, "printd", (void *)jit_printd);
    define_abs(jt, "putchard", (void *)jit_putchard);
    for (int i = 0; i < p->nglobals; i++) {
        char sym[256];
        ks_irgen_global_symbol(p->globals[i].name, sym, sizeof sym);
        define_abs(jt, sym, p->globals[i].val);
    }
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMModuleRef mod =
        LLVMModuleCreateWithNameInContext("t0ir", LLVMOrcThreadSafeContextGetContext(tsc));
    int ok = 1;
    unit *all[128];
    int n = 0;
    for (int i = 0; i < p->nfns; i++)
        if (p->fns[i]->code)
            all[n++] = p->fns[i];
    for (int i = 0; i < p->ntops; i++)
        all[n++] = p->tops[i];
    for (int i = 0; i < n && ok; i++) {
        char err[256] = "";
        int r = from == FROM_T0 ? ks_t0_irgen(all[i]->code, mod, all[i]->name, err, sizeof err)
                                : ks_irgen_item(all[i]->item, mod, all[i]->name, err, sizeof err);
        CHECK(r == 0, "irgen %s: %s", all[i]->name, err);
        ok &= r == 0;
        for (int l = 0; from == FROM_T0 && ok && l < ks_t0_nloops(all[i]->code) && l < MAXLOOPS;
             l++) {
            char sym[64];
            snprintf(sym, sizeof sym, "%s.osr%d", all[i]->name, l);
            r = ks_t0_irgen_osr(all[i]->code, l, mod, sym, err, sizeof err);
            CHECK(r == 0, "osr %s: %s", sym, err);
            ok &= r == 0;
        }
    }
    char *msg = NULL;
    if (ok && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        CHECK(0, "module does not verify: %s", msg);
        if (getenv("KS_T0_IR_DUMP"))
            LLVMDumpModule(mod);
        ok = 0;
    }
    LLVMDisposeMessage(msg);
    if (ok && passes) {
        LLVMPassBuilderOptionsRef opt = LLVMCreatePassBuilderOptions();
        LLVMErrorRef pe = LLVMRunPasses(mod, passes, NULL, opt);
        LLVMDisposePassBuilderOptions(opt);
        ok = !pe;
        check_error(pe, passes);
    }
    if (getenv("KS_T0_IR_DUMP"))
        LLVMDumpModule(mod);
    if (!ok) {
        LLVMDisposeModule(mod);
        LLVMOrcDisposeThreadSafeContext(tsc);
        return;
    }
    /* The module and the context pass to the ThreadSafeModule, then to the JIT. */
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);
    e = LLVMOrcLLJITAddLLVMIRModule(jt->j, LLVMOrcLLJITGetMainJITDylib(jt->j), tsm);
    if (e) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        check_error(e, "add module");
        return;
    }
    jt->ok = 1;
}

static void *jit_lookup(jit *jt, const char *name) {
    LLVMOrcExecutorAddress a = 0;
    LLVMErrorRef e = LLVMOrcLLJITLookup(jt->j, &a, name);
    if (e) {
        check_error(e, name);
        return NULL;
    }
    return (void *)(uintptr_t)a;
}

static void jit_free(jit *jt) {
    if (jt->j)
        check_error(LLVMOrcDisposeLLJIT(jt->j), "dispose");
}

/* ---- running a program every way -------------------------------------------- */

/* The outcome of running the tops in order from zeroed globals. */
typedef struct outcome {
    double result[64];
    double log[4096];
    int nlog;
    double globals[32];
} outcome;

static void reset(prog *p) {
    for (int i = 0; i < p->nglobals; i++)
        *p->globals[i].val = 0.0;
    p->nlog = 0;
    p->target = NULL;
    p->seen = p->fired = 0;
}

static void finish(prog *p, outcome *o) {
    o->nlog = p->nlog;
    memcpy(o->log, p->log, (size_t)p->nlog * sizeof *o->log);
    for (int i = 0; i < p->nglobals; i++)
        o->globals[i] = *p->globals[i].val;
}

enum { RUN_T0, RUN_MODEL, RUN_JIT };

static void run(prog *p, int how, jit *jt, outcome *o) {
    reset(p);
    for (int k = 0; k < p->ntops; k++) {
        unit *u = p->tops[k];
        double v = NAN;
        if (how == RUN_T0) {
            v = ks_t0_exec(u->code, NULL, u);
        } else if (how == RUN_MODEL) {
            double *loc = calloc((size_t)u->item->nlocals + 1, sizeof *loc);
            v = model(p, u->item->body, loc);
            free(loc);
            if (u->item->kind == KS_ITEM_GLOBAL)
                *gref(p, u->item->global) = v;
        } else {
            double (*f)(void) = jt->ok ? (double (*)(void))jit_lookup(jt, u->name) : NULL;
            if (f)
                v = f();
        }
        o->result[k] = v;
    }
    finish(p, o);
}

static int compare(prog *p, const outcome *a, const outcome *b, const char *what,
                   const char *text) {
    int bad = 0;
    for (int k = 0; k < p->ntops; k++)
        if (!same_value(a->result[k], b->result[k]))
            bad = 1, printf("  %s: top %d: %a vs %a\n", what, k, a->result[k], b->result[k]);
    if (a->nlog != b->nlog)
        bad = 1, printf("  %s: printd count %d vs %d\n", what, a->nlog, b->nlog);
    for (int i = 0; i < a->nlog && i < b->nlog; i++)
        if (!same_value(a->log[i], b->log[i])) {
            bad = 1, printf("  %s: printd %d: %a vs %a\n", what, i, a->log[i], b->log[i]);
            break;
        }
    for (int i = 0; i < p->nglobals; i++)
        if (!same_value(a->globals[i], b->globals[i]))
            bad = 1, printf("  %s: global %s: %a vs %a\n", what, p->globals[i].name,
                            a->globals[i], b->globals[i]);
    CHECK(!bad, "%s differs on\n  %s", what, text);
    return !bad;
}

static int osr_fired, osr_tried;

/* Run text every way (see the top of the file); nths lists the N of the OSR
 * runs (0-terminated).  Returns the interpreted value of the last top. */
static double check_all(const char *text, const char *passes, const int *nths, int line) {
    prog p;
    prog_init(&p);
    load(&p, text, line);
    static outcome ref, o;
    run(&p, RUN_T0, NULL, &ref);
    run(&p, RUN_MODEL, NULL, &o);
    compare(&p, &ref, &o, "model vs T0", text);
    CHECK(p.errors == 0, "line %d: calls of undefined functions", line);

    jit from_ast, from_t0;
    jit_build(&from_ast, &p, FROM_AST, passes);
    run(&p, RUN_JIT, &from_ast, &o);
    compare(&p, &ref, &o, "IR from the tree vs T0", text);
    jit_free(&from_ast);

    jit_build(&from_t0, &p, FROM_T0, passes);
    run(&p, RUN_JIT, &from_t0, &o);
    compare(&p, &ref, &o, "IR from T0 vs T0", text);

    /* OSR at every loop of every unit, at each N. */
    unit *all[128];
    int n = 0;
    for (int i = 0; i < p.nfns; i++)
        if (p.fns[i]->code)
            all[n++] = p.fns[i];
    for (int i = 0; i < p.ntops; i++)
        all[n++] = p.tops[i];
    for (int i = 0; i < n && from_t0.ok; i++) {
        for (int l = 0; l < ks_t0_nloops(all[i]->code) && l < MAXLOOPS; l++) {
            char sym[64];
            snprintf(sym, sizeof sym, "%s.osr%d", all[i]->name, l);
            all[i]->osr[l] = (double (*)(double *))jit_lookup(&from_t0, sym);
        }
    }
    for (int i = 0; i < n && from_t0.ok; i++) {
        for (int l = 0; l < ks_t0_nloops(all[i]->code) && l < MAXLOOPS; l++) {
            for (const int *nth = nths; *nth; nth++) {
                reset(&p);
                p.target = all[i], p.loop = l, p.nth = *nth;
                for (int k = 0; k < p.ntops; k++)
                    o.result[k] = ks_t0_exec(p.tops[k]->code, NULL, p.tops[k]);
                finish(&p, &o);
                osr_tried++;
                osr_fired += p.fired;
                char what[96];
                snprintf(what, sizeof what, "OSR at %s loop %d, back-edge %d", all[i]->name, l,
                         *nth);
                compare(&p, &ref, &o, what, text);
            }
        }
    }
    for (int i = 0; i < n; i++)
        memset(all[i]->osr, 0, sizeof all[i]->osr);
    jit_free(&from_t0);
    double last = p.ntops ? ref.result[p.ntops - 1] : NAN;
    prog_free(&p);
    return last;
}

static const int nths_few[] = {1, 2, 3, 0};

#define CHECK_ALL(text) check_all(text, NULL, nths_few, __LINE__)
#define EXPECT(text, want)                                                                      \
    do {                                                                                        \
        double got_ = CHECK_ALL(text), want_ = (want);                                          \
        CHECK(same_value(got_, want_), "%s\n  got %a (%.17g), want %a", text, got_, got_,    \
              want_);                                                                           \
    } while (0)
#include "ks_randprog.h"
}


/* ---- hand-written programs ---------------------------------------------------- */

static void values(void) {
    double nz = -0.0;
    EXPECT("def f(a b) a * b; f(0, 0 - 1)", nz);
    EXPECT("def f(a b) a + b; f(0 * (0 - 1), 0 * (0 - 1))", nz);
    EXPECT("def f(a b) a + b; f(0 * (0 - 1), 0)", 0.0);
    EXPECT("def f(a) a - a; f(1/0)", NAN);
    EXPECT("def f(a b) a / b; f(0 - 1, 0) + 1", -INFINITY);
    EXPECT("def f(a b) a / b; f(0, 0)", NAN);
    EXPECT("def f(a b) a < b; f(0/0, 1) + 10 * f(1, 0/0) + 100 * f(1, 1) + 1000 * f(1, 2)", 1011);
    EXPECT("def f(a) if a < 3 then 1 else 2; f(0/0) + 10 * f(3) + 100 * f(2)", 121);
    EXPECT("def f(a) if 3 < a then 1 else 2; f(0/0)", 1);
    EXPECT("def t(c) if c then 1 else 2; t(0/0) + 10 * t(0 * (0-1)) + 100 * t(1/0)", 122);
    EXPECT("def f(x) x + (x = 5); f(1)", 6);
    EXPECT("def f(x) (x = 5) + x; f(1)", 10);
    EXPECT("var g = 1; def s() g = 10; g + s()", 11);
    EXPECT("def f(a b) 0.1 + a * b - a / b; f(0.3, 7)", 0.1 + 0.3 * 7 - 0.3 / 7);
    EXPECT("1 + 2 * 3 - 4 / 8", 6.5);
    EXPECT("0 / 0", NAN);
    EXPECT("0 * (0 - 1)", nz);
}

static void operators_and_recursion(void) {
    EXPECT("def binary| 5 (a b) if a then 1 else if b then 1 else 0;"
           "def f(a b) a | b < 2; f(0, 5) + 10 * (0 | 1 < 2)", 10);
    EXPECT("def binary@ 20 (a b) a; def f(a b c) a @ b + c - a @ b; f(1, 2, 3)", 3);
    EXPECT("def unary-(v) 0-v; def unary!(v) if v then 0 else 1; -3 * 2 + !(0/0) + !!7", -4);
    EXPECT("def binary : 1 (x y) y; printd(1) : printd(2) : 7", 7);
    EXPECT("def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2); fib(15)", 610);
    EXPECT("def even(n) if n < 1 then 1 else odd(n - 1);"
           "def odd(n) if n < 1 then 0 else even(n - 1); even(10) + 10 * odd(7)", 11);
    EXPECT("def down(n) if n < 1 then 0 else 1 + down(n - 1); down(" DEEP ")", atof(DEEP));
    EXPECT("var n = 5; def bump(d) n = n + d; bump(2); n; var n = n * 3; n", 21);
    EXPECT("def f(x) x; var f = 3; f(1) + f", 4);
}

/* Each of these runs some loop at least twice: OSR must have been entered. */
#define CHECK_ALL_OSR(text)                                                     \
    do {                                                                        \
        int f_ = osr_fired;                                                     \
        CHECK_ALL(text);                                                        \
        CHECK(osr_fired > f_, "no OSR entered for %s", text);                   \
    } while (0)
#define EXPECT_OSR(text, want)                                                  \
    do {                                                                        \
        int f_ = osr_fired;                                                     \
        EXPECT(text, want);                                                     \
        CHECK(osr_fired > f_, "no OSR entered for %s", text);                   \
    } while (0)

static void loops(void) {
    /* Depth 0; order of body, step, end test; with and without step. */
    CHECK_ALL_OSR("for i = 0, printd(100 + i) + (i < 1), printd(200 + i) + 1 in printd(i)");
    CHECK_ALL_OSR("for i = 0, i < 10, 4 in printd(i)");
    CHECK_ALL_OSR("for i = 1, i < 2, 0.5 in printd(i)");
    CHECK_ALL("for i = 0, 0/0 in printd(i)"); /* no back-edge */
    EXPECT_OSR("def sum(n) var s = 0 in (for i = 1, i < n in s = s + i) + s; sum(10)", 55);
    CHECK_ALL_OSR("def f(n) var k = 1 in for i = 0, i < n, k = k * 2 in printd(i); f(10)");
    CHECK_ALL_OSR("def f() for i = 0, (i = i + 10) < 25 in printd(i); f()");
    CHECK_ALL_OSR("def f(i) (for i = 0, i < 2 in printd(i)) + i; f(7)");
    /* Nested: OSR in the inner and in the outer loop. */
    EXPECT_OSR("def f() var n = 0 in (for i = 1, i < 3 in for j = 1, j < 4 in n = n + printd(i*10+j)"
           " + 1) + n; f()", 12);
    CHECK_ALL_OSR("for i = 0, i < 2 in for i = 10, i < 12 in printd(i)");
    /* Loops in an end test and a step (the held step in the frame). */
    EXPECT_OSR("def f() var n = 0 in (for i = 0, (for j = 0, j < 1 in n = n + 1) + (i < 2), "
           "(for k = 0, k < 1 in n = n + 100) + 1 in n = n + 1000) + n; f()",
           3 * (2 + 200 + 1000));
    /* Pending operands: 1 + (for ...), 2nd argument of a call, deeper, a held local. */
    EXPECT_OSR("def pa(x) 1 + (for i = 0, i < 3 in printd(x + i)); pa(5)", 1);
    EXPECT_OSR("def add2(a b) a + b; def pb(x) add2(7, for i = 0, i < 3 in printd(x * i)); pb(5)", 7);
    EXPECT_OSR("def add2(a b) a + b; def pc(x) x * (3 + add2(7, for i = 0, i < 3 in x = x + 1)); "
           "pc(5)", 50);
    EXPECT_OSR("def pd(x) x - (for i = 0, i < 3 in x = 100 + i); pd(5)", 5);
    EXPECT_OSR("def binary : 1 (x y) y; def pe(x) printd(x) : (x + 2 * (for i = 0, i < 3 in "
           "printd(i))) : (x / (var t = 3 in for j = 0, j < t in t = t - 0.5)); pe(3)", 1.0 / 0.0);
    /* A loop in a top-level expression and in a global initialiser. */
    EXPECT_OSR("var s = 0 in (for i = 0, i < 5 in s = s + i) + s", 15);
    EXPECT_OSR("var g = 2 + (for i = 0, i < 4 in printd(i)); g * 10", 20);
    EXPECT_OSR("def binary : 1 (x y) y;"
           "var h = (var s = 0 in (for i = 0, i < 5 in s = s + i * 2) : s); h", 30);
    EXPECT_OSR("var k = 1; for i = 0, i < 6 in k = k * 2; k", 128);
    /* Mandelbrot, as in test_t0. */
    CHECK_ALL_OSR("def binary : 1 (x y) y;"
              "def binary & 6 (a b) if a then (if b then 1 else 0) else 0;"
              "def escape(cr ci limit)"
              "  var zr = 0, zi = 0, t = 0, n = 0 in"
              "    (for k = 1, (zr*zr + zi*zi < 4) & (n < limit) in"
              "       t = zr*zr - zi*zi + cr : zi = 2*zr*zi + ci : zr = t : n = n + 1) : n;"
              "def total(x0 y0 dx dy cols rows)"
              "  var s = 0 in (for row = 0, row < rows - 1 in"
              "    for col = 0, col < cols - 1 in s = s + escape(x0 + col*dx, y0 + row*dy, 20)) : "
              "s;"
              "total(0 - 2.2, 0 - 1.2, 0.2, 0.3, 16, 8)");
}

/* The same programs through the optimiser (the IR relies on mem2reg/SROA). */
static void optimised(void) {
    const char *progs[] = {
        "def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2); fib(12)",
        "def pc(x) x * (3 + (for i = 0, i < 3 in x = x + 1)); pc(5)",
        "def f(a b) (a + b) * (0 - 0) + a / b; f(0, 0) + f(1, 0 * (0 - 1))",
        "def f() var n = 0 in (for i = 1, i < 3 in for j = 1, j < 4 in n = n + 1) + n; f()",
    };
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++)
        check_all(progs[i], "default<O2>", nths_few, __LINE__);
}

/* ---- failures -------------------------------------------------------------------- */

static void failures(void) {
    prog p;
    prog_init(&p);
    load(&p, "def f(x) for i = 0, i < x in printd(i); def g(a) f(a) + 1", __LINE__);
    unit *f = find_fn(&p, "f"), *g = find_fn(&p, "g");
    if (!f || !f->code || !g || !g->code) {
        CHECK(0, "f and g lowered");
        prog_free(&p);
        return;
    }
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("m", ctx);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(ctx), two[2] = {dbl, dbl};
    LLVMAddFunction(mod, "f", LLVMFunctionType(dbl, two, 2, 0));
    char err[128] = "";
    /* g calls f with 1 argument, the module has f with 2: an error, and no
     * body left behind. */
    CHECK(ks_t0_irgen(g->code, mod, "g", err, sizeof err) == -1 && strstr(err, "arguments"),
          "arity: %s", err);
    LLVMValueRef gf = LLVMGetNamedFunction(mod, "g");
    CHECK(gf && LLVMIsDeclaration(gf), "g left as a declaration");
    err[0] = 0;
    CHECK(ks_t0_irgen(f->code, mod, "f", err, sizeof err) == -1 && err[0], "f's type: %s", err);
    err[0] = 0;
    CHECK(ks_t0_irgen_osr(f->code, 1, mod, "f.osr1", err, sizeof err) == -1 && err[0],
          "no loop 1: %s", err);
    CHECK(ks_t0_irgen_osr(f->code, -1, mod, "f.osrm", err, sizeof err) == -1, "loop -1");
    CHECK(ks_t0_irgen_osr(f->code, 0, mod, "f.osr0", err, sizeof err) == 0, "osr0: %s", err);
    err[0] = 0;
    CHECK(ks_t0_irgen_osr(f->code, 0, mod, "f.osr0", err, sizeof err) == -1 && err[0],
          "twice: %s", err);
    char *msg = NULL;
    CHECK(!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg), "verifies: %s", msg);
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    prog_free(&p);
}

/* ---- random programs --------------------------------------------------------------- */

static char *random_program(void) {
    char *buf = NULL;
    size_t len = 0;
    gen g = {0};
    g.o = open_memstream(&buf, &len);
    fputs("def binary| 5 (a b) if a then 1 else if b then 1 else 0;\n"
          "def binary : 1 (x y) y;\n"
          "def unary!(v) if v then 0 else 1;\n"
          "var g0 = 1.5; var g1 = 0 - 2;\n",
          g.o);
    for (int k = 0; k < 3; k++) {
        g.vars[0] = "x", g.vars[1] = "y", g.vars[2] = "g0", g.vars[3] = "g1";
        for (int i = 0; i < 4; i++)
            g.assignable[i] = 1;
        g.nvars = 4;
        g.nfuncs = k;
        g.size = 40;
        fprintf(g.o, "def f%d(x y) ", k);
        gexpr(&g, 5);
        fputs(";\n", g.o);
    }
    for (int k = 0; k < 6; k++) {
        g.vars[0] = "g0", g.vars[1] = "g1";
        g.assignable[0] = g.assignable[1] = 1;
        g.nvars = 2;
        g.nfuncs = 3;
        g.size = 40;
        if (k == 5)
            fputs("var g1 = ", g.o);
        gexpr(&g, 6);
        fputs(";\n", g.o);
    }
    fclose(g.o);
    return buf;
}

static void differential(int rounds) {
    static const int nths[] = {1, 2, 5, 0};
    for (int r = 0; r < rounds; r++) {
        char *text = random_program();
        int f0 = failed;
        /* Every 4th round through the optimiser. */
        check_all(text, r % 4 == 3 ? "default<O2>" : NULL, nths, __LINE__);
        if (failed != f0)
            printf("  round %d program:\n%s\n", r, text);
        free(text);
    }
}

/* ---- measurements -------------------------------------------------------------------- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Bytes of the name table in code: the two header counts, the site table, the strings. */
static size_t name_bytes(const ks_t0_code *c) {
    ks_t0_iter it = {0};
    ks_t0_insn in;
    size_t sites = 0, strings = 0;
    const char *seen[64];
    int kind[64], nseen = 0;
    while (ks_t0_next(c, &it, &in)) {
        if (!in.name)
            continue;
        sites++;
        int k = in.op == KS_T0_I_CALL, dup = 0;
        for (int i = 0; i < nseen; i++)
            dup |= kind[i] == k && strcmp(seen[i], in.name) == 0;
        if (!dup && nseen < 64)
            seen[nseen] = in.name, kind[nseen++] = k, strings += strlen(in.name) + 1;
    }
    return 2 * sizeof(uint32_t) + (sites + 1) / 2 * sizeof(uint32_t) + strings;
}

static void bench(void) {
    prog p;
    prog_init(&p);
    load(&p,
         "def binary : 1 (x y) y;"
         "def binary & 6 (a b) if a then (if b then 1 else 0) else 0;"
         "def fib(x) if x < 3 then 1 else fib(x-1)+fib(x-2);"
         "def escape(cr ci limit)"
         "  var zr = 0, zi = 0, t = 0, n = 0 in"
         "    (for k = 1, (zr*zr + zi*zi < 4) & (n < limit) in"
         "       t = zr*zr - zi*zi + cr : zi = 2*zr*zi + ci : zr = t : n = n + 1) : n;"
         "def ten(a b) var x = a * b, y = a - b in x = x + 1 : y = y * 2 : "
         "  (if x < y then x else y) : printd(x) : x = x / 3 : y = y + x : printd(y) : "
         "  (for i = 0, i < a in x = x + i) : x + y;",
         __LINE__);
    const char *names[] = {"fib", "escape", "ten"};
    LLVMContextRef ctx = LLVMContextCreate();
    for (int i = 0; i < 3; i++) {
        unit *u = find_fn(&p, names[i]);
        double t[3];
        int reps = 2000;
        for (int how = 0; how < 3; how++) {
            double t0 = now_ns();
            for (int k = 0; k < reps; k++) {
                LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("b", ctx);
                char err[128];
                int rc = how == 0   ? ks_t0_irgen(u->code, mod, u->name, err, sizeof err)
                         : how == 1 ? ks_irgen_item(u->item, mod, u->name, err, sizeof err)
                                    : ks_t0_irgen_osr(u->code, 0, mod, "osr", err, sizeof err);
                if (rc && !(how == 2 && ks_t0_nloops(u->code) == 0))
                    CHECK(0, "bench irgen %s: %s", u->name, err);
                LLVMDisposeModule(mod);
            }
            t[how] = (now_ns() - t0) / reps / 1000;
        }
        size_t nb = name_bytes(u->code);
        printf("bench: %-6s IR from T0 %.2f us, from the tree %.2f us (ratio %.2f), OSR entry "
               "%.2f us; T0 %zu bytes, of which names %zu\n",
               names[i], t[0], t[1], t[0] / t[1], t[2], ks_t0_bytes(u->code), nb);
    }
    LLVMContextDispose(ctx);
    prog_free(&p);
}

int main(void) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    double t0 = now_ns();
    values();
    operators_and_recursion();
    loops();
    optimised();
    failures();
    differential(getenv("KS_T0_IR_ROUNDS") ? atoi(getenv("KS_T0_IR_ROUNDS")) : 30);
    printf("test_t0_ir: %d OSR runs, %d entered compiled code (the others' loop ran fewer "
           "times); %d equal NaNs differed in their bits; %.1f s\n",
           osr_tried, osr_fired, nan_bits_diffs, (now_ns() - t0) / 1e9);
    CHECK(osr_fired > osr_tried / 10, "OSR entered in %d of %d runs", osr_fired, osr_tried);
    if (getenv("KS_T0_IR_BENCH"))
        bench();
    printf("test_t0_ir: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
