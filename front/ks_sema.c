/*
 * ks_sema.c — semantic check of one top-level item against the session.
 *
 * The session state is three tables: functions (name -> arity, and whether a
 * def/extern declared it or only calls did), global variables, and the
 * operator table shared with the parser.  Checking an item works on scratch
 * state (a scope of locals, and "pending" arities learnt from this item) and
 * only copies the pending facts into the session when the item has no error:
 * a rejected item leaves no trace.
 *
 * Recursion over the tree is safe because the parser bounds tree height.
 */
#include "ks_sema.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Identifiers quoted in messages are cut to this many bytes. */
#define KS_SEMA_QUOTE_MAX 40
#define Q "'%.*s%s'"
#define QARG(s) qlen(s), (s), (strlen(s) > KS_SEMA_QUOTE_MAX ? "..." : "")

static int qlen(const char *s) {
    size_t n = strlen(s);
    return (int)(n > KS_SEMA_QUOTE_MAX ? KS_SEMA_QUOTE_MAX : n);
}

static const char *plural(int n) { return n == 1 ? "" : "s"; }

/* ---- a small string map (open addressing) ----------------------------- */

typedef struct ks_ment {
    const char *key; /* NULL: empty */
    int val, aux;
} ks_ment;

typedef struct ks_map {
    ks_ment *e;
    size_t cap, n;
    int owns; /* keys are strdup'd copies, freed with the map */
} ks_map;

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "kjit: out of memory\n");
        abort();
    }
    return p;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static ks_ment *map_find(const ks_map *m, const char *key) {
    if (!m->cap)
        return NULL;
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->e[i].key) {
        if (strcmp(m->e[i].key, key) == 0)
            return &m->e[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

/* The entry for key, created (val -1, aux 0) if absent. */
static ks_ment *map_put(ks_map *m, const char *key) {
    ks_ment *f = map_find(m, key);
    if (f)
        return f;
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        ks_ment *ne = xcalloc(ncap, sizeof *ne);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].key)
                continue;
            size_t j = hash_str(m->e[i].key) & (ncap - 1);
            while (ne[j].key)
                j = (j + 1) & (ncap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->e[i].key)
        i = (i + 1) & (m->cap - 1);
    if (m->owns) {
        char *k = strdup(key);
        if (!k)
            abort();
        key = k;
    }
    m->e[i] = (ks_ment){key, -1, 0};
    m->n++;
    return &m->e[i];
}

static void map_free(ks_map *m) {
    if (m->owns)
        for (size_t i = 0; i < m->cap; i++)
            free((char *)m->e[i].key);
    free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}

/* Empty a scratch map; a big one is released so clearing stays cheap. */
static void map_clear(ks_map *m) {
    if (m->cap > 256) {
        map_free(m);
    } else if (m->cap) {
        memset(m->e, 0, m->cap * sizeof *m->e);
        m->n = 0;
    }
}

/* ---- the session ------------------------------------------------------ */

typedef struct ks_scope_ent {
    const char *name;
    int slot;
    int prev; /* index of the binding it shadows, or -1 */
} ks_scope_ent;

struct ks_sema {
    ks_optab *ops;
    ks_diag *diag;
    ks_map funcs;   /* val: arity; aux: 1 if declared by def/extern */
    ks_map globals;
    /* Scratch state of the item being checked. */
    const ks_source *src;
    int errors;
    ks_map pending; /* arities learnt from this item, same layout as funcs */
    ks_map scope;   /* name -> index of its innermost binding in stack, or -1 */
    ks_scope_ent *stack;
    int nstack, capstack;
    int nslots;
};

ks_sema *ks_sema_new(ks_optab *ops, ks_diag *diag) {
    ks_sema *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ops = ops;
    s->diag = diag;
    s->funcs.owns = 1;
    s->globals.owns = 1;
    return s;
}

void ks_sema_free(ks_sema *s) {
    if (!s)
        return;
    map_free(&s->funcs);
    map_free(&s->globals);
    map_free(&s->pending);
    map_free(&s->scope);
    free(s->stack);
    free(s);
}

int ks_sema_arity(const ks_sema *s, const char *name) {
    const ks_ment *f = map_find(&s->funcs, name);
    return f ? f->val : -1;
}

int ks_sema_is_global(const ks_sema *s, const char *name) {
    return map_find(&s->globals, name) != NULL;
}

__attribute__((format(printf, 3, 4))) static void err(ks_sema *s, ks_pos pos, const char *fmt,
                                                      ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ks_diag_error(s->diag, s->src, pos, "%s", msg);
    s->errors++;
}

/* ---- scopes ----------------------------------------------------------- */

/* Bind `name` to a new slot; it shadows any outer binding until popped. */
static int bind(ks_sema *s, const char *name) {
    if (s->nstack == s->capstack) {
        s->capstack = s->capstack ? s->capstack * 2 : 32;
        s->stack = realloc(s->stack, (size_t)s->capstack * sizeof *s->stack);
        if (!s->stack)
            abort();
    }
    ks_ment *m = map_put(&s->scope, name);
    s->stack[s->nstack] = (ks_scope_ent){name, s->nslots++, m->val};
    m->val = s->nstack++;
    return s->stack[m->val].slot;
}

/* Drop the bindings made since the stack had `mark` entries. */
static void unbind_to(ks_sema *s, int mark) {
    while (s->nstack > mark) {
        ks_scope_ent *e = &s->stack[--s->nstack];
        map_find(&s->scope, e->name)->val = e->prev;
    }
}

/* The slot of a variable: a local, -1 for a global; -2 (after reporting)
 * for an unknown name. */
static int resolve(ks_sema *s, const char *name, ks_pos pos) {
    const ks_ment *m = map_find(&s->scope, name);
    if (m && m->val >= 0)
        return s->stack[m->val].slot;
    if (ks_sema_is_global(s, name))
        return -1;
    err(s, pos, "unknown variable " Q, QARG(name));
    return -2;
}

/* ---- expressions ------------------------------------------------------ */

/* The arity this item sees for `name`: this item's own facts first. */
static const ks_ment *known(const ks_sema *s, const char *name) {
    const ks_ment *m = map_find(&s->pending, name);
    return m ? m : map_find(&s->funcs, name);
}

static void check_expr(ks_sema *s, ks_expr *e) {
    switch (e->kind) {
    case KS_EXPR_NUM:
        break;
    case KS_EXPR_VAR:
        e->u.var.slot = resolve(s, e->u.var.name, e->pos);
        break;
    case KS_EXPR_UNARY:
        check_expr(s, e->u.unary.operand);
        break;
    case KS_EXPR_BINARY:
        check_expr(s, e->u.binary.lhs);
        check_expr(s, e->u.binary.rhs);
        break;
    case KS_EXPR_ASSIGN:
        check_expr(s, e->u.assign.value);
        e->u.assign.slot = resolve(s, e->u.assign.name, e->pos);
        break;
    case KS_EXPR_CALL: {
        for (int i = 0; i < e->u.call.nargs; i++)
            check_expr(s, e->u.call.args[i]);
        const char *f = e->u.call.callee;
        int n = e->u.call.nargs;
        const ks_ment *m = known(s, f);
        if (!m) {
            /* Forward reference: this call fixes the arity, if committed. */
            map_put(&s->pending, f)->val = n;
        } else if (m->val != n) {
            err(s, e->pos, "function " Q " expects %d argument%s, got %d", QARG(f), m->val,
                plural(m->val), n);
        }
        break;
    }
    case KS_EXPR_IF:
        check_expr(s, e->u.if_.cond);
        check_expr(s, e->u.if_.then_e);
        check_expr(s, e->u.if_.else_e);
        break;
    case KS_EXPR_FOR: {
        int mark = s->nstack;
        check_expr(s, e->u.for_.start); /* the loop variable is not yet visible */
        e->u.for_.slot = bind(s, e->u.for_.var);
        check_expr(s, e->u.for_.end);
        if (e->u.for_.step)
            check_expr(s, e->u.for_.step);
        check_expr(s, e->u.for_.body);
        unbind_to(s, mark);
        break;
    }
    case KS_EXPR_VARIN: {
        int mark = s->nstack;
        for (int i = 0; i < e->u.varin.nvars; i++) {
            ks_binding *b = &e->u.varin.vars[i];
            if (b->init)
                check_expr(s, b->init); /* sees earlier bindings, not its own */
            b->slot = bind(s, b->name);
        }
        check_expr(s, e->u.varin.body);
        unbind_to(s, mark);
        break;
    }
    }
}

/* ---- items ------------------------------------------------------------ */

/* Checks of a prototype (def or extern) before its body. */
static void check_proto(ks_sema *s, const ks_proto *p, int is_def) {
    if (p->kind == KS_PROTO_BINARY && p->op > 0 && p->op < 128 && s->ops->builtin[p->op])
        err(s, p->pos, "cannot redefine built-in operator '%c'", p->op);
    /* Parameters take slots 0..n-1; a name already bound is a duplicate
     * (found through the scope map: linear even for huge lists). */
    for (int i = 0; i < p->nparams; i++) {
        const ks_ment *m = map_find(&s->scope, p->params[i]);
        if (m && m->val >= 0)
            err(s, p->param_pos[i], "duplicate parameter " Q, QARG(p->params[i]));
        bind(s, p->params[i]);
    }
    const ks_ment *m = map_find(&s->funcs, p->name);
    if (m && m->val != p->nparams) {
        if (m->aux)
            err(s, p->pos, Q " redefined with %d parameter%s (it had %d)", QARG(p->name),
                p->nparams, plural(p->nparams), m->val);
        else
            err(s, p->pos, Q " %s with %d parameter%s, but an earlier call passes %d", QARG(p->name),
                is_def ? "defined" : "declared", p->nparams, plural(p->nparams), m->val);
    }
    /* The body (recursion) sees the new arity. */
    ks_ment *self = map_put(&s->pending, p->name);
    self->val = p->nparams;
    self->aux = 1;
}

static void commit(ks_sema *s, const ks_item *item) {
    for (size_t i = 0; i < s->pending.cap; i++) {
        const ks_ment *pm = &s->pending.e[i];
        if (!pm->key)
            continue;
        ks_ment *m = map_put(&s->funcs, pm->key);
        m->val = pm->val;
        m->aux |= pm->aux;
    }
    if (item->kind == KS_ITEM_DEF) {
        const ks_proto *p = item->proto;
        if (p->kind == KS_PROTO_BINARY)
            s->ops->binary_prec[p->op] = (unsigned char)p->prec;
        else if (p->kind == KS_PROTO_UNARY)
            s->ops->unary_defined[p->op] = 1;
    }
    if (item->kind == KS_ITEM_GLOBAL)
        map_put(&s->globals, item->global);
}

int ks_sema_check(ks_sema *s, ks_item *item) {
    s->src = item->src;
    s->errors = 0;
    s->nstack = 0;
    s->nslots = 0;
    map_clear(&s->pending);
    map_clear(&s->scope);

    switch (item->kind) {
    case KS_ITEM_DEF:
    case KS_ITEM_EXTERN:
        check_proto(s, item->proto, item->kind == KS_ITEM_DEF);
        if (item->kind == KS_ITEM_DEF)
            check_expr(s, item->body);
        break;
    case KS_ITEM_EXPR:
    case KS_ITEM_GLOBAL:
        check_expr(s, item->body);
        break;
    }
    item->nlocals = s->nslots;
    if (s->errors)
        return -1;
    commit(s, item);
    return 0;
}

void ks_sema_each_name(const ks_sema *s, void (*fn)(void *user, const char *name), void *user) {
    for (size_t i = 0; i < s->funcs.cap; i++)
        if (s->funcs.e[i].key) fn(user, s->funcs.e[i].key);
    for (size_t i = 0; i < s->globals.cap; i++)
        if (s->globals.e[i].key) fn(user, s->globals.e[i].key);
}
