/*
 * ks_t0.c — tier 0: lower a checked item to bytecode, and interpret it.
 *
 * Why this form.  T0 must start fast (lowering is one pass over the tree),
 * be small (it lives as long as the function stays cold) and run without
 * touching the heap.  So, as V8's Ignition, it is an accumulator machine over
 * a register file: the accumulator is a C local the compiler keeps in an xmm
 * register, the register file is the frame (locals, then pending operands,
 * ks_t0.h), and every operand names a frame index or an inline constant.  As
 * LuaJIT's bytecode, instructions are fixed-format words (an opcode word,
 * then operand words: frame index, jump target, or a double/pointer inline in
 * two words), and the arithmetic comes in operand-kind variants (acc, frame
 * register, constant: ADD_RK is frame[r] + k), so the common `x - 1` or
 * `a * b` is one dispatch.  `if a < b` is one compare-and-branch; a `for`
 * ends in one FOR instruction (step, test, back-edge hook, jump).  Dispatch
 * is computed goto where the compiler has it.
 *
 * Exactness.  Each instruction does exactly one IEEE operation of ks_irgen's
 * IR in the same order, in its own C statement (no contraction into fma:
 * see the pragma), so results match bit for bit.  Constant subtrees of
 * built-in operators are folded at lowering time with the same C operations.
 *
 * Lowering.  A first walk numbers the nodes in pre-order and records, per
 * node, its subtree size, its loop count and whether it assigns (all O(1)
 * questions later), the loop numbers and depths, and the frame's max depth by
 * the rule of ks_t0.h.  The second walk emits code into a scratch buffer; the
 * result is one malloc'd block: header, code, loop depths, then the names.
 *
 * Names.  The interpreter needs only handles, but a tier compiled from this
 * code (ks_t0_ir.c) calls functions and reaches globals by source name, so
 * that the item's tree need not be kept.  Every instruction carrying a handle
 * (CALL, LDG, STG) is a "site"; sites are numbered in code order, and a site
 * table of 16-bit offsets into a string table (one NUL-terminated name per
 * distinct callee or global, as resolve() caches them) gives each its name.
 * The interpreter never reads them; ks_t0_next does.
 */
#include "ks_t0.h"
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__GNUC__) && !defined(KS_T0_NO_GOTO)
#define KS_T0_GOTO 1
#endif

/* A frame larger than this (in doubles) would risk the C stack. */
#define KS_T0_MAX_FRAME 65536

/* ---- the instruction set ------------------------------------------------
 * Operand kinds in a signature: R frame index, K double (2 words), P pointer
 * (2 words), J jump target (code word index), N count, L loop number.
 * The arithmetic ops come first, 7 forms each, in the order of KS_T0_FORM:
 * opcode = op * 7 + form; the compare-and-branch JGE forms follow
 * (jump when !(a < b) in fcmp ult terms, i.e. a >= b ordered). */
#define KS_T0_FORMS(_, OP)                                                               \
    _(OP##_AR, "R") _(OP##_AK, "K") _(OP##_RA, "R") _(OP##_KA, "K") _(OP##_RR, "RR")     \
        _(OP##_RK, "RK") _(OP##_KR, "KR")

#define KS_T0_JFORMS(_)                                                                   \
    _(JGE_AR, "RJ") _(JGE_AK, "KJ") _(JGE_RA, "RJ") _(JGE_KA, "KJ") _(JGE_RR, "RRJ")      \
        _(JGE_RK, "RKJ") _(JGE_KR, "KRJ")

#define KS_T0_OPS(_)                                                                      \
    KS_T0_FORMS(_, ADD) KS_T0_FORMS(_, SUB) KS_T0_FORMS(_, MUL) KS_T0_FORMS(_, DIV)     \
    KS_T0_FORMS(_, LT) KS_T0_JFORMS(_)                                                  \
    _(LDK, "K")      /* acc = k */                                                     \
    _(LDR, "R")      /* acc = frame[r] */                                              \
    _(STR, "R")      /* frame[r] = acc */                                              \
    _(LDG, "P")      /* acc = *global */                                               \
    _(STG, "P")      /* *global = acc */                                               \
    _(MOVK, "RK")    /* frame[r] = k */                                                \
    _(MOVR, "RR")    /* frame[a] = frame[b] */                                         \
    _(JMP, "J")                                                                        \
    _(JF, "J")       /* jump unless acc is true (fcmp one acc, 0.0) */                 \
    _(CALL, "RNPS")  /* acc = call(handle, frame + r, n); S: its source position */    \
    _(FORK, "RKJL")  /* c = acc; frame[r] += k; if c true: back-edge, jump; else acc = 0 */ \
    _(FORR, "RRJL")  /* the same with the step in frame[b] */                          \
    _(RET, "")

typedef enum ks_t0_op {
#define KS_T0_ENUM(name, sig) KS_T0_##name,
    KS_T0_OPS(KS_T0_ENUM)
#undef KS_T0_ENUM
    KS_T0_NOPS
} ks_t0_op;

static const struct {
    const char *name, *sig;
} ks_t0_info[] = {
#define KS_T0_INFO(name, sig) {#name, sig},
    KS_T0_OPS(KS_T0_INFO)
#undef KS_T0_INFO
};

enum { FORM_AR, FORM_AK, FORM_RA, FORM_KA, FORM_RR, FORM_RK, FORM_KR, NFORMS };
enum { ARITH_ADD, ARITH_SUB, ARITH_MUL, ARITH_DIV, ARITH_LT };

struct ks_t0_code {
    const ks_t0_env *env;
    const char *file;   /* the item's source name (the source outlives the code) */
    int line;           /* of the item */
    uint32_t nname;     /* bytes of the function's name at the end ("" at top level) */
    int nparams, nlocals, frame_size, nloops;
    uint32_t ncode;
    uint32_t nsites, nnamebytes; /* site table entries; string table bytes */
    uint32_t words[]; /* ncode code words, nloops loop depths, the site table
                       * (uint16 offsets, padded to a word), the string table */
};

/* fcmp ult, as 1.0/0.0: true when either side is NaN. */
static inline double ks_t0_ult(double a, double b) { return !(a >= b) ? 1.0 : 0.0; }
/* fcmp one against 0.0: false for NaN and for both zeros. */
static inline int ks_t0_true(double c) { return c < 0.0 || c > 0.0; }

static double arith(int op, double a, double b) {
    switch (op) {
    case ARITH_ADD: return a + b;
    case ARITH_SUB: return a - b;
    case ARITH_MUL: return a * b;
    case ARITH_DIV: return a / b;
    default: return ks_t0_ult(a, b);
    }
}

static int arith_of(int c) {
    switch (c) {
    case '+': return ARITH_ADD;
    case '-': return ARITH_SUB;
    case '*': return ARITH_MUL;
    case '/': return ARITH_DIV;
    case '<': return ARITH_LT;
    default: return -1;
    }
}

/* ---- lowering: scratch state ------------------------------------------- */

/* Per node, in pre-order. */
typedef struct node_info {
    int32_t size;  /* nodes in the subtree, itself included */
    int32_t loop;  /* loops met before it in pre-order (its number, if a for) */
    int32_t nfor;  /* loops in the subtree */
    uint8_t assigns, konst; /* subtree has an assignment; is a foldable constant */
} node_info;

/* A growable array starting in caller-provided (stack) storage. */
typedef struct vec {
    void *p;
    size_t n, cap, elem;
    int heap;
} vec;

typedef struct name_ent {
    const char *name;
    void *ptr;
    uint32_t off; /* of the name in the string table */
} name_ent;

typedef struct lw {
    const ks_t0_env *env;
    int nlocals;
    vec code;       /* uint32_t */
    vec nodes;      /* node_info */
    vec loops;      /* uint32_t: depth per loop */
    vec sites;      /* uint16_t: per CALL/LDG/STG in code order, its name's offset in strtab */
    vec strtab;     /* char: the distinct names, NUL-terminated */
    int maxdepth;
    name_ent *names; /* open addressing, callees and globals (tagged by the first byte) */
    size_t ncap, nnames;
    char *err;
    size_t errlen;
    int failed;
} lw;

static void *vec_push(vec *v) {
    if (v->n == v->cap) {
        size_t ncap = v->cap * 2;
        void *np = v->heap ? realloc(v->p, ncap * v->elem) : malloc(ncap * v->elem);
        if (!np)
            abort();
        if (!v->heap)
            memcpy(np, v->p, v->n * v->elem);
        v->p = np;
        v->cap = ncap;
        v->heap = 1;
    }
    return (char *)v->p + v->n++ * v->elem;
}

static void vec_free(vec *v) {
    if (v->heap)
        free(v->p);
}

/* ---- lowering: the first walk ------------------------------------------ */

static int imax(int a, int b) { return a > b ? a : b; }

/* Number e's subtree in pre-order at depth d; returns e's index. */
static int32_t scan(lw *w, const ks_expr *e, int d) {
    int32_t me = (int32_t)w->nodes.n;
    node_info *ni = vec_push(&w->nodes);
    int32_t loop0 = (int32_t)w->loops.n;
    ni->loop = loop0;
    uint8_t assigns = 0, konst = 0;
    switch (e->kind) {
    case KS_EXPR_NUM: konst = 1; break;
    case KS_EXPR_VAR: break;
    case KS_EXPR_UNARY:
        w->maxdepth = imax(w->maxdepth, d + 1);
        scan(w, e->u.unary.operand, d);
        break;
    case KS_EXPR_BINARY: {
        int user = arith_of(e->u.binary.op) < 0;
        w->maxdepth = imax(w->maxdepth, d + 1 + user);
        int32_t l = scan(w, e->u.binary.lhs, d);
        int32_t r = scan(w, e->u.binary.rhs, d + 1);
        const node_info *n = w->nodes.p;
        konst = !user && n[l].konst && n[r].konst;
        break;
    }
    case KS_EXPR_ASSIGN:
        assigns = 1;
        scan(w, e->u.assign.value, d);
        break;
    case KS_EXPR_CALL:
        w->maxdepth = imax(w->maxdepth, d + e->u.call.nargs);
        for (int i = 0; i < e->u.call.nargs; i++)
            scan(w, e->u.call.args[i], d + i);
        break;
    case KS_EXPR_IF:
        scan(w, e->u.if_.cond, d);
        scan(w, e->u.if_.then_e, d);
        scan(w, e->u.if_.else_e, d);
        break;
    case KS_EXPR_FOR:
        *(uint32_t *)vec_push(&w->loops) = (uint32_t)d;
        w->maxdepth = imax(w->maxdepth, d + 1);
        scan(w, e->u.for_.start, d);
        scan(w, e->u.for_.end, d + 1);
        if (e->u.for_.step)
            scan(w, e->u.for_.step, d);
        scan(w, e->u.for_.body, d);
        break;
    case KS_EXPR_VARIN:
        for (int i = 0; i < e->u.varin.nvars; i++)
            if (e->u.varin.vars[i].init)
                scan(w, e->u.varin.vars[i].init, d);
        scan(w, e->u.varin.body, d);
        break;
    }
    node_info *n = w->nodes.p;
    for (size_t c = (size_t)me + 1; c < w->nodes.n; c += (size_t)n[c].size)
        assigns |= n[c].assigns; /* direct children only: they carry their subtrees */
    n[me].size = (int32_t)(w->nodes.n - (size_t)me);
    n[me].nfor = (int32_t)w->loops.n - loop0;
    n[me].assigns = assigns;
    n[me].konst = konst;
    return me;
}

/* ---- lowering: emitting ------------------------------------------------- */

static const node_info *info(const lw *w, int32_t i) { return (const node_info *)w->nodes.p + i; }

static size_t here(const lw *w) { return w->code.n; }

static void word(lw *w, uint32_t x) { *(uint32_t *)vec_push(&w->code) = x; }

static void words8(lw *w, const void *p) {
    uint32_t x[2];
    memcpy(x, p, 8);
    word(w, x[0]);
    word(w, x[1]);
}

static void emit_k(lw *w, double k) { words8(w, &k); }

static void emit_p(lw *w, void *p) {
    uint64_t u = (uint64_t)(uintptr_t)p;
    words8(w, &u);
}

/* Patch the jump target word at `at` to the current position. */
static void patch(lw *w, size_t at) { ((uint32_t *)w->code.p)[at] = (uint32_t)here(w); }

static uint32_t pend(const lw *w, int d) { return (uint32_t)(w->nlocals + d); }

static uint64_t hash_name(int tag, const char *s) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)tag;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The env's handle for function (tag 'f') or global (tag 'g') `name`, asked
 * of the env once per distinct name.  Called once per site, just as its
 * instruction is emitted: records the site's name. */
static void *resolve(lw *w, int tag, const char *name, int nargs) {
    if ((w->nnames + 1) * 2 > w->ncap) {
        size_t ncap = w->ncap ? w->ncap * 2 : 16;
        name_ent *ne = calloc(ncap, sizeof *ne);
        if (!ne)
            abort();
        for (size_t i = 0; i < w->ncap; i++) {
            if (!w->names[i].name)
                continue;
            size_t j = hash_name(w->names[i].name[0], w->names[i].name + 1) & (ncap - 1);
            while (ne[j].name)
                j = (j + 1) & (ncap - 1);
            ne[j] = w->names[i];
        }
        free(w->names);
        w->names = ne;
        w->ncap = ncap;
    }
    size_t i = hash_name(tag, name) & (w->ncap - 1);
    for (; w->names[i].name; i = (i + 1) & (w->ncap - 1))
        if (w->names[i].name[0] == tag && strcmp(w->names[i].name + 1, name) == 0) {
            *(uint16_t *)vec_push(&w->sites) = (uint16_t)w->names[i].off;
            return w->names[i].ptr;
        }
    void *p = tag == 'f' ? w->env->callee(w->env->ctx, name, nargs)
                         : (void *)w->env->global(w->env->ctx, name);
    if (!p) {
        if (!w->failed)
            snprintf(w->err, w->errlen, "no %s '%.40s' for T0",
                     tag == 'f' ? "function" : "global", name);
        w->failed = 1;
        return NULL;
    }
    size_t len = strlen(name), off = w->strtab.n;
    if (off + len + 1 > UINT16_MAX) {
        if (!w->failed)
            snprintf(w->err, w->errlen, "too many names for T0");
        w->failed = 1;
        return NULL;
    }
    for (size_t k = 0; k <= len; k++)
        *(char *)vec_push(&w->strtab) = name[k];
    *(uint16_t *)vec_push(&w->sites) = (uint16_t)off;
    char *key = malloc(len + 2);
    if (!key)
        abort();
    key[0] = (char)tag;
    memcpy(key + 1, name, len + 1);
    w->names[i] = (name_ent){key, p, (uint32_t)off};
    w->nnames++;
    return p;
}

static void *global(lw *w, const char *name) { return resolve(w, 'g', name, 0); }

/* The value of a constant subtree (info konst), by the run-time operations. */
static double fold(const ks_expr *e) {
    if (e->kind == KS_EXPR_NUM)
        return e->u.num;
    double l = fold(e->u.binary.lhs), r = fold(e->u.binary.rhs);
    return arith(arith_of(e->u.binary.op), l, r);
}

/* How an operand is reached: an inline constant, a local's slot, or code
 * that leaves it in the accumulator. */
typedef struct operand {
    enum { OPD_K, OPD_R, OPD_A } kind;
    double k;
    uint32_t r;
} operand;

static operand classify(const lw *w, const ks_expr *e, int32_t i) {
    if (info(w, i)->konst)
        return (operand){OPD_K, fold(e), 0};
    if (e->kind == KS_EXPR_VAR && e->u.var.slot >= 0)
        return (operand){OPD_R, 0, (uint32_t)e->u.var.slot};
    return (operand){OPD_A, 0, 0};
}

static void lower(lw *w, const ks_expr *e, int32_t i, int d);

/* Store e's value into frame[dst]. */
static void put(lw *w, uint32_t dst, const ks_expr *e, int32_t i, int d) {
    operand o = classify(w, e, i);
    if (o.kind == OPD_K) {
        word(w, KS_T0_MOVK), word(w, dst), emit_k(w, o.k);
    } else if (o.kind == OPD_R) {
        word(w, KS_T0_MOVR), word(w, dst), word(w, o.r);
    } else {
        lower(w, e, i, d);
        word(w, KS_T0_STR), word(w, dst);
    }
}

static void operand_words(lw *w, operand o) {
    if (o.kind == OPD_K)
        emit_k(w, o.k);
    else
        word(w, o.r);
}

/* A built-in binary operator at depth d: `base` is the opcode of its AR form
 * (an arithmetic op or JGE); emits everything but a JGE's target word.
 * The lhs is held in frame[nlocals+d] whenever the rhs could observe the
 * frame (it has a loop) or overwrite a local lhs (it assigns). */
static void binop(lw *w, uint32_t base, const ks_expr *e, int32_t i, int d) {
    const ks_expr *le = e->u.binary.lhs, *re = e->u.binary.rhs;
    int32_t li = i + 1, ri = li + info(w, li)->size;
    operand l = classify(w, le, li), r = classify(w, re, ri);
    const node_info *rn = info(w, ri);
    if (l.kind != OPD_A && r.kind != OPD_A && !(l.kind == OPD_K && r.kind == OPD_K)) {
        word(w, base + (l.kind == OPD_K ? FORM_KR : r.kind == OPD_K ? FORM_RK : FORM_RR));
        operand_words(w, l);
        operand_words(w, r);
    } else if (r.kind != OPD_A) {
        lower(w, le, li, d);
        word(w, base + (r.kind == OPD_K ? FORM_AK : FORM_AR));
        operand_words(w, r);
    } else if ((l.kind == OPD_K || (l.kind == OPD_R && !rn->assigns)) && !rn->nfor) {
        lower(w, re, ri, d + 1);
        word(w, base + (l.kind == OPD_K ? FORM_KA : FORM_RA));
        operand_words(w, l);
    } else {
        put(w, pend(w, d), le, li, d);
        lower(w, re, ri, d + 1);
        word(w, base + FORM_RA), word(w, pend(w, d));
    }
}

/* A source position in one word: line in the high 20 bits, column in the
 * low 12 (each clamped: a position past them is shown at the limit). */
#define KS_T0_POS(line, col)                                                           \
    (((uint32_t)((line) < 0xfffff ? (line) : 0xfffff) << 12) | (uint32_t)((col) < 0xfff ? (col) : 0xfff))

static void call(lw *w, const char *name, int nargs, int d, ks_pos pos) {
    void *h = resolve(w, 'f', name, nargs);
    word(w, KS_T0_CALL), word(w, pend(w, d)), word(w, (uint32_t)nargs), emit_p(w, h);
    word(w, KS_T0_POS(pos.line, pos.col));
}

/* Code that jumps when `cond` is false; returns the target word to patch. */
static size_t jump_unless(lw *w, const ks_expr *cond, int32_t i, int d) {
    if (cond->kind == KS_EXPR_BINARY && cond->u.binary.op == '<' && !info(w, i)->konst) {
        binop(w, KS_T0_JGE_AR, cond, i, d);
    } else {
        lower(w, cond, i, d);
        word(w, KS_T0_JF);
    }
    word(w, 0);
    return here(w) - 1;
}

static void lower_for(lw *w, const ks_expr *e, int32_t i, int d) {
    uint32_t loop = (uint32_t)info(w, i)->loop, slot = (uint32_t)e->u.for_.slot;
    int32_t si = i + 1, ei = si + info(w, si)->size;
    int32_t pi = ei + info(w, ei)->size;
    int32_t bi = e->u.for_.step ? pi + info(w, pi)->size : pi;
    put(w, slot, e->u.for_.start, si, d);
    size_t top = here(w);
    lower(w, e->u.for_.body, bi, d);
    operand step = e->u.for_.step ? classify(w, e->u.for_.step, pi) : (operand){OPD_K, 1.0, 0};
    if (step.kind == OPD_K) {
        if (info(w, ei)->nfor) /* a loop in the end test sees the held step */
            word(w, KS_T0_MOVK), word(w, pend(w, d)), emit_k(w, step.k);
        lower(w, e->u.for_.end, ei, d + 1);
        word(w, KS_T0_FORK), word(w, slot), emit_k(w, step.k);
    } else {
        put(w, pend(w, d), e->u.for_.step, pi, d);
        lower(w, e->u.for_.end, ei, d + 1);
        word(w, KS_T0_FORR), word(w, slot), word(w, pend(w, d));
    }
    word(w, (uint32_t)top), word(w, loop);
}

/* Code leaving e's value (node i, depth d) in the accumulator. */
static void lower(lw *w, const ks_expr *e, int32_t i, int d) {
    if (info(w, i)->konst) {
        word(w, KS_T0_LDK), emit_k(w, fold(e));
        return;
    }
    switch (e->kind) {
    case KS_EXPR_NUM: break; /* konst */
    case KS_EXPR_VAR:
        if (e->u.var.slot >= 0)
            word(w, KS_T0_LDR), word(w, (uint32_t)e->u.var.slot);
        else
            word(w, KS_T0_LDG), emit_p(w, global(w, e->u.var.name));
        break;
    case KS_EXPR_ASSIGN:
        lower(w, e->u.assign.value, i + 1, d);
        if (e->u.assign.slot >= 0)
            word(w, KS_T0_STR), word(w, (uint32_t)e->u.assign.slot);
        else
            word(w, KS_T0_STG), emit_p(w, global(w, e->u.assign.name));
        break;
    case KS_EXPR_UNARY: {
        char name[8] = "unary?";
        name[5] = (char)e->u.unary.op;
        put(w, pend(w, d), e->u.unary.operand, i + 1, d);
        call(w, name, 1, d, e->pos);
        break;
    }
    case KS_EXPR_BINARY: {
        int op = arith_of(e->u.binary.op);
        if (op >= 0) {
            binop(w, (uint32_t)op * NFORMS, e, i, d);
        } else {
            char name[8] = "binary?";
            name[6] = (char)e->u.binary.op;
            int32_t li = i + 1, ri = li + info(w, li)->size;
            put(w, pend(w, d), e->u.binary.lhs, li, d);
            put(w, pend(w, d + 1), e->u.binary.rhs, ri, d + 1);
            call(w, name, 2, d, e->pos);
        }
        break;
    }
    case KS_EXPR_CALL: {
        int32_t ai = i + 1;
        for (int a = 0; a < e->u.call.nargs; a++) {
            put(w, pend(w, d + a), e->u.call.args[a], ai, d + a);
            ai += info(w, ai)->size;
        }
        call(w, e->u.call.callee, e->u.call.nargs, d, e->pos);
        break;
    }
    case KS_EXPR_IF: {
        int32_t ci = i + 1, ti = ci + info(w, ci)->size, xi = ti + info(w, ti)->size;
        size_t to_else = jump_unless(w, e->u.if_.cond, ci, d);
        lower(w, e->u.if_.then_e, ti, d);
        word(w, KS_T0_JMP), word(w, 0);
        size_t to_end = here(w) - 1;
        patch(w, to_else);
        lower(w, e->u.if_.else_e, xi, d);
        patch(w, to_end);
        break;
    }
    case KS_EXPR_FOR: lower_for(w, e, i, d); break;
    case KS_EXPR_VARIN: {
        int32_t c = i + 1;
        for (int v = 0; v < e->u.varin.nvars; v++) {
            const ks_binding *b = &e->u.varin.vars[v];
            if (b->init) {
                put(w, (uint32_t)b->slot, b->init, c, d);
                c += info(w, c)->size;
            } else {
                word(w, KS_T0_MOVK), word(w, (uint32_t)b->slot), emit_k(w, 0.0);
            }
        }
        lower(w, e->u.varin.body, c, d);
        break;
    }
    }
}

ks_t0_code *ks_t0_lower(const ks_item *item, const ks_t0_env *env, char *err, size_t errlen) {
    if (item->kind == KS_ITEM_EXTERN || !item->body) {
        snprintf(err, errlen, "no code for this kind of item");
        return NULL;
    }
    uint32_t code0[256], loops0[16];
    uint16_t sites0[32];
    char strtab0[256];
    node_info nodes0[128];
    lw w = {.env = env, .err = err, .errlen = errlen};
    w.code = (vec){code0, 0, 256, sizeof(uint32_t), 0};
    w.loops = (vec){loops0, 0, 16, sizeof(uint32_t), 0};
    w.nodes = (vec){nodes0, 0, 128, sizeof(node_info), 0};
    w.sites = (vec){sites0, 0, 32, sizeof(uint16_t), 0};
    w.strtab = (vec){strtab0, 0, 256, 1, 0};
    int nparams = item->kind == KS_ITEM_DEF ? item->proto->nparams : 0;
    w.nlocals = imax(item->nlocals, nparams);

    scan(&w, item->body, 0);
    ks_t0_code *c = NULL;
    long frame = (long)w.nlocals + w.maxdepth;
    if (frame > KS_T0_MAX_FRAME) {
        snprintf(err, errlen, "frame of %ld values too large for T0", frame);
        goto out;
    }
    lower(&w, item->body, 0, 0);
    if (item->kind == KS_ITEM_GLOBAL)
        word(&w, KS_T0_STG), emit_p(&w, global(&w, item->global));
    word(&w, KS_T0_RET);
    if (w.failed)
        goto out;

    size_t site_words = (w.sites.n + 1) / 2;
    const char *fname = item->kind == KS_ITEM_DEF ? item->proto->name : "";
    size_t nname = strlen(fname) + 1;
    c = malloc(sizeof *c + (w.code.n + w.loops.n + site_words) * sizeof(uint32_t) + w.strtab.n +
               nname);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    c->env = env;
    c->file = item->src ? item->src->name : "";
    c->line = item->pos.line;
    c->nname = (uint32_t)nname;
    c->nparams = nparams;
    c->nlocals = w.nlocals;
    c->frame_size = frame > 0 ? (int)frame : 1;
    c->nloops = (int)w.loops.n;
    c->ncode = (uint32_t)w.code.n;
    memcpy(c->words, w.code.p, w.code.n * sizeof(uint32_t));
    memcpy(c->words + w.code.n, w.loops.p, w.loops.n * sizeof(uint32_t));
    c->nsites = (uint32_t)w.sites.n;
    c->nnamebytes = (uint32_t)w.strtab.n;
    uint32_t *sw = c->words + w.code.n + w.loops.n;
    if (site_words)
        sw[site_words - 1] = 0; /* the padding */
    if (w.sites.n)
        memcpy(sw, w.sites.p, w.sites.n * sizeof(uint16_t));
    if (w.strtab.n)
        memcpy(sw + site_words, w.strtab.p, w.strtab.n);
    memcpy((char *)(sw + site_words) + w.strtab.n, fname, nname);
out:
    for (size_t k = 0; k < w.ncap; k++)
        free((char *)w.names[k].name);
    free(w.names);
    vec_free(&w.code);
    vec_free(&w.loops);
    vec_free(&w.nodes);
    vec_free(&w.sites);
    vec_free(&w.strtab);
    return c;
}

int ks_t0_nparams(const ks_t0_code *c) { return c->nparams; }
int ks_t0_nlocals(const ks_t0_code *c) { return c->nlocals; }
int ks_t0_frame_size(const ks_t0_code *c) { return c->frame_size; }
int ks_t0_nloops(const ks_t0_code *c) { return c->nloops; }

int ks_t0_loop_depth(const ks_t0_code *c, int loop) {
    if (loop < 0 || loop >= c->nloops)
        return -1;
    return (int)c->words[c->ncode + (uint32_t)loop];
}

static size_t site_words(const ks_t0_code *c) { return ((size_t)c->nsites + 1) / 2; }

size_t ks_t0_bytes(const ks_t0_code *c) {
    return sizeof *c + ((size_t)c->ncode + (size_t)c->nloops + site_words(c)) * sizeof(uint32_t) +
           c->nnamebytes + c->nname;
}

const char *ks_t0_file(const ks_t0_code *c) { return c->file; }
int ks_t0_line(const ks_t0_code *c) { return c->line; }
int ks_t0_debug_info(const ks_t0_code *c) { return c->env->debug_info; }

const char *ks_t0_name(const ks_t0_code *c) {
    const uint32_t *sw = c->words + c->ncode + (uint32_t)c->nloops;
    return (const char *)(sw + site_words(c)) + c->nnamebytes;
}

/* The name of site number `site` (the site-th CALL/LDG/STG in code order). */
static const char *site_name(const ks_t0_code *c, uint32_t site) {
    const uint32_t *sw = c->words + c->ncode + (uint32_t)c->nloops;
    const uint16_t *sites = (const uint16_t *)sw;
    const char *strtab = (const char *)(sw + site_words(c));
    return site < c->nsites ? strtab + sites[site] : "?";
}

void ks_t0_free(ks_t0_code *c) { free(c); }

static double rd_k(const uint32_t *p) {
    double d;
    memcpy(&d, p, sizeof d);
    return d;
}

static void *rd_p(const uint32_t *p) {
    uint64_t u;
    memcpy(&u, p, sizeof u);
    return (void *)(uintptr_t)u;
}

void ks_t0_dump(FILE *out, const ks_t0_code *c) {
    fprintf(out, "; params %d, locals %d, frame %d, loops %d, %zu bytes\n", c->nparams,
            c->nlocals, c->frame_size, c->nloops, ks_t0_bytes(c));
    uint32_t site = 0;
    for (uint32_t pc = 0; pc < c->ncode;) {
        const uint32_t *ip = c->words + pc;
        const char *sig = ks_t0_info[ip[0]].sig;
        fprintf(out, "%4u  %-7s", pc, ks_t0_info[ip[0]].name);
        ip++;
        for (; *sig; sig++) {
            switch (*sig) {
            case 'K': fprintf(out, " %.17g", rd_k(ip)), ip += 2; break;
            case 'P': fprintf(out, " %s", site_name(c, site++)), ip += 2; break;
            case 'R': fprintf(out, " r%u", *ip++); break;
            case 'J': fprintf(out, " ->%u", *ip++); break;
            case 'S': fprintf(out, " @%u:%u", *ip >> 12, *ip & 0xfff), ip++; break;
            default: fprintf(out, " %u", *ip++); break;
            }
        }
        fputc('\n', out);
        pc = (uint32_t)(ip - c->words);
    }
}

unsigned ks_t0_ncode(const ks_t0_code *c) { return c->ncode; }

/* Decode by the signature: the operands in order, then place the
 * accumulator by the arithmetic form. */
int ks_t0_next(const ks_t0_code *c, ks_t0_iter *it, ks_t0_insn *in) {
    if (it->pc >= c->ncode)
        return 0;
    const uint32_t *ip = c->words + it->pc;
    uint32_t op = ip[0];
    const char *sig = ks_t0_info[op].sig;
    ks_t0_opd v[3] = {{0}};
    uint32_t w[3] = {0}; /* the other operand words, in order: J, N, L, R of CALL/FOR */
    int nv = 0, nw = 0;
    ip++;
    for (; *sig; sig++) {
        switch (*sig) {
        case 'K': v[nv].kind = KS_T0_OPD_K, v[nv++].k = rd_k(ip), ip += 2; break;
        case 'P': ip += 2; break;
        case 'R': v[nv].kind = KS_T0_OPD_REG, v[nv++].r = *ip++; break;
        default: w[nw++] = *ip++; break;
        }
    }
    memset(in, 0, sizeof *in);
    in->pc = it->pc;
    in->next = (unsigned)(ip - c->words);
    in->loop = -1;
    ks_t0_opd acc = {.kind = KS_T0_OPD_ACC};
    if (op <= KS_T0_JGE_KR) {
        int form = (int)(op % NFORMS);
        if (form == FORM_AR || form == FORM_AK)
            in->a = acc, in->b = v[0];
        else if (form == FORM_RA || form == FORM_KA)
            in->a = v[0], in->b = acc;
        else
            in->a = v[0], in->b = v[1];
        if (op >= KS_T0_JGE_AR) {
            in->op = KS_T0_I_JGE;
            in->target = w[0];
        } else {
            static const ks_t0_iop arith_iop[] = {KS_T0_I_ADD, KS_T0_I_SUB, KS_T0_I_MUL,
                                                  KS_T0_I_DIV, KS_T0_I_LT};
            in->op = arith_iop[op / NFORMS];
        }
    } else {
        switch ((ks_t0_op)op) {
        case KS_T0_LDK:
        case KS_T0_LDR: in->op = KS_T0_I_LD, in->a = v[0]; break;
        case KS_T0_STR: in->op = KS_T0_I_ST, in->dst = v[0].r, in->a = acc; break;
        case KS_T0_MOVK:
        case KS_T0_MOVR: in->op = KS_T0_I_ST, in->dst = v[0].r, in->a = v[1]; break;
        case KS_T0_LDG: in->op = KS_T0_I_LDG, in->name = site_name(c, it->site++); break;
        case KS_T0_STG:
            in->op = KS_T0_I_STG, in->a = acc, in->name = site_name(c, it->site++);
            break;
        case KS_T0_JMP: in->op = KS_T0_I_JMP, in->target = w[0]; break;
        case KS_T0_JF: in->op = KS_T0_I_JF, in->a = acc, in->target = w[0]; break;
        case KS_T0_CALL:
            in->op = KS_T0_I_CALL, in->dst = v[0].r, in->nargs = (int)w[0];
            in->line = w[1] >> 12, in->col = w[1] & 0xfff;
            in->name = site_name(c, it->site++);
            break;
        case KS_T0_FORK:
        case KS_T0_FORR:
            in->op = KS_T0_I_FOR, in->dst = v[0].r, in->a = acc, in->b = v[1];
            in->target = w[0], in->loop = (int)w[1];
            break;
        case KS_T0_RET: in->op = KS_T0_I_RET, in->a = acc; break;
        default: abort(); /* not an opcode: the code is corrupt */
        }
    }
    it->pc = in->next;
    return 1;
}

/* ---- the interpreter ---------------------------------------------------- */

/* Operands of the instruction at pc: frame register, constant. */
#define RG(n) frame[pc[n]]
#define KN(n) rd_k(pc + (n))
#define JUMP(t) (pc = code + (t))

#ifdef KS_T0_GOTO
#define VM_BEGIN goto *disp[*pc];
#define VM_END
#define OP(x) L_##x:
#define NEXT(n) \
    do { \
        pc += (n); \
        goto *disp[*pc]; \
    } while (0)
#else
#define VM_BEGIN \
    for (;;) { \
        switch ((ks_t0_op)*pc) {
#define VM_END \
    default: abort(); \
        } \
        }
#define OP(x) case KS_T0_##x:
#define NEXT(n) \
    { \
        pc += (n); \
        continue; \
    }
#endif

#define F_ADD(a, b) ((a) + (b))
#define F_SUB(a, b) ((a) - (b))
#define F_MUL(a, b) ((a) * (b))
#define F_DIV(a, b) ((a) / (b))
#define F_LT(a, b) ks_t0_ult((a), (b))

#define ARITH_HANDLERS(NAME)                                    \
    OP(NAME##_AR) acc = F_##NAME(acc, RG(1)); NEXT(2);           \
    OP(NAME##_AK) acc = F_##NAME(acc, KN(1)); NEXT(3);           \
    OP(NAME##_RA) acc = F_##NAME(RG(1), acc); NEXT(2);           \
    OP(NAME##_KA) acc = F_##NAME(KN(1), acc); NEXT(3);           \
    OP(NAME##_RR) acc = F_##NAME(RG(1), RG(2)); NEXT(3);         \
    OP(NAME##_RK) acc = F_##NAME(RG(1), KN(2)); NEXT(4);         \
    OP(NAME##_KR) acc = F_##NAME(KN(1), RG(3)); NEXT(4);

/* Jump to the else branch when !(a < b) under fcmp ult: a >= b, ordered. */
#define JGE(form, a, b, t, len) \
    OP(JGE_##form) if ((a) >= (b)) JUMP(pc[t]); else pc += (len); NEXT(0);

/* A loop's back-edge: count it, and every interval-th time ask the hook. */
#define BACKEDGE(loop)                                                          \
    do {                                                                        \
        if (--budget <= 0) {                                                    \
            if (env->backedge) {                                                \
                budget = env->backedge_interval;                                \
                double r;                                                       \
                if (env->backedge(env->ctx, user, (int)(loop), frame, &r))      \
                    return r;                                                   \
            } else {                                                            \
                budget = INT_MAX;                                               \
            }                                                                   \
        }                                                                       \
    } while (0)

double ks_t0_exec(const ks_t0_code *c, const double *args, void *user) {
#ifdef KS_T0_GOTO
    static const void *const disp[] = {
#define KS_T0_LABEL(name, sig) &&L_##name,
        KS_T0_OPS(KS_T0_LABEL)
#undef KS_T0_LABEL
    };
#endif
    const ks_t0_env *env = c->env;
    const uint32_t *code = c->words, *pc = code;
    /* The frame lives on the C stack: a siglongjmp out of a call leaks
     * nothing.  Where a back-edge hook could see it, it starts zeroed. */
    double frame[c->frame_size];
    if (c->nparams)
        memcpy(frame, args, (size_t)c->nparams * sizeof *frame);
    if (c->nloops)
        memset(frame + c->nparams, 0, (size_t)(c->frame_size - c->nparams) * sizeof *frame);
    int budget = env->backedge_interval > 0 ? env->backedge_interval : 1;
    double acc = 0.0;

    VM_BEGIN
    ARITH_HANDLERS(ADD)
    ARITH_HANDLERS(SUB)
    ARITH_HANDLERS(MUL)
    ARITH_HANDLERS(DIV)
    ARITH_HANDLERS(LT)
    JGE(AR, acc, RG(1), 2, 3)
    JGE(AK, acc, KN(1), 3, 4)
    JGE(RA, RG(1), acc, 2, 3)
    JGE(KA, KN(1), acc, 3, 4)
    JGE(RR, RG(1), RG(2), 3, 4)
    JGE(RK, RG(1), KN(2), 4, 5)
    JGE(KR, KN(1), RG(3), 4, 5)
    OP(LDK) acc = KN(1); NEXT(3);
    OP(LDR) acc = RG(1); NEXT(2);
    OP(STR) RG(1) = acc; NEXT(2);
    OP(LDG) acc = *(double *)rd_p(pc + 1); NEXT(3);
    OP(STG) *(double *)rd_p(pc + 1) = acc; NEXT(3);
    OP(MOVK) RG(1) = KN(2); NEXT(4);
    OP(MOVR) RG(1) = RG(2); NEXT(3);
    OP(JMP) JUMP(pc[1]); NEXT(0);
    OP(JF) if (!ks_t0_true(acc)) JUMP(pc[1]); else pc += 2; NEXT(0);
    OP(CALL) {
        acc = env->call(env->ctx, rd_p(pc + 3), frame + pc[1], (int)pc[2], c->file, pc[5] >> 12,
                        pc[5] & 0xfff);
        NEXT(6);
    }
    OP(FORK) {
        double cond = acc;
        RG(1) = RG(1) + KN(2);
        if (ks_t0_true(cond)) {
            BACKEDGE(pc[5]);
            JUMP(pc[4]);
            NEXT(0);
        }
        acc = 0.0;
        NEXT(6);
    }
    OP(FORR) {
        double cond = acc;
        RG(1) = RG(1) + RG(2);
        if (ks_t0_true(cond)) {
            BACKEDGE(pc[4]);
            JUMP(pc[3]);
            NEXT(0);
        }
        acc = 0.0;
        NEXT(5);
    }
    OP(RET) return acc;
    VM_END
#ifdef KS_T0_GOTO
    return acc; /* not reached */
#endif
}
