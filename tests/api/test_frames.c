/*
 * test_frames.c — kjit_error_frames: the chain of frames of a run-time
 * error inside kjit_run, innermost first.
 *   - T0 activations, with the positions their entries gave kjit_call_at,
 *     and the top-level run's own frame (function NULL);
 *   - compiled code without debug info: frames named by their symbols,
 *     without positions;
 *   - compiled code calling T0 code: the walk crosses the trampoline;
 *   - a run that succeeds leaves no frames.
 */
#include "api_test.h"

static kjit *jit;

/* T0 entries: each calls the function named by user at a fixed position. */
typedef struct t0_call {
    const char *callee;
    kjit_pos pos;
} t0_call;

static kjit_value t0_entry(void *user, const kjit_value *args) {
    (void)args;
    const t0_call *c = user;
    kjit_value a[1] = {{.d = 1}};
    return kjit_call_at(kjit_fn_get(jit, c->callee), a, &c->pos);
}

static void define_t0(const char *name, t0_call *c) {
    kjit_def d;
    kjit_def_init(&d);
    d.sig = "d(d)";
    d.t0 = t0_entry;
    d.user = c;
    CHECK(kjit_define_ex(jit, name, &d) == KJIT_OK);
}

static int same(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static void make(kjit_mode mode) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.opt_level = 0; /* calls stay calls, not tail calls */
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
}

/* Run a compiled thunk calling top->callee, which must fail: its frames. */
static int failed_run(t_fn *top, const kjit_frame **f) {
    double r;
    CHECK(kjit_run(jit, t_generate, top, &r) != KJIT_OK);
    return kjit_error_frames(f);
}

static void t0_chain(void) {
    make(KJIT_MODE_INTERP);
    static t0_call a = {"b", {"a.src", 3, 7}}, b = {"nothing", {"b.src", 5, 2}},
                   top = {"a", {"top.src", 1, 9}};
    define_t0("a", &a);
    define_t0("b", &b);
    kjit_def d;
    kjit_def_init(&d);
    d.sig = "d()";
    d.t0 = t0_entry;
    d.user = &top;
    kjit_value r;
    CHECK(kjit_run_ex(jit, &d, &r) != KJIT_OK);
    CHECK(strstr(kjit_errmsg(), "'nothing'") != NULL);
    const kjit_frame *f;
    int n = kjit_error_frames(&f);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(same(f[0].function, "b") && same(f[0].pos.file, "b.src") && f[0].pos.line == 5 &&
              f[0].pos.col == 2);
        CHECK(same(f[1].function, "a") && same(f[1].pos.file, "a.src") && f[1].pos.line == 3 &&
              f[1].pos.col == 7);
        CHECK(f[2].function == NULL && same(f[2].pos.file, "top.src") && f[2].pos.line == 1);
        CHECK(!f[0].omitted && !f[1].omitted && !f[2].omitted);
    }
    /* Defined now: the same run succeeds and leaves no frames. */
    static t_fn k = {.types = "d", .k = 2};
    CHECK(kjit_define(jit, "nothing", "d(d)", t_generate, &k, NULL) == KJIT_OK);
    CHECK(kjit_run_ex(jit, &d, &r) == KJIT_OK && r.d == 3);
    CHECK(kjit_error_frames(&f) == 0);
    kjit_destroy(jit);
}

/* Compiled code whose generator emits no debug info: named, no position. */
static void compiled_chain(void) {
    make(KJIT_MODE_LAZY);
    static t_fn c = {.types = "", .k = 1, .callee = "undefined_here"};
    static t_fn top = {.types = "", .k = 1, .callee = "c"};
    CHECK(kjit_define(jit, "c", "d()", t_generate, &c, NULL) == KJIT_OK);
    const kjit_frame *f;
    int n = failed_run(&top, &f);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(same(f[0].function, "c") && f[0].pos.line == 0 && f[0].pos.file == NULL);
        CHECK(f[1].function == NULL);
    }
    kjit_destroy(jit);
}

/* Compiled code calling a T0 function (through the stub, the lazy entry
 * and the re-entry trampoline) that fails: the walk goes through the
 * trampoline to the compiled caller. */
static void compiled_to_t0(void) {
    make(KJIT_MODE_TIERED);
    static t0_call a = {"nothing", {"a.src", 4, 2}};
    kjit_def d;
    kjit_def_init(&d);
    d.sig = "d()";
    d.t0 = t0_entry;
    d.user = &a;
    CHECK(kjit_define_ex(jit, "a", &d) == KJIT_OK);
    static t_fn top = {.types = "", .k = 1, .callee = "a"}; /* compiled: no T0 entry */
    const kjit_frame *f;
    int n = failed_run(&top, &f);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(same(f[0].function, "a") && same(f[0].pos.file, "a.src") && f[0].pos.line == 4);
        CHECK(f[1].function == NULL); /* the compiled thunk */
    }
    kjit_destroy(jit);
}

int main(void) {
    t0_chain();
    compiled_chain();
    compiled_to_t0();
    return t_done("test_frames");
}
