/*
 * test_realtime.c — a reload never makes the program's threads compile
 * (issue L, docs/DESIGN.md "The real-time contract").
 *
 * A callback thread with the period of an audio callback (64 frames at
 * 48 kHz: 1.33 ms) calls a DSP-like function of an IR module while the main
 * thread reloads the module REPS times, each time with another gain.  Every
 * compile of the function after its first call happens on the reloading
 * thread, before its stub moves: the trace never shows one on the callback
 * thread, and its wait_us (kjit_thread_wait_us) does not grow after its
 * first calls.  The callback sees the gains in order (never an older one after a
 * newer), and sees the last.  In the lazy and tiered modes.
 *
 * The callback's times with and without reloads (worst, 99.9th percentile)
 * are printed, not checked: timing belongs to bench/ (bench/realtime.py runs
 * this with a baseline as long as the reloads, KJIT_RT_BASE callbacks, and
 * with the callback at SCHED_FIFO where allowed, KJIT_RT_FIFO=1), not to a
 * test a loaded machine could fail.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "api_test.h"

/* dsp(out, n, phase): n samples of gain * (x - x^3/6), x the phase ramp;
 * returns the last sample.  GAIN is the version. */
static char *module_text(int gain) {
    char *t = NULL;
    if (asprintf(&t,
                 "define double @dsp(ptr %%out, i32 %%n, double %%ph) {\n"
                 "entry:\n"
                 "  br label %%loop\n"
                 "loop:\n"
                 "  %%i = phi i32 [ 0, %%entry ], [ %%i1, %%loop ]\n"
                 "  %%fi = sitofp i32 %%i to double\n"
                 "  %%x0 = fmul double %%fi, 0x3F50000000000000\n"
                 "  %%x = fadd double %%x0, %%ph\n"
                 "  %%x2 = fmul double %%x, %%x\n"
                 "  %%x3 = fmul double %%x2, %%x\n"
                 "  %%c = fdiv double %%x3, 6.0\n"
                 "  %%s = fsub double %%x, %%c\n"
                 "  %%v = fmul double %%s, %d.0\n"
                 "  %%p = getelementptr double, ptr %%out, i32 %%i\n"
                 "  store double %%v, ptr %%p\n"
                 "  %%i1 = add i32 %%i, 1\n"
                 "  %%done = icmp eq i32 %%i1, %%n\n"
                 "  br i1 %%done, label %%exit, label %%loop\n"
                 "exit:\n"
                 "  ret double %%v\n"
                 "}\n",
                 gain) < 0)
        return NULL;
    return t;
}

/* The gain a result was made with: last sample = gain * s(x) for x the
 * last phase, s(x) = x - x^3/6. */
static int gain_of(double v, double ph) {
    double x = 63 * (1.0 / 1024) + ph, s = x - x * x * x / 6;
    return (int)(v / s + 0.5);
}

typedef struct state {
    kjit *jit;
    double (*dsp)(double *, int, double);
    atomic_int stop, reloading, done_warmup;
    int thread;            /* the callback's trace thread number, once known */
    atomic_int compiles_on_callback, callback_calls;
    uint64_t wait_after_warmup;  /* the callback's kjit_thread_wait_us since its warm-up */
    int last_gain, backwards;
    double worst_before_us, worst_during_us;
    double *times[2];      /* each timed call's µs: before, during the reloads */
    int ntimes[2];
    int fifo;              /* the callback runs at SCHED_FIFO */
} state;

enum { MAX_TIMES = 100000 };

static state g;

static void on_trace(void *user, const kjit_event *ev) {
    (void)user;
    if (ev->kind != KJIT_EV_COMPILED || strcmp(ev->name, "dsp") != 0) return;
    /* The first compile is the callback's own first call: its thread. */
    if (!g.thread) g.thread = ev->thread;
    else if (ev->thread == g.thread && atomic_load(&g.done_warmup))
        atomic_fetch_add(&g.compiles_on_callback, 1);
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *callback(void *arg) {
    (void)arg;
    kjit_thread_attach(g.jit);
    if (getenv("KJIT_RT_FIFO")) { /* as an audio callback runs, where allowed */
        struct sched_param sp = {.sched_priority = 50};
        g.fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    }
    double buf[64];
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    uint64_t waited = 0;
    for (int k = 0; !atomic_load(&g.stop); k++) {
        double ph = (k % 100) / 1000.0;
        double t0 = now_us();
        double v = g.dsp(buf, 64, ph);
        double dt = now_us() - t0;
        int gain = gain_of(v, ph);
        if (gain < g.last_gain) g.backwards++;
        g.last_gain = gain;
        atomic_fetch_add(&g.callback_calls, 1);
        if (k == 10) {
            waited = kjit_thread_wait_us(); /* its first call compiled: that wait */
            atomic_store(&g.done_warmup, 1);
        }
        if (k > 10) {
            int during = atomic_load(&g.reloading);
            double *w = during ? &g.worst_during_us : &g.worst_before_us;
            if (dt > *w) *w = dt;
            if (g.times[during] && g.ntimes[during] < MAX_TIMES)
                g.times[during][g.ntimes[during]++] = dt;
        }
        kjit_quiescent(g.jit); /* (outside the timed call: it may take the JIT's lock) */
        next.tv_nsec += 1333333;
        if (next.tv_nsec >= 1000000000) next.tv_nsec -= 1000000000, next.tv_sec++;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    g.wait_after_warmup = kjit_thread_wait_us() - waited;
    kjit_thread_detach(g.jit);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..n) (sorts v). */
static double pct(double *v, int n, double q) {
    if (!v || n == 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(q * (n - 1) + 0.5);
    return v[i];
}

static void run(kjit_mode mode, int reps) {
    memset(&g, 0, sizeof g);
    g.times[0] = malloc(MAX_TIMES * sizeof(double));
    g.times[1] = malloc(MAX_TIMES * sizeof(double));
    const char *b = getenv("KJIT_RT_BASE");
    int base = b ? atoi(b) : 200;
    if (base < 20) base = 20;
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.t1_codegen = KJIT_T1_EARLY; /* as the command runs IR */
    CHECK(kjit_create(&o, &g.jit) == KJIT_OK);
    kjit_set_trace(g.jit, on_trace, NULL);
    char *text = module_text(1);
    CHECK(kjit_add_module_memory(g.jit, text, strlen(text), "dsp.ll") == KJIT_OK);
    free(text);
    CHECK(kjit_run_constructors(g.jit) == KJIT_OK);
    g.dsp = (double (*)(double *, int, double))kjit_address(g.jit, "dsp");
    CHECK(g.dsp != NULL);
    g.last_gain = 1;
    pthread_t t;
    pthread_create(&t, NULL, callback, NULL);
    while (atomic_load(&g.callback_calls) < base) { /* its first calls, and a baseline */
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
    atomic_store(&g.reloading, 1);
    int ok = 0;
    for (int i = 2; i <= reps + 1; i++) {
        text = module_text(i);
        kjit_reload r;
        ok += kjit_reload_module_memory(g.jit, text, strlen(text), "dsp.ll", &r) == KJIT_OK &&
              r.changed == 1;
        free(text);
    }
    CHECK(ok == reps);
    /* The callback reaches the last gain. */
    for (int w = 0; w < 2000 && g.last_gain != reps + 1; w++) {
        struct timespec d = {0, 1000000};
        nanosleep(&d, NULL);
    }
    atomic_store(&g.stop, 1);
    pthread_join(t, NULL);
    CHECK(g.thread != 0);
    CHECK(atomic_load(&g.compiles_on_callback) == 0);
    CHECK(g.wait_after_warmup == 0); /* wait_us: never waited for a compile */
    CHECK(g.backwards == 0);
    CHECK(g.last_gain == reps + 1);
    kjit_stats s;
    kjit_get_stats(g.jit, &s);
    CHECK(s.redefined == (uint64_t)reps);
    printf("%s: %d reloads, %d callbacks (%d before, %d during)%s, worst callback %.0f us "
           "before, %.0f us during; 99.9th percentile %.1f us before, %.1f us during\n",
           mode == KJIT_MODE_LAZY ? "lazy" : "tiered", reps, atomic_load(&g.callback_calls),
           g.ntimes[0], g.ntimes[1], g.fifo ? " at SCHED_FIFO" : "", g.worst_before_us,
           g.worst_during_us, pct(g.times[0], g.ntimes[0], 0.999),
           pct(g.times[1], g.ntimes[1], 0.999));
    free(g.times[0]), free(g.times[1]);
    kjit_destroy(g.jit);
}

int main(void) {
    /* Under an emulator every compile is 10-30 times slower. */
    int reps = getenv("KJIT_TEST_EMULATOR") ? 100 : 1000;
    const char *r = getenv("KJIT_RT_RELOADS");
    if (r) reps = atoi(r);
    run(KJIT_MODE_LAZY, reps);
    run(KJIT_MODE_TIERED, reps);
    return t_done("test_realtime");
}
