/*
 * first_call.c — latency of the first call of a freshly defined function,
 * through libkjit's public API, in tiered mode (T0: no compile) and in lazy
 * mode (compiled at the first call), in one run.
 *
 *   build/bench_first_call [N]        (default 200 functions)
 *
 * Each function is a generated 10-operation Kaleidoscope body of two
 * parameters, parsed and checked beforehand (parsing is not timed).  Timed:
 * from kjit_define_ex to the return of the first call through the
 * function's stable address.  Prints the median and the 90th percentile in
 * µs for each mode and checks that both modes computed the same values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kjit.h"
#include "ks_irgen.h"
#include "ks_parse.h"
#include "ks_sema.h"
#include "ks_t0.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct def {
    ks_item *item;
    ks_t0_code *code;
} def;

static kjit *g_jit;
static void *callee(void *ctx, const char *name, int n) {
    (void)ctx, (void)n;
    return kjit_fn_get(g_jit, name);
}
static double call(void *ctx, void *f, const double *a, int n, const char *file, unsigned line,
                   unsigned col) {
    (void)ctx, (void)n, (void)file, (void)line, (void)col;
    return kjit_call(f, (const kjit_value *)a).d;
}
static kjit_value t0(void *user, const kjit_value *args) {
    return (kjit_value){.d = ks_t0_exec(((def *)user)->code, (const double *)args, NULL)};
}
static int gen(void *user, LLVMModuleRef m, const char *sym, char *err, size_t len) {
    return ks_irgen_item(((def *)user)->item, m, sym, err, len);
}

static void diag(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    (void)user, (void)src, (void)pos;
    fprintf(stderr, "first_call: %s\n", msg);
    exit(1);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (n < 1) n = 1;
    /* The program: f0 .. f{n-1}, each 10 operations on x, y and constants. */
    size_t cap = (size_t)n * 160 + 16, len = 0;
    char *text = malloc(cap);
    srand(1);
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(text + len, cap - len, "def f%d(x y) x", i);
        for (int k = 0; k < 10; k++)
            len += (size_t)snprintf(text + len, cap - len, " %c %s", "+-*"[rand() % 3],
                                    rand() % 2 ? "y" : "1.5");
        len += (size_t)snprintf(text + len, cap - len, ";\n");
    }
    ks_source src = {.name = "gen", .text = text, .len = len};
    ks_optab ops;
    ks_optab_init(&ops);
    ks_diag d = {.emit = diag};
    ks_sema *sema = ks_sema_new(&ops, &d);
    ks_parser p;
    ks_parse_init(&p, &src, &ops, &d, 0);
    def *defs = calloc((size_t)n, sizeof *defs);
    for (int i = 0; i < n; i++) {
        if (ks_parse_item(&p, &defs[i].item) != KS_PARSE_ITEM || ks_sema_check(sema, defs[i].item))
            return 1;
    }
    double *res[2], *lat = malloc(sizeof(double) * (size_t)n);
    const char *names[2] = {"tiered (T0)", "lazy (compiled at the first call)"};
    for (int mode = 0; mode < 2; mode++) {
        kjit_options o;
        kjit_options_init(&o);
        o.mode = mode == 0 ? KJIT_MODE_TIERED : KJIT_MODE_LAZY;
        o.hot_threshold = 1 << 30;
        if (kjit_create(&o, &g_jit) != KJIT_OK) return 1;
        ks_t0_env env = {.callee = callee, .call = call, .backedge_interval = 64};
        res[mode] = malloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++) {
            char name[32], err[128];
            snprintf(name, sizeof name, "f%d", i);
            double t = now_us();
            if (mode == 0) defs[i].code = ks_t0_lower(defs[i].item, &env, err, sizeof err);
            kjit_def kd;
            kjit_def_init(&kd);
            kd.sig = "d(dd)";
            kd.gen = gen;
            kd.t0 = mode == 0 ? t0 : NULL;
            kd.user = &defs[i];
            if (kjit_define_ex(g_jit, name, &kd) != KJIT_OK) return 1;
            double (*f)(double, double) = (double (*)(double, double))kjit_address(g_jit, name);
            res[mode][i] = f(2, 3);
            lat[i] = now_us() - t;
        }
        qsort(lat, (size_t)n, sizeof *lat, cmp);
        printf("%-36s median %8.1f us   p90 %8.1f us   (%d functions)\n", names[mode],
               lat[n / 2], lat[n * 9 / 10], n);
        kjit_destroy(g_jit);
        for (int i = 0; i < n; i++) {
            ks_t0_free(defs[i].code);
            defs[i].code = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        if (memcmp(&res[0][i], &res[1][i], sizeof(double)) != 0) {
            fprintf(stderr, "first_call: f%d: T0 gives %.17g, compiled %.17g\n", i, res[0][i],
                    res[1][i]);
            return 1;
        }
    printf("values agree in both modes\n");
    return 0;
}
