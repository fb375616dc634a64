/*
 * test_module.c — whole IR modules through the public API
 * (kjit_add_module*, kjit_run_constructors): stubs as function pointers,
 * globals initialised once, internal names kept apart, constructors in
 * priority order, weak and strong definitions, compiles under threads, and
 * errors.  In every mode.
 */
#include <pthread.h>

#include <llvm-c/IRReader.h>

#include "api_test.h"

/* Module A: a counter, a function that bumps it (atomically: the test calls
 * it from 4 threads at once), one that returns its own
 * address, a table holding that address, an internal helper, and two
 * constructors (priority 200 runs after 100 although listed first). */
static const char *mod_a =
    "@counter = global i64 5\n"
    "@order = global i64 0\n"
    "@table = global [1 x ptr] [ptr @self]\n"
    "define i64 @bump() {\n"
    "  %v = atomicrmw add ptr @counter, i64 1 seq_cst\n"
    "  %w = add i64 %v, 1\n"
    "  %h = call i64 @helper(i64 %w)\n"
    "  ret i64 %h\n"
    "}\n"
    "define internal i64 @helper(i64 %x) {\n"
    "  %y = mul i64 %x, 10\n"
    "  ret i64 %y\n"
    "}\n"
    "define ptr @self() {\n"
    "  ret ptr @self\n"
    "}\n"
    "define void @ctor_late() {\n"
    "  %o = load i64, ptr @order\n"
    "  %m = mul i64 %o, 10\n"
    "  %n = add i64 %m, 2\n"
    "  store i64 %n, ptr @order\n"
    "  ret void\n"
    "}\n"
    "define void @ctor_early() {\n"
    "  %o = load i64, ptr @order\n"
    "  %m = mul i64 %o, 10\n"
    "  %n = add i64 %m, 1\n"
    "  store i64 %n, ptr @order\n"
    "  ret void\n"
    "}\n"
    "@llvm.global_ctors = appending global [2 x { i32, ptr, ptr }] [\n"
    "  { i32, ptr, ptr } { i32 200, ptr @ctor_late, ptr null },\n"
    "  { i32, ptr, ptr } { i32 100, ptr @ctor_early, ptr null }]\n"
    "define linkonce_odr i64 @shared() {\n"
    "  ret i64 1\n"
    "}\n";

/* The next i32 of sum's variadic arguments, as %v.  On x86-64, LLVM's va_arg
 * instruction.  AAPCS64's va_list is a structure that instruction does not
 * implement (clang lowers va_arg itself there): read the general registers'
 * save area, {gr_top at 8, gr_offs at 24}, which holds every argument this
 * test passes (at most 7 i32s after n). */
#if defined(__aarch64__)
#define SUM_GR_BASE                                        \
    "  %gtp = getelementptr i8, ptr %ap, i64 8\n"          \
    "  %gtop = load ptr, ptr %gtp\n"                       \
    "  %gop = getelementptr i8, ptr %ap, i64 24\n"         \
    "  %goff = load i32, ptr %gop\n"                       \
    "  %goff64 = sext i32 %goff to i64\n"                  \
    "  %gr = getelementptr i8, ptr %gtop, i64 %goff64\n"
#define SUM_VA_ARG                                         \
    "  %iw = zext i32 %i to i64\n"                         \
    "  %off = mul i64 %iw, 8\n"                            \
    "  %p = getelementptr i8, ptr %gr, i64 %off\n"         \
    "  %v = load i32, ptr %p\n"
#else
#define SUM_GR_BASE ""
#define SUM_VA_ARG "  %v = va_arg ptr %ap, i32\n"
#endif

/* Module B: its own internal @helper (a different one), a call into A, a
 * weak definition A's wins over, and a varargs function of i32s. */
static const char *mod_b =
    "declare i64 @bump()\n"
    "define internal i64 @helper(i64 %x) {\n"
    "  %y = add i64 %x, 1000\n"
    "  ret i64 %y\n"
    "}\n"
    "define i64 @both() {\n"
    "  %a = call i64 @bump()\n"
    "  %b = call i64 @helper(i64 %a)\n"
    "  ret i64 %b\n"
    "}\n"
    "define linkonce_odr i64 @shared() {\n"
    "  ret i64 2\n"
    "}\n"
    "define i32 @sum(i32 %n, ...) {\n"
    "  %ap = alloca [32 x i8], align 8\n" /* a va_list: 24 bytes on x86-64, 32 on aarch64 */
    "  call void @llvm.va_start.p0(ptr %ap)\n"
    SUM_GR_BASE
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i32 [ 0, %0 ], [ %i1, %loop ]\n"
    "  %s = phi i32 [ 0, %0 ], [ %s1, %loop ]\n"
    SUM_VA_ARG
    "  %s1 = add i32 %s, %v\n"
    "  %i1 = add i32 %i, 1\n"
    "  %done = icmp eq i32 %i1, %n\n"
    "  br i1 %done, label %out, label %loop\n"
    "out:\n"
    "  call void @llvm.va_end.p0(ptr %ap)\n"
    "  ret i32 %s1\n"
    "}\n"
    "declare void @llvm.va_start.p0(ptr)\n"
    "declare void @llvm.va_end.p0(ptr)\n";

static kjit *make(kjit_mode mode) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.t2_sync = 1;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    return jit;
}

static void *caller(void *arg) {
    int64_t (*bump)(void) = (int64_t (*)(void))arg;
    for (int i = 0; i < 100; i++) bump();
    return NULL;
}

static void in_mode(kjit_mode mode) {
    kjit *jit = make(mode);
    CHECK(kjit_add_module_memory(jit, mod_a, strlen(mod_a), "a.ll") == KJIT_OK);
    CHECK(kjit_add_module_memory(jit, mod_b, strlen(mod_b), "b.ll") == KJIT_OK);
    CHECK(kjit_run_constructors(jit) == KJIT_OK);
    int64_t *order = kjit_host_symbol(jit, "order");
    (void)order; /* (a JIT'd variable is not a host symbol) */

    int64_t (*bump)(void) = (int64_t (*)(void))kjit_address(jit, "bump");
    int64_t (*both)(void) = (int64_t (*)(void))kjit_address(jit, "both");
    void *(*self)(void) = (void *(*)(void))kjit_address(jit, "self");
    int64_t (*shared)(void) = (int64_t (*)(void))kjit_address(jit, "shared");
    int32_t (*sum)(int32_t, ...) = (int32_t (*)(int32_t, ...))kjit_address(jit, "sum");
    CHECK(bump && both && self && shared && sum);

    /* Internal helpers stay apart: A's multiplies, B's adds. */
    CHECK(bump() == 60);          /* counter 5 → 6, * 10 */
    CHECK(both() == 1070);        /* counter 7, * 10, + 1000 */
    /* A function's address, taken in JIT'd code, is its stub. */
    CHECK(self() == (void *)self);
    /* The first definition of a weak symbol wins. */
    CHECK(shared() == 1);
    CHECK(sum(4, 1, 2, 3, 4) == 10);

    /* Recompiled at T2: the counter is not initialised again, the
     * address is the same. */
    CHECK(kjit_optimize(jit, "bump") == KJIT_OK);
    CHECK(kjit_optimize(jit, "self") == KJIT_OK);
    kjit_drain(jit);
    CHECK(bump() == 80);
    CHECK(self() == (void *)self);
    CHECK(kjit_address(jit, "self") == (void *)self);

    /* Threads calling at once (the first calls of the T2 body race with
     * nothing; the count must be exact). */
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, caller, (void *)bump);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK(bump() == (8 + 400 + 1) * 10);
    kjit_destroy(jit);
}

/* The constructors ran in priority order: ctor_early (1), then ctor_late
 * (2): order = 12.  Checked through a function reading it. */
static void constructors(void) {
    kjit *jit = make(KJIT_MODE_LAZY);
    static const char *reader = "@order = external global i64\n"
                                "define i64 @read_order() {\n"
                                "  %o = load i64, ptr @order\n"
                                "  ret i64 %o\n"
                                "}\n";
    CHECK(kjit_add_module_memory(jit, mod_a, strlen(mod_a), "a.ll") == KJIT_OK);
    CHECK(kjit_add_module_memory(jit, reader, strlen(reader), "r.ll") == KJIT_OK);
    int64_t (*read_order)(void) = (int64_t (*)(void))kjit_address(jit, "read_order");
    CHECK(read_order() == 0);
    CHECK(kjit_run_constructors(jit) == KJIT_OK);
    CHECK(read_order() == 12);
    CHECK(kjit_run_constructors(jit) == KJIT_OK); /* each runs once */
    CHECK(read_order() == 12);
    kjit_destroy(jit);
}

/* A module built with the C API in the caller's own context: copied. */
static void from_module_ref(void) {
    CHECK(kjit_llvm_load() == KJIT_OK);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy(mod_b, strlen(mod_b), "b.ll");
    LLVMModuleRef m = NULL;
    char *msg = NULL;
    CHECK(LLVMParseIRInContext(ctx, buf, &m, &msg) == 0);
    kjit *jit = make(KJIT_MODE_EAGER);
    CHECK(kjit_add_module(jit, m) == KJIT_OK);
    int32_t (*sum)(int32_t, ...) = (int32_t (*)(int32_t, ...))kjit_address(jit, "sum");
    CHECK(sum(3, 10, 20, 30) == 60);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "sum", &info) == KJIT_OK && strcmp(info.sig, "*") == 0);
    /* No signature to call it by: kjit_call refuses. */
    kjit_value v = kjit_call(kjit_fn_get(jit, "sum"), NULL);
    CHECK(v.i == 0 && strstr(kjit_errmsg(), "no signature"));
    kjit_destroy(jit);
    LLVMDisposeModule(m); /* still the caller's */
    LLVMContextDispose(ctx);
}

static void errors(void) {
    kjit *jit = make(KJIT_MODE_LAZY);
    CHECK(kjit_add_module_memory(jit, "define i32 @f( {", 16, "bad.ll") == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "bad.ll:1:") != NULL);
    static const char bc[] = "BC\xc0\xde\x35\x14\x00\x00\x05";
    CHECK(kjit_add_module_memory(jit, bc, sizeof bc - 1, "cut.bc") == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "cut.bc: bad bitcode") != NULL);
    CHECK(kjit_add_module_file(jit, "/nonexistent/x.bc") == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "cannot open") != NULL);
    static const char *one = "define i64 @dup() {\n  ret i64 1\n}\n";
    CHECK(kjit_add_module_memory(jit, one, strlen(one), "one.ll") == KJIT_OK);
    CHECK(kjit_add_module_memory(jit, one, strlen(one), "two.ll") == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "'dup' is defined again") != NULL);
    static const char *other = "target triple = \"riscv64-unknown-linux-gnu\"\n";
    CHECK(kjit_add_module_memory(jit, other, strlen(other), "rv.ll") == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "riscv64") != NULL);
    /* The JIT goes on. */
    int64_t (*dup)(void) = (int64_t (*)(void))kjit_address(jit, "dup");
    CHECK(dup() == 1);
    kjit_def d;
    kjit_def_init(&d);
    d.sig = KJIT_SIG_ANY;
    d.t0 = (kjit_t0_fn)1;
    CHECK(kjit_define_ex(jit, "t0any", &d) == KJIT_EINVAL);
    kjit_destroy(jit);
}

int main(void) {
    kjit_mode modes[] = {KJIT_MODE_LAZY, KJIT_MODE_LAZY_IR, KJIT_MODE_EAGER, KJIT_MODE_TIERED,
                         KJIT_MODE_INTERP};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) in_mode(modes[i]);
    constructors();
    from_module_ref();
    errors();
    return t_done("test_module");
}
