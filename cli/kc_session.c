/*
 * kc_session.c — the kjit command's pipeline (see kc_session.h).
 *
 * One top-level item goes:  parse → check → (print its AST) → define it,
 * or run it and print its value.  That is run_item(), below.
 */
#include "kc_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_emit.h"
#include "kc_runtime.h"
#include "ks_irgen.h"
#include "ks_value.h"

typedef struct kc_src_node {
    struct kc_src_node *next;
    ks_source src;
} kc_src_node;

struct kc_session {
    kc_config cfg;
    ks_optab ops;
    ks_diag diag;
    ks_sema *sema;
    kjit *jit;          /* NULL with --check and --emit */
    kc_emit *emit;      /* --emit=llvm */
    kc_src_node *sources;
    int errors;         /* run-time and JIT errors (front-end ones are in diag) */
};

/* Diagnostics go to stderr, after anything the program printed so far. */
static void print_diag(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    (void)user;
    fflush(stdout);
    ks_diag_print(stderr, src, pos, "error", msg);
}

/* Report an error found after the front end: a run-time or JIT error. */
static void item_error(kc_session *s, const ks_item *item, const char *msg) {
    s->errors++;
    print_diag(s, item->src, item->pos, msg);
}

static int generate(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    return ks_irgen_item(user, mod, symbol, err, len);
}

static void release(void *user) { ks_item_free(user); }

/* "d(ddd)" for a Kaleidoscope function of n parameters. */
static int signature(int n, char *buf, size_t len) {
    if ((size_t)n + 4 > len) return -1;
    buf[0] = 'd';
    buf[1] = '(';
    memset(buf + 2, 'd', (size_t)n);
    buf[n + 2] = ')';
    buf[n + 3] = 0;
    return 0;
}

static void define(kc_session *s, ks_item *item) {
    char sig[80];
    if (signature(item->proto->nparams, sig, sizeof sig) != 0) {
        item_error(s, item, "too many parameters (kjit supports at most 64)");
        ks_item_free(item);
        return;
    }
    kjit_status st = kjit_define(s->jit, item->proto->name, sig, generate, item, release);
    if (st == KJIT_OK) return; /* the JIT owns the item */
    item_error(s, item, kjit_errmsg());
    /* EGEN/ECOMPILE: defined, but its eager compile failed; the JIT owns the
     * item.  Any other status: refused, the item is still ours. */
    if (st != KJIT_EGEN && st != KJIT_ECOMPILE) ks_item_free(item);
}

/* `extern f(a b)`: f may be a host function (sema noted its arity). */
static void declare_extern(kc_session *s, ks_item *item) {
    char sig[80];
    if (signature(item->proto->nparams, sig, sizeof sig) != 0 ||
        kjit_declare_host(s->jit, item->proto->name, sig) != KJIT_OK)
        item_error(s, item, kjit_errmsg()[0] ? kjit_errmsg() : "too many parameters");
    ks_item_free(item);
}

/* `var x = e;` at top level: x lives in the JIT for the whole session; the
 * initialiser runs like a top-level expression whose value is not printed. */
static void define_global(kc_session *s, ks_item *item) {
    char sym[256];
    double v;
    ks_irgen_global_symbol(item->global, sym, sizeof sym);
    if (!kjit_global(s->jit, sym, sizeof(double)) ||
        kjit_run(s->jit, generate, item, &v) != KJIT_OK)
        item_error(s, item, kjit_errmsg());
    ks_item_free(item);
}

static void run_expr(kc_session *s, ks_item *item) {
    double v;
    if (kjit_run(s->jit, generate, item, &v) == KJIT_OK) {
        if (!s->cfg.quiet) {
            char buf[KS_VALUE_BUFSIZE];
            puts(ks_value_format(v, buf));
        }
    } else {
        item_error(s, item, kjit_errmsg());
    }
    ks_item_free(item);
}

static void emit_item(kc_session *s, ks_item *item) {
    char err[512];
    if (kc_emit_item(s->emit, item, err, sizeof err) != 0) item_error(s, item, err);
    ks_item_free(item);
}

/* The pipeline of one parsed item. */
static void run_item(kc_session *s, ks_item *item) {
    if (ks_sema_check(s->sema, item) != 0) {
        ks_item_free(item);
        return;
    }
    if (s->cfg.emit == KC_EMIT_AST) ks_ast_print(stdout, item);
    if (s->cfg.emit == KC_EMIT_LLVM) return emit_item(s, item);
    if (!s->jit) return ks_item_free(item); /* --check, --emit=ast */
    switch (item->kind) {
    case KS_ITEM_DEF: return define(s, item);
    case KS_ITEM_EXPR: return run_expr(s, item);
    case KS_ITEM_EXTERN: return declare_extern(s, item);
    case KS_ITEM_GLOBAL: return define_global(s, item);
    }
}

size_t kc_session_run(kc_session *s, ks_source *src, int partial) {
    kc_src_node *n = malloc(sizeof *n);
    if (!n) abort();
    n->src = *src;
    n->next = s->sources;
    s->sources = n;

    ks_parser p;
    ks_parse_init(&p, &n->src, &s->ops, &s->diag, partial);
    for (;;) {
        size_t start = p.tok.pos.off;
        ks_item *item = NULL;
        switch (ks_parse_item(&p, &item)) {
        case KS_PARSE_ITEM: run_item(s, item); break;
        case KS_PARSE_ERROR: break;
        case KS_PARSE_EOF: return n->src.len;
        case KS_PARSE_INCOMPLETE: return start;
        }
    }
}

kc_session *kc_session_new(const kc_config *cfg) {
    kc_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    s->diag.emit = print_diag;
    s->diag.user = s;
    ks_optab_init(&s->ops);
    s->sema = ks_sema_new(&s->ops, &s->diag);
    if (!s->sema) goto fail;
    if (cfg->emit == KC_EMIT_LLVM) {
        s->emit = kc_emit_new(cfg->quiet);
        if (!s->emit) goto fail;
    } else if (!cfg->check && cfg->emit == KC_EMIT_NONE) {
        kjit_options o;
        kjit_options_init(&o);
        o.mode = cfg->mode;
        o.opt_level = cfg->opt_level;
        o.partition = cfg->partition;
        if (cfg->hot > 0) o.hot_threshold = cfg->hot;
        o.t2_sync = cfg->tier_sync;
        if (kjit_create(&o, &s->jit) != KJIT_OK || kc_runtime_register(s->jit) != KJIT_OK) {
            fprintf(stderr, "kjit: error: cannot start the JIT: %s\n", kjit_errmsg());
            goto fail;
        }
    }
    return s;
fail:
    kc_session_end(s);
    return NULL;
}

void kc_session_optimize(kc_session *s, const char *name) {
    if (!s->jit || kjit_optimize(s->jit, name) != KJIT_OK)
        fprintf(stderr, "kjit: cannot optimize '%s': %s\n", name,
                s->jit ? kjit_errmsg() : "no JIT in this mode");
    else
        printf("%s: queued for T2\n", name);
    fflush(stdout);
}

void kc_session_tier(kc_session *s, const char *name) {
    kjit_fn_info info;
    if (!s->jit || kjit_fn_info_get(s->jit, name, &info) != KJIT_OK) {
        fprintf(stderr, "kjit: no function '%s'\n", name);
        return;
    }
    printf("%s: %s, count %lld, %llu definition(s)\n", name, kjit_fn_state_name(info.state),
           (long long)info.count, (unsigned long long)info.version);
    fflush(stdout);
}

int kc_session_failed(const kc_session *s) { return s->errors > 0 || s->diag.errors > 0; }

int kc_session_end(kc_session *s) {
    if (!s) return 1;
    fflush(stdout);
    if (s->emit) {
        char err[512];
        if (kc_emit_finish(s->emit, stdout, err, sizeof err) != 0) {
            fprintf(stderr, "kjit: error: %s\n", err);
            s->errors++;
        }
    }
    /* Output that could not be written (a full disk, /dev/full) is an
     * error too: the status must not claim the values were printed. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kjit: error: cannot write standard output\n");
        s->errors++;
    }
    if (s->jit && s->cfg.stats) {
        /* Let queued T2 compiles finish, so the counts are complete. */
        kjit_drain(s->jit);
        char buf[1024];
        kjit_stats_json(s->jit, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
    int status = kc_session_failed(s) ? 1 : 0;
    kjit_destroy(s->jit);
    ks_sema_free(s->sema);
    for (kc_src_node *n = s->sources, *next; n; n = next) {
        next = n->next;
        free((char *)n->src.name);
        free((char *)n->src.text);
        free(n);
    }
    free(s);
    return status;
}
