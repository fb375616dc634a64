/*
 * kc_session.c — the kjit command's pipeline (see kc_session.h).
 *
 * One top-level item goes:  parse → check → (print its AST) → define it,
 * or run it and print its value.  That is run_item(), below.
 */
#include "kc_session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "kc_emit.h"
#include "kc_ir.h"
#include "kc_runtime.h"
#include "kc_trace.h"
#include "ks_irgen.h"
#include "ks_t0.h"
#include "ks_t0_ir.h"
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
    /* Every source run so far, and a mark per definition: what decides each
     * definition's IR, for the code cache (kjit_def.source). */
    char *history;
    size_t history_len, history_cap;
    unsigned ndefs;
    int errors;         /* run-time and JIT errors (front-end ones are in diag) */
    int t0;             /* the mode runs T0 entries: lower items for the interpreter */
    volatile sig_atomic_t interrupted; /* Ctrl-C or --timeout during an item */
    ks_t0_env env;      /* how T0 code reaches the JIT */
    kc_trace *trace;    /* --trace */
    int repl;           /* the REPL has started: every error is shown from then on */
    int shown;          /* errors shown (before the REPL) */
    int stopped;        /* too many of them: the run stops */
};

/* What the JIT holds for a definition: its T0 form where the mode runs T0
 * (the interpreter runs it, and the upper tiers' IR is generated from it, so
 * the tree is freed once lowered); else the checked item, for ks_irgen. */
typedef struct kc_def {
    ks_item *item;      /* NULL once lowered */
    ks_t0_code *code;
    kjit_fn *self;      /* for counting back-edges */
} kc_def;

/* Whether one more error may be shown: a run of files and -e code stops at
 * the one after the KC_ERROR_LIMIT-th, as clang does (a file of garbage must
 * not print pages); the REPL shows every error. */
#define KC_ERROR_LIMIT 20
static int may_show(kc_session *s) {
    if (s->repl) return 1;
    if (s->stopped) return 0;
    if (s->shown < KC_ERROR_LIMIT) return ++s->shown, 1;
    fflush(stdout);
    fprintf(stderr, "kjit: error: too many errors (%d shown), stopping now\n", KC_ERROR_LIMIT);
    s->stopped = 1;
    return 0;
}

/* Diagnostics go to stderr, after anything the program printed so far. */
static void print_diag(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    if (!may_show(user)) return;
    fflush(stdout);
    ks_diag_print(stderr, src, pos, "error", msg);
}

/* Report an error found after the front end: a run-time or JIT error. */
static void item_error(kc_session *s, const ks_item *item, const char *msg) {
    s->errors++;
    print_diag(s, item->src, item->pos, msg);
}

/* The source a frame's position is in, and the position there (its byte
 * offset found from line and column); NULL if none of the session's. */
static const ks_source *find_pos(kc_session *s, const kjit_pos *p, ks_pos *out) {
    if (!p->file || !p->line) return NULL;
    const ks_source *best = NULL;
    for (kc_src_node *n = s->sources; n; n = n->next)
        if (strcmp(n->src.name, p->file) == 0 && n->src.first_line <= (int)p->line &&
            (!best || n->src.first_line > best->first_line))
            best = &n->src;
    if (!best) return NULL;
    size_t off = 0;
    for (int line = best->first_line; line < (int)p->line && off < best->len; off++)
        if (best->text[off] == '\n') line++;
    for (unsigned c = 1; c < p->col && off < best->len && best->text[off] != '\n'; c++) off++;
    *out = (ks_pos){(int)p->line, (int)p->col, off};
    return best;
}

static int same_frame(const kjit_frame *a, const kjit_frame *b) {
    return !a->omitted && (a->function == b->function ||
                           (a->function && b->function && strcmp(a->function, b->function) == 0)) &&
           a->pos.line == b->pos.line && a->pos.col == b->pos.col &&
           (a->pos.file == b->pos.file ||
            (a->pos.file && b->pos.file && strcmp(a->pos.file, b->pos.file) == 0));
}

/* The chain under a run-time error, innermost first: "in F at FILE:L:C"
 * per frame (FILE:L where only the line is known, nothing where nothing
 * is), "from ..." for the top-level code; a run of the same frame (deep
 * recursion) once, with its count. */
static void print_frames(const kjit_frame *f, int n) {
    for (int i = 0; i < n; i++) {
        if (f[i].function)
            fprintf(stderr, "  in %s", f[i].function);
        else
            fprintf(stderr, "  from");
        if (f[i].pos.line) {
            fprintf(stderr, "%s %s:%u", f[i].function ? " at" : "", f[i].pos.file, f[i].pos.line);
            if (f[i].pos.col) fprintf(stderr, ":%u", f[i].pos.col);
            fputc('\n', stderr);
        } else {
            fprintf(stderr, "%s\n", f[i].function ? "" : " top-level code");
        }
        int same = 0;
        while (i + 1 < n && same_frame(&f[i], &f[i + 1])) i++, same++;
        if (same) fprintf(stderr, "  ... the same %d more time%s\n", same, same > 1 ? "s" : "");
        if (f[i].omitted) fprintf(stderr, "  ... %u more frames\n", f[i].omitted);
    }
}

/* Report an item's run-time error at the failing call (the innermost
 * frame at a call with a known position), with the chain of frames that
 * led to it; an interrupt is the session's too (the file run stops, the
 * REPL drops the rest of the line). */
static void run_error(kc_session *s, ks_item *item, kjit_status st) {
    if (st == KJIT_EINTR) s->interrupted = 1;
    const kjit_frame *f;
    int n = kjit_error_frames(&f);
    /* A fault at a function's entry (the stack overflowed in its prologue)
     * leaves a frame with only a line, above the same function's call: it
     * says nothing the call does not. */
    while (n > 1 && !f[0].pos.col && f[0].function && f[1].function &&
           strcmp(f[0].function, f[1].function) == 0)
        f++, n--;
    ks_pos pos;
    const ks_source *src = NULL;
    for (int i = 0; i < n && !src; i++)
        if (f[i].pos.col) src = find_pos(s, &f[i].pos, &pos);
    if (!src) {
        item_error(s, item, kjit_errmsg());
    } else {
        s->errors++;
        print_diag(s, src, pos, kjit_errmsg());
    }
    if (s->stopped) return; /* not shown */
    if (n == 1 && !f[0].function) return; /* only the item itself: the header said it */
    print_frames(f, n);
}

void kc_session_interrupt(kc_session *s) {
    if (s && s->jit) kjit_interrupt(s->jit);
}

int kc_session_interrupted(kc_session *s) {
    int i = s->interrupted;
    s->interrupted = 0;
    return i;
}

static int generate(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    const kc_def *d = user;
    if (d->code) return ks_t0_irgen(d->code, mod, symbol, err, len);
    return ks_irgen_item_ex(d->item, mod, symbol, 1, err, len);
}

/* On-stack replacement entries come from the bytecode too. */
static int generate_osr(void *user, LLVMModuleRef mod, const char *symbol, int loop, char *err,
                        size_t len) {
    const kc_def *d = user;
    return ks_t0_irgen_osr(d->code, loop, mod, symbol, err, len);
}

static void release(void *user) {
    kc_def *d = user;
    ks_item_free(d->item);
    ks_t0_free(d->code);
    free(d);
}

/* ---- T0: the interpreter's way into the JIT ------------------------------- */

/* Back-edges are reported to the JIT in batches of this many. */
#define KC_BACKEDGE_BATCH 64

static void *t0_callee(void *ctx, const char *name, int nargs) {
    (void)nargs;
    return kjit_fn_get(((kc_session *)ctx)->jit, name);
}

static double t0_call(void *ctx, void *callee, const double *args, int nargs, const char *file,
                      unsigned line, unsigned col) {
    (void)ctx, (void)nargs;
    kjit_pos pos = {file, line, col};
    return kjit_call_at(callee, (const kjit_value *)args, &pos).d;
}

static double *t0_global(void *ctx, const char *name) {
    char sym[256];
    ks_irgen_global_symbol(name, sym, sizeof sym);
    return kjit_global(((kc_session *)ctx)->jit, sym, sizeof(double));
}

static int t0_backedge(void *ctx, void *activation, int loop, double *frame, double *result) {
    const kc_def *d = activation;
    /* A top-level item has no handle: NULL is the thread's current run. */
    return kjit_backedge(d ? d->self : NULL, loop, ((kc_session *)ctx)->env.backedge_interval,
                         (kjit_value *)frame, (kjit_value *)result);
}

static kjit_value t0_entry(void *user, const kjit_value *args) {
    const kc_def *d = user;
    return (kjit_value){.d = ks_t0_exec(d->code, (const double *)args, d->self ? (void *)d : NULL)};
}

/* The T0 form of item, or NULL (then it is compiled, as in the other modes). */
static ks_t0_code *lower(kc_session *s, const ks_item *item) {
    if (!s->t0) return NULL;
    char err[256];
    return ks_t0_lower(item, &s->env, err, sizeof err);
}

/* Run a top-level item (expression or global initialiser): at T0 where the
 * mode has it, else compiled. */
static kjit_status run_top(kc_session *s, ks_item *item, double *v) {
    kc_def d = {.item = item, .code = lower(s, item)};
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d()";
    def.gen = generate;
    def.t0 = d.code ? t0_entry : NULL;
    def.osr = d.code ? generate_osr : NULL;
    def.user = &d;
    kjit_value r = {0};
    kjit_status st = kjit_run_ex(s->jit, &def, &r);
    ks_t0_free(d.code);
    *v = r.d;
    return st;
}

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

static void history_add(kc_session *s, const char *p, size_t n) {
    if (s->history_len + n + 1 > s->history_cap) {
        size_t cap = s->history_cap ? s->history_cap : 4096;
        while (s->history_len + n + 1 > cap) cap *= 2;
        char *h = realloc(s->history, cap);
        if (!h) abort();
        s->history = h;
        s->history_cap = cap;
    }
    memcpy(s->history + s->history_len, p, n);
    s->history_len += n;
    s->history[s->history_len++] = 0;
}

static void define(kc_session *s, ks_item *item) {
    char sig[80];
    if (signature(item->proto->nparams, sig, sizeof sig) != 0) {
        item_error(s, item, "too many parameters (kjit supports at most 64)");
        ks_item_free(item);
        return;
    }
    /* What a later error message needs, before the tree may be freed. */
    const ks_source *src = item->src;
    ks_pos pos = item->pos;
    char *name = strdup(item->proto->name);
    kc_def *d = calloc(1, sizeof *d);
    if (!d || !name) abort();
    d->item = item;
    d->code = lower(s, item);
    if (d->code) {
        d->self = kjit_fn_get(s->jit, name);
        ks_item_free(item); /* the bytecode is all the tiers need */
        d->item = NULL;
    }
    kjit_def def;
    kjit_def_init(&def);
    def.sig = sig;
    def.gen = generate;
    def.t0 = d->code ? t0_entry : NULL;
    def.osr = d->code ? generate_osr : NULL;
    def.user = d;
    def.release = release;
    /* The same sources, up to this same definition: the same IR. */
    char mark[64];
    snprintf(mark, sizeof mark, "def %u", ++s->ndefs);
    history_add(s, mark, strlen(mark));
    def.source = s->history;
    def.source_len = s->history_len;
    kjit_status st = kjit_define_ex(s->jit, name, &def);
    free(name);
    if (st == KJIT_OK) return; /* the JIT owns d */
    s->errors++;
    print_diag(s, src, pos, kjit_errmsg());
    /* EGEN/ECOMPILE: defined, but its eager compile failed; the JIT owns d.
     * Any other status: refused, d is still ours. */
    if (st != KJIT_EGEN && st != KJIT_ECOMPILE) release(d);
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
    kjit_status st = kjit_global(s->jit, sym, sizeof(double)) ? run_top(s, item, &v) : KJIT_ENOMEM;
    if (st != KJIT_OK) run_error(s, item, st);
    ks_item_free(item);
}

static void run_expr(kc_session *s, ks_item *item) {
    double v;
    kjit_status st = run_top(s, item, &v);
    if (st == KJIT_OK) {
        if (!s->cfg.quiet) {
            char buf[KS_VALUE_BUFSIZE];
            puts(ks_value_format(v, buf));
        }
    } else {
        run_error(s, item, st);
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
    history_add(s, src->text ? src->text : "", src->text ? src->len : 0);
    n->src = *src;
    n->next = s->sources;
    s->sources = n;
    if (partial) s->repl = 1, s->stopped = 0;

    ks_parser p;
    ks_parse_init(&p, &n->src, &s->ops, &s->diag, partial);
    for (;;) {
        size_t start = p.tok.pos.off;
        ks_item *item = NULL;
        switch (ks_parse_item(&p, &item)) {
        case KS_PARSE_ITEM:
            run_item(s, item);
            /* Interrupted: the rest of this source is not run. */
            if (s->interrupted || s->stopped) return n->src.len;
            break;
        case KS_PARSE_ERROR:
            if (s->stopped) return n->src.len;
            break;
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
        if (kjit_llvm_load() != KJIT_OK) { /* kc_emit calls LLVM itself */
            fprintf(stderr, "kjit: error: %s\n", kjit_errmsg());
            goto fail;
        }
        s->emit = kc_emit_new(cfg->quiet);
        if (!s->emit) goto fail;
    } else if (!cfg->check && cfg->emit == KC_EMIT_NONE) {
        kjit_options o;
        kc_jit_options(cfg, &o);
        if (kjit_create(&o, &s->jit) != KJIT_OK) {
            fprintf(stderr, "kjit: error: cannot start the JIT: %s\n", kjit_errmsg());
            goto fail;
        }
        kc_jit_created();
        if (kc_runtime_register(s->jit) != KJIT_OK) {
            fprintf(stderr, "kjit: error: cannot start the JIT: %s\n", kjit_errmsg());
            goto fail;
        }
        if (cfg->trace && !(s->trace = kc_trace_start(s->jit, cfg->trace_path))) goto fail;
        s->t0 = cfg->mode == KJIT_MODE_TIERED || cfg->mode == KJIT_MODE_INTERP;
        /* Back-edges are reported in batches, smaller with a low threshold
         * (--hot=1: every back-edge, so OSR happens at the first one). */
        int64_t hot = cfg->hot > 0 ? cfg->hot : KJIT_DEFAULT_HOT;
        s->env = (ks_t0_env){.ctx = s,
                             .callee = t0_callee,
                             .call = t0_call,
                             .global = t0_global,
                             .backedge = t0_backedge,
                             .debug_info = 1,
                             .backedge_interval = hot < KC_BACKEDGE_BATCH ? (int)hot
                                                                          : KC_BACKEDGE_BATCH};
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

char *kc_read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *b = realloc(buf, cap *= 2);
        if (!b) free(buf);
        buf = b;
    }
    int err = ferror(f);
    if (f != stdin) fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int kc_session_run_file(kc_session *s, const char *path) {
    size_t len = 0;
    char *text = kc_read_file(path, &len);
    if (!text) {
        fflush(stdout);
        fprintf(stderr, "kjit: error: cannot read '%s': %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    ks_source src = {.first_line = 1, .text = text, .len = len,
                     .name = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path)};
    if (!src.name) abort();
    if (kc_is_binary(text, len)) { /* (files named on the command line are checked before) */
        fflush(stdout);
        fprintf(stderr, "kjit: error: %s: not Kaleidoscope: binary data\n", src.name);
        free(text);
        free((char *)src.name);
        return -1;
    }
    kc_session_run(s, &src, 0);
    return 0;
}

const ks_sema *kc_session_sema(const kc_session *s) { return s->sema; }

void kc_session_compile_time(kc_session *s, uint64_t *here_us, uint64_t *background_us) {
    *here_us = *background_us = 0;
    if (!s->jit) return;
    kjit_stats st;
    kjit_get_stats(s->jit, &st);
    *here_us = st.compile_us + st.toplevel_us;
    *background_us = st.t2_us;
}

int kc_session_failed(const kc_session *s) { return s->errors > 0 || s->diag.errors > 0; }

int kc_session_stopped(const kc_session *s) { return s->stopped; }

void kc_jit_created(void) {
    if (kjit_errmsg()[0]) fprintf(stderr, "kjit: warning: %s; running without it\n", kjit_errmsg());
}

void kc_alarm_after(double seconds, void (*handler)(int)) {
    struct sigaction sa = {.sa_handler = handler};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {(time_t)seconds,
                                        (suseconds_t)((seconds - (time_t)seconds) * 1e6)}};
    setitimer(ITIMER_REAL, &it, NULL);
}

void kc_jit_options(const kc_config *cfg, kjit_options *o) {
    kjit_options_init(o);
    o->mode = cfg->mode;
    o->opt_level = cfg->opt_level;
    o->partition = cfg->partition;
    if (cfg->hot > 0) o->hot_threshold = cfg->hot;
    o->t2_sync = cfg->tier_sync;
    o->perf_map = cfg->perf;
    if (cfg->t1_codegen >= 0) o->t1_codegen = cfg->t1_codegen;
    if (cfg->ahead >= 0) o->ahead = cfg->ahead;
    if (cfg->cache >= 0) o->cache = cfg->cache;
    o->cache_dir = cfg->cache_dir;
    o->t1_passes = cfg->t1_passes;
    o->t2_passes = cfg->t2_passes;
}

/* --stats on a terminal: a short table (docs/STATS.md has every counter). */
static void print_stats_table(kjit *jit) {
    kjit_stats t;
    kjit_get_stats(jit, &t);
    fprintf(stderr,
            "kjit statistics\n"
            "  functions    %llu defined by the program (%llu redefinitions), %llu built-in "
            "host functions\n"
            "  T0           %llu calls interpreted, %llu top-level items run\n"
            "  compiled     %llu T1, %llu T2 bodies, %llu OSR entries (entered %llu times), "
            "%llu failed\n"
            "  compile time %.1f ms on the program's thread, %.1f ms on %llu background "
            "thread(s)\n"
            "  ahead        %llu bodies compiled before their first call, %llu failed\n"
            "  waited       %.1f ms by the program's threads, in first calls\n"
            "  cache        %llu objects linked from it, %llu compiled, %llu stored, %llu "
            "rejected; %llu started at T2\n"
            "  LLVM         %s\n"
            "  errors       %llu run-time\n",
            (unsigned long long)(t.defined - t.hosts), (unsigned long long)t.redefined,
            (unsigned long long)t.hosts, (unsigned long long)t.run_t0,
            (unsigned long long)t.toplevel_run, (unsigned long long)t.compiled_t1,
            (unsigned long long)t.compiled_t2, (unsigned long long)t.osr_compiled,
            (unsigned long long)t.osr_entries,
            (unsigned long long)(t.compile_errors + t.t2_failed),
            (t.compile_us + t.toplevel_us) / 1e3, (t.t2_us + t.ahead_us) / 1e3,
            (unsigned long long)(t.compile_threads + (t.compiled_ahead || t.ahead_failed)),
            (unsigned long long)t.compiled_ahead, (unsigned long long)t.ahead_failed,
            t.wait_us / 1e3, (unsigned long long)t.cache_hits,
            (unsigned long long)t.cache_misses, (unsigned long long)t.cache_stored,
            (unsigned long long)t.cache_rejected, (unsigned long long)t.cache_hot,
            t.llvm_setup_us ? "loaded"
            : t.own_linked  ? "never loaded (the code cache's objects linked by kjit)"
                            : "never loaded (nothing was compiled)",
            (unsigned long long)t.runtime_errors);
}

void kc_cache_warn(kjit *jit) {
    const char *w = kjit_cache_warning(jit);
    if (w) fprintf(stderr, "kjit: warning: %s; running without the cache\n", w);
}

void kc_stats_print(kjit *jit, int form) {
    kjit_drain(jit);
    if (form == KC_STATS_TABLE) {
        print_stats_table(jit);
    } else {
        char buf[1024];
        kjit_stats_json(jit, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
}

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
    if (s->jit) kc_cache_warn(s->jit);
    if (s->jit && s->cfg.stats) {
        /* Let queued T2 compiles finish, so the counts are complete. */
        kc_stats_print(s->jit, s->cfg.stats);
    }
    int status = kc_session_failed(s) ? 1 : 0;
    kjit_destroy(s->jit);
    if (kc_trace_end(s->trace)) status = 1; /* after the last event */
    ks_sema_free(s->sema);
    free(s->history);
    for (kc_src_node *n = s->sources, *next; n; n = next) {
        next = n->next;
        free((char *)n->src.name);
        free((char *)n->src.text);
        free(n);
    }
    free(s);
    return status;
}
