/*
 * test_recompile.c — the seed's scenario: a C++ class loaded as IR (shapes.cpp,
 * compiled by clang++-19 -emit-llvm at build time), its methods called from a
 * worker thread in a loop, while the main thread recompiles one method with
 * a transformation of its own (kjit_set_transform, kjit_recompile).
 *
 * Checks: every result the worker saw is the old or the new version's, and
 * never goes back; the function-local static's initialiser ran exactly once;
 * the virtual call (through the vtable) reaches the new body, as does the
 * direct call.
 *
 *   test_recompile SHAPES.bc
 */
#include <pthread.h>
#include <unistd.h>

#include "../api/api_test.h"

#define METHOD "_ZNK6Square4areaEv" /* Square::area() const */

/* Double every 7000 in Square::area (and only there). */
static atomic_int transformed;
static int double_constant(void *user, LLVMModuleRef mod, const char *name, char *err,
                           size_t errlen) {
    (void)user, (void)name, (void)err, (void)errlen;
    LLVMValueRef f = LLVMGetNamedFunction(mod, METHOD);
    /* (the body is under the JIT's name: find it by its own name's callers) */
    for (LLVMValueRef g = LLVMGetFirstFunction(mod); g; g = LLVMGetNextFunction(g))
        if (!LLVMIsDeclaration(g)) f = g;
    for (LLVMBasicBlockRef b = f ? LLVMGetFirstBasicBlock(f) : NULL; b; b = LLVMGetNextBasicBlock(b))
        for (LLVMValueRef i = LLVMGetFirstInstruction(b); i; i = LLVMGetNextInstruction(i))
            for (int k = 0; k < LLVMGetNumOperands(i); k++) {
                LLVMValueRef op = LLVMGetOperand(i, (unsigned)k);
                if (LLVMIsAConstantInt(op) && LLVMConstIntGetSExtValue(op) == 7000) {
                    LLVMSetOperand(i, (unsigned)k, LLVMConstInt(LLVMTypeOf(op), 14000, 1));
                    atomic_fetch_add(&transformed, 1);
                }
            }
    return 0;
}

static int refuse(void *user, LLVMModuleRef mod, const char *name, char *err, size_t errlen) {
    (void)user, (void)mod, (void)name;
    snprintf(err, errlen, "not today");
    return 1;
}

typedef struct worker {
    kjit *jit;
    void *shape;
    long (*area)(void *);
    atomic_int stop;
    long seen[1 << 16];
    int n;
    atomic_int calls; /* (for the main thread to wait on, not sleep) */
} worker;

static void *work(void *arg) {
    worker *w = arg;
    kjit_thread_attach(w->jit);
    while (!atomic_load(&w->stop)) {
        long v = w->area(w->shape);
        if (w->n == 0 || w->seen[w->n - 1] != v) {
            if (w->n < (int)(sizeof w->seen / sizeof w->seen[0])) w->seen[w->n++] = v;
        }
        atomic_fetch_add(&w->calls, 1);
        kjit_quiescent(w->jit);
    }
    kjit_thread_detach(w->jit);
    return NULL;
}

static void scenario(const char *bc, kjit_mode mode) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    CHECK(kjit_add_module_file(jit, bc) == KJIT_OK);
    CHECK(kjit_run_constructors(jit) == KJIT_OK);
    void *(*make)(long) = (void *(*)(long))kjit_address(jit, "make_square");
    long (*area_virtual)(void *) = (long (*)(void *))kjit_address(jit, "area_virtual");
    long (*area_direct)(void *) = (long (*)(void *))kjit_address(jit, "area_direct");
    int (*inits)(void) = (int (*)(void))kjit_address(jit, "area_initialisations");
    void (*destroy)(void *) = (void (*)(void *))kjit_address(jit, "destroy_shape");
    void *sq = make(3);
    CHECK(area_virtual(sq) == 9 + 1000 + 7000);
    CHECK(inits() == 1);

    /* A transformation that refuses: nothing changes. */
    CHECK(kjit_set_transform(jit, 2, refuse, NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, METHOD, 2) == KJIT_ECOMPILE);
    CHECK(strstr(kjit_errmsg(), "not today") != NULL);
    CHECK(area_virtual(sq) == 8009);

    static worker w;
    memset(&w, 0, sizeof w);
    w.jit = jit;
    w.shape = sq;
    w.area = area_virtual;
    pthread_t t;
    pthread_create(&t, NULL, work, &w);
    /* Wait for calls, not for time: under a loaded sanitizer build the
     * thread once made no call in 20 ms (flaky: w.n was 0). */
    for (int i = 0; i < 20000 && atomic_load(&w.calls) < 1; i++) usleep(1000);
    CHECK(kjit_set_transform(jit, 2, double_constant, NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, METHOD, 2) == KJIT_OK);
    CHECK(atomic_load(&transformed) >= 1);
    CHECK(area_virtual(sq) == 9 + 1000 + 14000); /* through the vtable */
    CHECK(area_direct(sq) == 15009);              /* and directly */
    int before = atomic_load(&w.calls); /* and the thread's calls after it */
    for (int i = 0; i < 20000 && atomic_load(&w.calls) < before + 2; i++) usleep(1000);
    atomic_store(&w.stop, 1);
    pthread_join(t, NULL);
    /* Old, then new, never back. */
    CHECK(w.n >= 1 && w.n <= 2);
    CHECK(w.seen[0] == 8009 || w.seen[0] == 15009);
    if (w.n == 2) CHECK(w.seen[0] == 8009 && w.seen[1] == 15009);
    CHECK(w.n >= 1 && w.seen[w.n - 1] == 15009);
    /* The static was initialised once, before and after. */
    CHECK(inits() == 1);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, METHOD, &info) == KJIT_OK && info.state == KJIT_FN_T2);
    kjit_set_transform(jit, 2, NULL, NULL);
    destroy(sq);
    kjit_destroy(jit);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_recompile SHAPES.bc\n");
        return 2;
    }
    kjit_mode modes[] = {KJIT_MODE_TIERED, KJIT_MODE_LAZY, KJIT_MODE_EAGER};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) scenario(argv[1], modes[i]);
    return t_done("test_recompile");
}
