/*
 * kc_ir.c — `kjit prog.bc`: LLVM IR files run as a native program runs.
 *
 *   add every file's module (libkjit resolves them against each other) →
 *   run the constructors → main(argc, argv, envp) → exit(status)
 *
 * exit() runs what a native program's exit runs: the program's atexit
 * handlers (C++ static destructors among them), then ours, registered
 * before any of theirs: the modules' destructors, and --stats.
 */
#include "kc_ir.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_trace.h"
#include "kc_watch.h"

extern char **environ;

static int is_bitcode(const unsigned char *d, size_t n) {
    return n >= 4 && ((d[0] == 'B' && d[1] == 'C' && d[2] == 0xc0 && d[3] == 0xde) ||
                      (d[0] == 0xde && d[1] == 0xc0 && d[2] == 0x17 && d[3] == 0x0b));
}

/* Bytes of text: printable ASCII, white space, and UTF-8 sequences (one cut
 * by the end of the data counts).  The others: control bytes (NUL among
 * them), DEL, bytes that are not UTF-8. */
static size_t non_text_bytes(const unsigned char *d, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = d[i];
        size_t more = c >= 0xc2 && c <= 0xdf   ? 1
                      : c >= 0xe0 && c <= 0xef ? 2
                      : c >= 0xf0 && c <= 0xf4 ? 3
                                               : 0;
        if (more) {
            size_t k = 1;
            while (k <= more && i + k < n && (d[i + k] & 0xc0) == 0x80) k++;
            if (k > more || i + k == n) { /* whole, or cut by the end */
                i += k;
                continue;
            }
        } else if ((c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r')) {
            i++;
            continue;
        }
        bad++, i++;
    }
    return bad;
}

int kc_is_binary(const void *data, size_t len) {
    const unsigned char *d = data;
    size_t n = len < KC_SNIFF ? len : KC_SNIFF;
    /* A stray NUL or a Latin-1 letter in a program is an error of its own
     * at its place (the lexer's or LLVM's); a tenth of them is not text. */
    return !is_bitcode(d, n) && non_text_bytes(d, n) * 10 > n;
}

static size_t sniff(const char *path, unsigned char *buf) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, KC_SNIFF, f);
    fclose(f);
    return n;
}

int kc_file_is_binary(const char *path) {
    unsigned char buf[KC_SNIFF];
    return kc_is_binary(buf, sniff(path, buf));
}

int kc_ir_named(const char *path) {
    size_t n = strlen(path);
    return n > 3 && (strcmp(path + n - 3, ".bc") == 0 || strcmp(path + n - 3, ".ll") == 0);
}

int kc_ir_is_ir(const char *path) {
    unsigned char buf[KC_SNIFF + 1];
    size_t n = sniff(path, buf);
    if (is_bitcode(buf, n)) return 1;
    if (kc_is_binary(buf, n)) return 0;
    /* Text IR: skip blank lines and ';' comments (Kaleidoscope's are '#');
     * the first line left starts as only IR starts. */
    buf[n] = 0;
    char *p = (char *)buf;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (*p != ';') break;
        p = strchr(p, '\n');
        if (!p) return 1; /* nothing but comments, "; ModuleID = ..." */
    }
    static const char *const starts[] = {"target ", "source_filename", "define ", "declare ",
                                         "attributes ", "module asm", "@", "%", "!", "$", NULL};
    for (int i = 0; starts[i]; i++)
        if (strncmp(p, starts[i], strlen(starts[i])) == 0) return 1;
    return 0;
}

static kjit *g_jit;
static int g_stats;
static int g_watching; /* --watch: kc_watch_quiesce at exit */
static double g_timeout;            /* --timeout: the seconds, once they have passed */
static volatile sig_atomic_t g_timed_out;

/* --timeout: the program stops at its next poll (kjit_interrupt, a store:
 * safe in a handler); the error hook then ends it. */
static void on_alarm(int sig) {
    (void)sig;
    g_timed_out = 1;
    kjit_interrupt(g_jit);
}
static kc_trace *g_trace;

static void at_exit(void) {
    fflush(stdout);
    kc_cache_warn(g_jit);
    if (g_stats) kc_stats_print(g_jit, g_stats);
    /* The JIT stays: code of it may still run (other threads, handlers
     * registered by libraries).  The trace file is finished. */
    if (g_trace) kc_trace_end(g_trace);
    g_trace = NULL;
}

/* The program's exit handlers (atexit, and __cxa_atexit for C++ static
 * destructors) are kept here, not in libc's list, and run by
 * program_exit before exit() itself: while LLVM is whole.  A handler never
 * called before must still be compiled, and exit() destroys LLVM's static
 * objects (those made after our own atexit ran first).  (glibc's atexit is
 * not even exported: it lives in libc_nonshared.a.) */
typedef struct kc_handler {
    void (*fn)(void *);
    void *arg;
    int with_arg;
} kc_handler;
static kc_handler *g_handlers;
static int g_nhandlers, g_handlers_cap;
static pthread_mutex_t g_handlers_lock = PTHREAD_MUTEX_INITIALIZER;

static int add_handler(void (*fn)(void *), void *arg, int with_arg) {
    pthread_mutex_lock(&g_handlers_lock);
    int r = 0;
    if (g_nhandlers == g_handlers_cap) {
        int cap = g_handlers_cap ? 2 * g_handlers_cap : 32;
        kc_handler *h = realloc(g_handlers, (size_t)cap * sizeof *h);
        if (h) g_handlers = h, g_handlers_cap = cap;
        else r = -1;
    }
    if (r == 0) g_handlers[g_nhandlers++] = (kc_handler){fn, arg, with_arg};
    pthread_mutex_unlock(&g_handlers_lock);
    return r;
}

static int program_cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
    (void)dso;
    return add_handler(fn, arg, 1);
}

static int program_atexit(void (*fn)(void)) { return add_handler((void (*)(void *))fn, NULL, 0); }

/* The other functions of libc_nonshared.a a program may call, which
 * libc.so does not export: they register with libc's own, as the static
 * library's do (with no DSO handle: never unregistered, as the program's
 * own are not). */
extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                             void *dso);
extern int __cxa_at_quick_exit(void (*fn)(void *), void *dso);

static int program_pthread_atfork(void (*prepare)(void), void (*parent)(void),
                                  void (*child)(void)) {
    return __register_atfork(prepare, parent, child, NULL);
}

static int program_at_quick_exit(void (*fn)(void)) {
    return __cxa_at_quick_exit((void (*)(void *))fn, NULL);
}

/* The command that finishes this run's work in the code cache (`kjit
 * --cache-finish` with this run's arguments, from this directory, with
 * KJIT_CACHE_FINISH=idle), made before the program runs: its strings copied
 * (the program may write over its argv and environment), and the
 * directory held (it may chdir).  None under --watch, --trace or --perf
 * (their outputs are the user's), with KJIT_CACHE_FINISH=0, or when an
 * input is not a regular file (a pipe cannot be read again). */
static struct {
    char **argv, **envp;
    int cwd;   /* the directory, O_PATH */
    dev_t dev; /* which it is (the program may take the number: finish_later) */
    ino_t ino;
    pid_t pid; /* the process that prepared it: not a child the program forked */
} g_finish = {.cwd = -1};

static char *dup_or(const char *s, int *bad) {
    char *d = strdup(s);
    if (!d) *bad = 1;
    return d;
}

static void finish_prepare(const kc_config *cfg, const kc_unit *units, int nfiles) {
    /* (KJIT_PERF=1: as --perf, which kjit_create reads too) */
    const char *e = getenv("KJIT_CACHE_FINISH"), *perf = getenv("KJIT_PERF");
    if (cfg->watch || cfg->trace || cfg->perf || !cfg->argv || (e && strcmp(e, "0") == 0) ||
        (perf && strcmp(perf, "1") == 0))
        return;
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        if (stat(units[i].name, &st) != 0 || !S_ISREG(st.st_mode)) return;
    }
    int argc = 0, envc = 0, bad = 0, k = 0;
    while (cfg->argv[argc]) argc++;
    while (environ[envc]) envc++;
    char **av = calloc((size_t)argc + 2, sizeof *av), **ev = calloc((size_t)envc + 2, sizeof *ev);
    bad = !av || !ev;
    for (int i = 0; !bad && i < argc; i++)
        av[i ? i + 1 : 0] = dup_or(cfg->argv[i], &bad);
    if (!bad) av[1] = dup_or("--cache-finish", &bad);
    for (int i = 0; !bad && i < envc; i++)
        if (strncmp(environ[i], "KJIT_CACHE_FINISH=", 18) != 0)
            ev[k++] = dup_or(environ[i], &bad);
    if (!bad) ev[k] = dup_or("KJIT_CACHE_FINISH=idle", &bad); /* (kc_main: SCHED_IDLE) */
    int cwd = bad ? -1 : open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (bad || cwd < 0) {
        for (int i = 0; av && i <= argc; i++) free(av[i]); /* (av[1] may be NULL) */
        for (int i = 0; ev && ev[i]; i++) free(ev[i]);
        free(av), free(ev);
        return;
    }
    struct stat st;
    if (fstat(cwd, &st) == 0) g_finish.dev = st.st_dev, g_finish.ino = st.st_ino;
    g_finish.argv = av, g_finish.envp = ev, g_finish.cwd = cwd, g_finish.pid = getpid();
}

/* At the exit of a run that left work for kjit_cache_finish, and wrote the
 * cache: start it, and do not wait for it.  posix_spawn: a new session,
 * /dev/null for its standard streams and no other file of ours (a harness
 * waits for the ends of its pipes), default signal handling and an empty
 * mask, and the run's first directory; it puts itself at the lowest
 * priority (kc_main: posix_spawn sets no SCHED_IDLE).  kjit_cache_finish
 * lets one finishing of a cache run at a time; the others end at once. */
static void finish_later(void) {
    struct stat st;
    if (!g_finish.argv || g_finish.pid != getpid() || !kjit_cache_unfinished(g_jit) ||
        kjit_cache_warning(g_jit))
        return;
    /* (a program that closed every descriptor above 2 may hold the number
     * for a directory of its own: no finishing from there) */
    if (fstat(g_finish.cwd, &st) != 0 || st.st_dev != g_finish.dev || st.st_ino != g_finish.ino)
        return;
    fflush(stdout), fflush(stderr);
    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    if (posix_spawnattr_init(&at) != 0) return;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        posix_spawnattr_destroy(&at);
        return;
    }
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL), sigdelset(&all, SIGSTOP);
    int ok = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF) == 0 &&
             posix_spawnattr_setsigmask(&at, &none) == 0 &&
             posix_spawnattr_setsigdefault(&at, &all) == 0 &&
             posix_spawn_file_actions_addfchdir_np(&fa, g_finish.cwd) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0 &&
             posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0;
    pid_t pid;
    if (ok) (void)posix_spawn(&pid, "/proc/self/exe", &fa, &at, g_finish.argv, g_finish.envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
}

/* The program's exit(), and the return from its main: its handlers (last
 * registered first), its modules' destructors, then exit() — with no
 * compile running on a background thread where exit runs LLVM's static
 * destructors (libLLVM.so); the LLVM kjit loads itself keeps none, and a T2
 * compile in flight then ends with the process (kjit_stop_tiering_for_exit).
 * Except under --trace: the trace is finished at exit, and such a compile
 * would still write to it. */
static _Thread_local int tls_exiting; /* this thread runs the program's exit */

/* The program's exit: its handlers, its modules' destructors, tiering
 * stopped, the finishing started; once.  Again on the thread already in
 * it (exit() called by a handler or a destructor): the handlers left still
 * run, as in glibc's exit.  Another thread's exit meanwhile does nothing
 * here (glibc's exit makes it wait).  Also registered with the C library's
 * atexit, for an exit that does not go through the program's exit symbol:
 * err() and errx() call glibc's own, and the last thread to end after main
 * called pthread_exit calls exit(0). */
static void exit_work(void) {
    static _Atomic int started;
    static _Atomic int done;
    if (atomic_load(&done) || (atomic_fetch_add(&started, 1) != 0 && !tls_exiting)) return;
    tls_exiting = 1;
    if (g_watching) kc_watch_quiesce(); /* (its last reload's line first) */
    for (;;) {
        pthread_mutex_lock(&g_handlers_lock);
        kc_handler h = g_nhandlers ? g_handlers[--g_nhandlers] : (kc_handler){0};
        pthread_mutex_unlock(&g_handlers_lock);
        if (!h.fn) break;
        if (h.with_arg)
            h.fn(h.arg);
        else
            ((void (*)(void))h.fn)();
    }
    kjit_run_destructors(g_jit);
    if (atomic_exchange(&done, 1)) return; /* (a nested exit did the rest) */
    if (g_trace)
        kjit_stop_tiering(g_jit);
    else
        kjit_stop_tiering_for_exit(g_jit);
    finish_later(); /* (after the cache is written) */
}

static void program_exit(int status) {
    exit_work();
    exit(status);
}

/* pthread_exit from the program's main thread: the process ends when its
 * last thread does, and kjit's compiler threads would never end (it hung).
 * Tiering stops first (their threads end; a first call still compiles on
 * the calling thread); the last program thread's end runs exit_work. */
static pthread_t g_main_thread;
static void program_pthread_exit(void *value) {
    if (pthread_equal(pthread_self(), g_main_thread)) kjit_stop_tiering(g_jit);
    pthread_exit(value);
}

/* A signal handler the program installs gets its code, and so does every
 * function it names, at once (kjit_prepare): a handler's first call that
 * interrupted the program inside malloc waited for malloc's lock for ever,
 * since a first call allocates.  A failure is left for the handler's first
 * call to report, as it would have. */
static void prepare_handler(void *h) {
    if (h != (void *)SIG_DFL && h != (void *)SIG_IGN && h != (void *)SIG_ERR)
        (void)kjit_prepare(g_jit, h);
}

static sighandler_t program_signal(int sig, sighandler_t h) {
    prepare_handler((void *)h);
    return signal(sig, h);
}

/* (signal under strict ISO C: glibc's headers name it __sysv_signal) */
static sighandler_t program_sysv_signal(int sig, sighandler_t h) {
    prepare_handler((void *)h);
    return sysv_signal(sig, h);
}

static int program_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    if (act)
        prepare_handler(act->sa_flags & SA_SIGINFO ? (void *)act->sa_sigaction
                                                   : (void *)act->sa_handler);
    return sigaction(sig, act, old);
}

/* A run-time error in a C program (a call to a function nothing defines):
 * there is no sensible value to go on with. */
static void on_error(void *user, kjit_status st, const char *msg) {
    (void)user;
    fflush(stdout);
    if (st == KJIT_EINTR && g_timed_out)
        fprintf(stderr, "kjit: error: stopped after --timeout=%g seconds\n", g_timeout);
    else
        fprintf(stderr, "kjit: error: %s\n", msg);
    program_exit(1);
}

int kc_ir_run(const kc_config *cfg, kc_unit *units, int nfiles, kc_cc *cc, char **args,
              int nargs) {
    kjit_options o;
    kc_jit_options(cfg, &o);
    /* C's main loops stay in main's T1 code for the whole run, and so may a
     * kernel main calls a few times: the first functions with loops get T1
     * code at the -O level, every other function starts at -O0 and T2 takes
     * it once hot (bench/README.md, "First runs of C programs"). */
    if (cfg->t1_codegen < 0) o.t1_codegen = KJIT_T1_EARLY;
    /* Polls cost a C program a few % and serve only --timeout: the command
     * does not interrupt C programs otherwise (Ctrl-C ends them, as it
     * would the native program). */
    if (cfg->timeout <= 0) o.no_polls = 1;
    kjit *jit;
    if (kjit_create(&o, &jit) != KJIT_OK) {
        fprintf(stderr, "kjit: error: cannot start the JIT: %s\n", kjit_errmsg());
        return 1;
    }
    kc_jit_created();
    if (cfg->trace && !(g_trace = kc_trace_start(jit, cfg->trace_path))) return 1;
    kjit_set_error_hook(jit, on_error, NULL);
    g_jit = jit;
    kjit_define_host(jit, "exit", KJIT_SIG_ANY, (void *)program_exit);
    kjit_define_host(jit, "atexit", KJIT_SIG_ANY, (void *)program_atexit);
    kjit_define_host(jit, "__cxa_atexit", KJIT_SIG_ANY, (void *)program_cxa_atexit);
    kjit_define_host(jit, "pthread_atfork", KJIT_SIG_ANY, (void *)program_pthread_atfork);
    kjit_define_host(jit, "at_quick_exit", KJIT_SIG_ANY, (void *)program_at_quick_exit);
    kjit_define_host(jit, "pthread_exit", KJIT_SIG_ANY, (void *)program_pthread_exit);
    kjit_define_host(jit, "signal", KJIT_SIG_ANY, (void *)program_signal);
    kjit_define_host(jit, "bsd_signal", KJIT_SIG_ANY, (void *)program_signal);
    kjit_define_host(jit, "__sysv_signal", KJIT_SIG_ANY, (void *)program_sysv_signal);
    kjit_define_host(jit, "sysv_signal", KJIT_SIG_ANY, (void *)program_sysv_signal);
    kjit_define_host(jit, "sigaction", KJIT_SIG_ANY, (void *)program_sigaction);
    g_main_thread = pthread_self();
    /* Watched from before the files are read: a change after the read is
     * never missed. */
    if (cfg->watch && kc_watch_prepare(units, nfiles, cc) != 0) return 1;
    for (int i = 0; i < nfiles; i++) { /* named as the command line names them */
        size_t len;
        char *data = kc_read_file(units[i].bc, &len);
        if (!data) {
            fprintf(stderr, "kjit: error: cannot read '%s': %s\n", units[i].bc, strerror(errno));
            return 1;
        }
        kjit_status st = kjit_add_module_memory(jit, data, len, units[i].name);
        free(data);
        if (st != KJIT_OK) {
            fprintf(stderr, "kjit: error: %s\n", kjit_errmsg());
            return 1;
        }
    }
    if (cfg->cache_finish) { /* nothing runs */
        unsigned n = 0;
        kjit_status st = kjit_cache_finish(jit, &n);
        if (st != KJIT_OK) { /* (the option's name, not the library's function's) */
            const char *why = kjit_errmsg(), *lib = "kjit_cache_finish: ";
            if (strncmp(why, lib, strlen(lib)) == 0) why += strlen(lib);
            fprintf(stderr, "kjit: error: --cache-finish: %s\n", why);
        }
        if (cfg->stats) kc_stats_print(jit, cfg->stats);
        kc_cache_warn(jit);
        kjit_destroy(jit);
        return st == KJIT_OK ? 0 : 1;
    }
    if (cfg->emit == KC_EMIT_LLVM) { /* the modules as kjit compiles them */
        char *text = kjit_modules_print(jit);
        fputs(text ? text : "", stdout);
        free(text);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    kjit_fn_info info;
    if (kjit_fn_info_get(jit, "main", &info) != KJIT_OK || info.state == KJIT_FN_UNDEFINED ||
        info.state == KJIT_FN_HOST) {
        fprintf(stderr, "kjit: error: %s%s: no function 'main' is defined\n", units[0].name,
                nfiles > 1 ? " and the other files" : "");
        return 1;
    }
    char **argv = calloc((size_t)nargs + 2, sizeof *argv);
    if (!argv) return 1;
    argv[0] = (char *)units[0].name;
    for (int i = 0; i < nargs; i++) argv[i + 1] = args[i];
    g_stats = cfg->stats;
    atexit(at_exit);
    finish_prepare(cfg, units, nfiles);
    /* The program's name for glibc (assert, err and error print it), as
     * argv[0] is, from its constructors on: "p.bc: p.c:8: main: Assertion
     * ...", not kjit's. */
    program_invocation_name = argv[0];
    const char *slash = strrchr(argv[0], '/');
    program_invocation_short_name = slash ? (char *)slash + 1 : argv[0];
    if (kjit_run_constructors(jit) != KJIT_OK) {
        fprintf(stderr, "kjit: error: %s\n", kjit_errmsg());
        return 1;
    }
    /* Replaced code is kept while this thread runs the program (it never
     * reaches a quiescent point): attached, it is never freed under it. */
    kjit_thread_attach(jit);
    if (cfg->watch && kc_watch_start(jit) != 0) return 1;
    g_watching = cfg->watch;
    if (cfg->timeout > 0) {
        g_timeout = cfg->timeout;
        kc_alarm_after(cfg->timeout, on_alarm);
    }
    atexit(exit_work); /* (only once the program runs: g_jit is its) */
    int (*main_fn)(int, char **, char **) =
        (int (*)(int, char **, char **))kjit_address(jit, "main");
    program_exit(main_fn(nargs + 1, argv, environ));
    return 1;
}
