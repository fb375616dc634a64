/*
 * kc_main.c — the `kjit` command: options, inputs, and the choice between
 * running files, a -e string, standard input, or the REPL.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_cc.h"
#include "kc_ir.h"
#include "kc_repl.h"
#include "kc_session.h"

/* The options, written once: the parser and --help both read this table.
 * X(id, spelling, argument, help). */
#define KC_OPTIONS(X)                                                                     \
    X(EXPR, "-e ", "CODE", "run CODE (may be repeated; runs in order with the files)")     \
    X(INTERACTIVE, "-i", NULL, "after the files and -e code, go on in the REPL")         \
    X(QUIET, "-q, --quiet", NULL, "print no values, only what the program prints")        \
    X(CHECK, "--check", NULL, "parse and check only; run nothing")                        \
    X(EMIT, "--emit=", "ast|llvm",                                                        \
      "print each item's syntax tree, or the whole program as one LLVM module "           \
      "(runnable with lli-19), instead of running")                                       \
    X(OPT, "-O0 .. -O3", NULL, "optimisation level of compiled functions, 0..3 (default 2; "  \
      "-O 2 too)")                                                                        \
    X(JIT, "--jit=", "tiered|interp|lazy|lazy-ir|eager",                                  \
      "tiered (default): run at once by the interpreter (T0), compiled optimised (T2) "  \
      "on a background thread once hot, running loops moved there (OSR); interp: T0 "     \
      "only, nothing compiled (C, C++ and IR, which have no T0: compiled at the first "   \
      "call, nothing ahead); lazy: compiled at the first call; lazy-ir: IR made at "      \
      "definition, compiled at the first call; eager: compiled at definition")            \
    X(HOT, "--hot=", "N",                                                                 \
      "tiered: calls plus loop iterations of a function before its T2 compile "           \
      "(default 1000)")                                                                   \
    X(PARTITION, "--partition=", "function|callees",                                       \
      "with --jit=lazy-ir: a first call compiles the function alone (default), or "       \
      "with the uncompiled functions it calls unconditionally, as one module")            \
    X(T1, "--t1=", "fast|early|loops|full",                                              \
      "tiered: T1 code generated at -O0 (fast to make); at the -O level for main and "    \
      "the first 8 other functions with a loop of a program of at most 40 functions "     \
      "(its kernels, which run long in one call, never reaching T2; a larger program "    \
      "as fast), or for every function with a loop, or for all (default: fast for "       \
      "Kaleidoscope, early for C, C++ and IR programs)")                                 \
    X(AHEAD, "--ahead=", "on|off",                                                       \
      "lazy and tiered: compile, on a background thread, the functions that compiled "  \
      "code calls before their first call (default on; also KJIT_AHEAD=1 or 0)")        \
    X(CACHEDIR, "--cache-dir=", "DIR",                                                  \
      "keep compiled code between runs in DIR (default: KJIT_CACHE_DIR, else "           \
      "$XDG_CACHE_HOME/kjit, else ~/.cache/kjit): a second run links what the first "    \
      "compiled, and starts what got hot at T2, without loading LLVM unless something "  \
      "must be compiled (x86-64); an unchanged C or C++ source (its headers and flags "  \
      "too) is not compiled by clang again")                                             \
    X(NOCACHE, "--no-cache", NULL, "compile everything again (also KJIT_CACHE=off)")      \
    X(CACHEFINISH, "--cache-finish", NULL,                                               \
      "C, C++ and IR programs: do not run the program; compile at T2 and keep what "    \
      "earlier runs left queued for T2, and, of IR optimised already, at T1, so that "   \
      "the next run starts there.  "                                                     \
      "kjit starts this itself, at the lowest priority, after a run that left such "     \
      "work (KJIT_CACHE_FINISH=0: not)")                                                 \
    X(CACHESTATS, "--cache-stats", NULL, "print the cache's directory, entries and size, " \
      "and exit")                                                                         \
    X(CACHECLEAR, "--cache-clear", NULL, "remove every entry of the cache, and exit")     \
    X(PASSES, "--t1-passes=, --t2-passes=", "PIPELINE",                                 \
      "the IR pass pipeline of the first compile (T1), or of T2, in LLVM's syntax "       \
      "(e.g. \"default<O3>\", \"instcombine,simplifycfg\"); checked at start-up")        \
    X(WATCH, "--watch", NULL,                                                             \
      "C, C++ and IR programs: when a file changes (a source or a header it includes: "   \
      "recompiled; bitcode rebuilt by clang), reload it into the running program: "       \
      "changed functions are replaced, new ones added; variables keep their values; "     \
      "one line on stderr per reload; a compile error leaves the old code running")      \
    X(CC, "--cc=", "PATH",                                                                \
      "the clang that compiles C and C++ sources (default: KJIT_CC, else clang-19 on "    \
      "PATH)")                                                                            \
    X(CFLAGS, "-I DIR, -D NAME[=V], -U NAME, -std=STD", NULL,                             \
      "for C and C++ sources: passed to clang, as clang takes them")                     \
    X(XCC, "-Xcc ", "ARG", "for C and C++ sources: pass ARG to clang (repeat for more)") \
    X(CCDB, "-p ", "DIR",                                                                 \
      "for C and C++ sources: compile each as DIR/compile_commands.json says")           \
    X(TIERSYNC, "--tier-sync", NULL,                                                      \
      "tiered: wait for each T2 compile where it is requested (deterministic, for tests)") \
    X(TRACE, "--trace[=FILE.json]", NULL,                                                 \
      "print one line per JIT event on stderr (defined, compiled, queued, installed, "    \
      "...), or write them as a Chrome/Perfetto trace; also KJIT_TRACE=1 or =FILE")      \
    X(PERF, "--perf", NULL,                                                               \
      "write /tmp/perf-PID.map so that perf names JIT'd code (\"fib [T2]\"); "             \
      "also KJIT_PERF=1")                                                                 \
    X(STATS, "--stats[=json|table]", NULL,                                                \
      "print JIT statistics on stderr at exit: a table on a terminal, else one line "     \
      "of JSON (docs/STATS.md says what each counter means)")                             \
    X(TIMEOUT, "--timeout=", "SECONDS",                                                   \
      "stop the program after SECONDS of running (an error, exit status 1)")              \
    X(VERSION, "--version", NULL, "print the version and exit")                           \
    X(HELP, "-h, --help", NULL, "show this help and exit")                                \
    X(FILES, "--", NULL, "every later argument is a FILE, even if it starts with '-'")

/* One option's help: spelling in a 24-column field, text wrapped at 79. */
static void help_line(FILE *out, const char *spelling, const char *arg, const char *text) {
    char head[64];
    snprintf(head, sizeof head, "%s%s", spelling, arg ? arg : "");
    int col = fprintf(out, "  %s", head);
    if (col > 25) {
        fputc('\n', out);
        col = 0;
    }
    while (*text) {
        fprintf(out, "%*s", 26 - col, "");
        int n = (int)strlen(text);
        if (n > 53) {
            n = 53;
            while (n > 0 && text[n] != ' ') n--;
        }
        fprintf(out, "%.*s\n", n, text);
        text += n;
        while (*text == ' ') text++;
        col = 0;
    }
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: kjit [options] [FILE... | -]\n"
            "       kjit [options] PROGRAM.bc|PROGRAM.ll... [-- ARGS...]\n"
            "       kjit [options] PROGRAM.c|PROGRAM.cpp... [-- ARGS...]\n"
            "Runs Kaleidoscope programs with a tiered JIT.  Each top-level expression's value\n"
            "is printed on its own line.  With no FILE and standard input a terminal, starts\n"
            "the REPL; '-' or a pipe reads standard input.  Exit status: 0, 1 if any error\n"
            "was reported, 2 for a usage error.\n"
            "Files of LLVM IR (bitcode or text, told by their content; e.g. from clang -c\n"
            "-emit-llvm) are one C or C++ program: kjit links them, runs main with ARGS and\n"
            "exits with its status, compiling each function when it is first called.\n"
            "C and C++ sources (.c, .cc, .cpp, .cxx) are compiled to IR by clang-19 first,\n"
            "with nothing inlined across functions, so that --watch can replace any of them.\n"
            "\noptions:\n");
#define KC_X_HELP(id, spelling, arg, text) help_line(out, spelling, arg, text);
    KC_OPTIONS(KC_X_HELP)
#undef KC_X_HELP
}

/* Ctrl-C and --timeout: the running item stops at its next safepoint
 * (kjit_interrupt, a store: safe in a handler). */
static kc_session *g_session;
static volatile sig_atomic_t g_sigint, g_timeout;

static void on_sigint(int sig) {
    (void)sig;
    g_sigint = 1;
    kc_session_interrupt(g_session);
}

static void on_alarm(int sig) {
    (void)sig;
    g_timeout = 1;
    kc_session_interrupt(g_session);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "kjit: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try kjit --help)\n");
    return 2;
}

/* Read a whole file (or stdin for "-") into a malloc'd buffer. */
/* A "--name=value" option with a fixed set of values: *out gets the value's
 * number.  0 if `a` is that option and the value is known; 1 if it is not
 * that option; 2 after reporting a bad value (naming the valid ones). */
static int choice(const char *a, const char *opt, const char *const *names, int *out) {
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0) return 1;
    for (int i = 0; names[i]; i++)
        if (strcmp(a + n, names[i]) == 0) return *out = i, 0;
    fprintf(stderr, "kjit: error: %.*s must be one of", (int)n - 1, opt);
    for (int i = 0; names[i]; i++) fprintf(stderr, "%s %s", i ? "," : "", names[i]);
    fprintf(stderr, "; not '%s'\n(try kjit --help)\n", a + n);
    return 2;
}

/* --cache-stats (1) and --cache-clear (2). */
static int cache_command(int action, const char *dir) {
    kjit_cache_info info;
    if (action == 1) {
        if (kjit_cache_info_get(dir, &info) != KJIT_OK) {
            fprintf(stderr, "kjit: error: %s\n", kjit_errmsg());
            return 1;
        }
        printf("cache directory  %s\nentries          %llu\nsize             %.1f MiB of "
               "%.0f MiB\n",
               info.dir, (unsigned long long)info.entries, info.bytes / 1048576.0,
               info.max_bytes / 1048576.0);
        return 0;
    }
    uint64_t n = 0;
    if (kjit_cache_clear(dir, &n) != KJIT_OK) {
        fprintf(stderr, "kjit: error: %s\n", kjit_errmsg());
        return 1;
    }
    printf("removed %llu entries\n", (unsigned long long)n);
    return 0;
}

/* An input in command-line order: a file name, or -e code. */
typedef struct kc_input {
    const char *arg;
    int is_code;
} kc_input;

int main(int argc, char **argv) {
    kc_config cfg = {.opt_level = 2, .mode = KJIT_MODE_TIERED, .t1_codegen = -1, .ahead = -1,
                     .cache = -1, .argv = argv};
    int cache_action = 0; /* --cache-stats 1, --cache-clear 2 */
    int interactive = 0; /* -i */
    int r, v, mode_set = 0, partition_set = 0;
    const char *env_trace = getenv("KJIT_TRACE");
    if (env_trace && env_trace[0]) {
        cfg.trace = 1;
        cfg.trace_path = strcmp(env_trace, "1") == 0 ? NULL : env_trace;
    }
    static const char *const modes[] = {"tiered", "interp", "lazy", "lazy-ir", "eager", NULL};
    static const char *const emits[] = {"ast", "llvm", NULL};
    static const char *const partitions[] = {"function", "callees", NULL};
    static const char *const stats_forms[] = {"json", "table", NULL};
    static const char *const t1_forms[] = {"fast", "early", "loops", "full", NULL};
    static const char *const on_off[] = {"on", "off", NULL};
    static kc_cc cc; /* (static: its flags are reachable whatever path main leaves by) */
    kc_input *inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int ninputs = 0, only_files = 0, nprog_args = 0;
    char **prog_args = NULL;
    if (!inputs) return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            inputs[ninputs++] = (kc_input){a, 0};
        } else if (strcmp(a, "--") == 0) {
            /* After IR files, the program's arguments; else more files. */
            if (ninputs > 0 && !inputs[0].is_code &&
                (kc_cc_is_source(inputs[0].arg) || kc_ir_is_ir(inputs[0].arg) ||
                 kc_ir_named(inputs[0].arg))) {
                prog_args = argv + i + 1;
                nprog_args = argc - i - 1;
                break;
            }
            only_files = 1;
        } else if (strcmp(a, "-e") == 0) {
            if (i + 1 >= argc) return free(inputs), usage_error("%s needs an argument", a);
            inputs[ninputs++] = (kc_input){argv[++i], 1};
        } else if ((a[1] == 'I' || a[1] == 'D' || a[1] == 'U') && !a[2]) {
            /* -I DIR, -D NAME, -U NAME: for clang, as clang takes them */
            if (i + 1 >= argc) return free(inputs), usage_error("%s needs an argument", a);
            if (kc_cc_flag(&cc, a) != 0 || kc_cc_flag(&cc, argv[++i]) != 0)
                return free(inputs), 1;
        } else if (a[1] == 'I' || a[1] == 'D' || a[1] == 'U' || strncmp(a, "-std=", 5) == 0) {
            if (kc_cc_flag(&cc, a) != 0) return free(inputs), 1;
        } else if (strcmp(a, "-Xcc") == 0) {
            if (i + 1 >= argc) return free(inputs), usage_error("%s needs an argument", a);
            if (kc_cc_flag(&cc, argv[++i]) != 0) return free(inputs), 1;
        } else if (strcmp(a, "-p") == 0) {
            if (i + 1 >= argc) return free(inputs), usage_error("%s needs a directory", a);
            cc.ccdb = argv[++i];
        } else if (strncmp(a, "--cc=", 5) == 0) {
            if (!a[5]) return free(inputs), usage_error("%s needs a path", "--cc=");
            cc.cc = a + 5;
        } else if (strcmp(a, "-i") == 0) {
            interactive = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cfg.quiet = 1;
        } else if (a[1] != '-' && a[2] && strspn(a + 1, "qi") == strlen(a + 1)) {
            /* Short flags together: -qi. */
            cfg.quiet |= strchr(a, 'q') != NULL;
            interactive |= strchr(a, 'i') != NULL;
        } else if (strcmp(a, "--check") == 0) {
            cfg.check = 1;
        } else if ((r = choice(a, "--emit=", emits, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            cfg.emit = v == 0 ? KC_EMIT_AST : KC_EMIT_LLVM;
        } else if (a[1] == 'O') {
            /* -O2, or -O 2 */
            const char *lvl = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : "";
            if (!(lvl[0] >= '0' && lvl[0] <= '3' && !lvl[1]))
                return free(inputs), usage_error("-O takes a level 0, 1, 2 or 3, not '%s'", lvl);
            cfg.opt_level = lvl[0] - '0';
        } else if ((r = choice(a, "--jit=", modes, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            static const kjit_mode mode_of[] = {KJIT_MODE_TIERED, KJIT_MODE_INTERP, KJIT_MODE_LAZY,
                                                KJIT_MODE_LAZY_IR, KJIT_MODE_EAGER};
            cfg.mode = mode_of[v];
            mode_set = 1;
        } else if (strncmp(a, "--hot=", 6) == 0) {
            char *end;
            long long n = strtoll(a + 6, &end, 10);
            if (end == a + 6 || *end || n < 1) {
                free(inputs);
                return usage_error("--hot needs a positive number, not '%s'", a + 6);
            }
            cfg.hot = n;
        } else if ((r = choice(a, "--partition=", partitions, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            cfg.partition = v == 0 ? KJIT_PARTITION_FUNCTION : KJIT_PARTITION_CALLEES;
            partition_set = 1;
        } else if ((r = choice(a, "--t1=", t1_forms, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            static const int t1_of[] = {KJIT_T1_FAST, KJIT_T1_EARLY, KJIT_T1_LOOPS, KJIT_T1_FULL};
            cfg.t1_codegen = t1_of[v];
        } else if ((r = choice(a, "--ahead=", on_off, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            cfg.ahead = v == 0 ? 1 : 0;
        } else if (strncmp(a, "--cache-dir=", 12) == 0) {
            if (!a[12]) return free(inputs), usage_error("%s needs a directory", "--cache-dir=");
            cfg.cache_dir = a + 12;
        } else if (strcmp(a, "--no-cache") == 0) {
            cfg.cache = 0;
        } else if (strcmp(a, "--cache-finish") == 0) {
            cfg.cache_finish = 1;
        } else if (strcmp(a, "--cache-stats") == 0 || strcmp(a, "--cache-clear") == 0) {
            cache_action = a[8] == 's' ? 1 : 2;
        } else if (strncmp(a, "--t1-passes=", 12) == 0 || strncmp(a, "--t2-passes=", 12) == 0) {
            if (!a[12]) return free(inputs), usage_error("%.11s needs a pipeline", a);
            *(a[3] == '1' ? &cfg.t1_passes : &cfg.t2_passes) = a + 12;
        } else if (strcmp(a, "--watch") == 0) {
            cfg.watch = 1;
        } else if (strcmp(a, "--tier-sync") == 0) {
            cfg.tier_sync = 1;
        } else if (strcmp(a, "--stats") == 0) {
            cfg.stats = isatty(STDERR_FILENO) ? KC_STATS_TABLE : KC_STATS_JSON;
        } else if ((r = choice(a, "--stats=", stats_forms, &v)) != 1) {
            if (r == 2) return free(inputs), 2;
            cfg.stats = v == 0 ? KC_STATS_JSON : KC_STATS_TABLE;
        } else if (strcmp(a, "--perf") == 0) {
            cfg.perf = 1;
        } else if (strcmp(a, "--trace") == 0 || strncmp(a, "--trace=", 8) == 0) {
            cfg.trace = 1;
            cfg.trace_path = a[7] ? a + 8 : NULL;
            if (cfg.trace_path && !cfg.trace_path[0])
                return free(inputs), usage_error("--trace= needs a file name%s", "");
        } else if (strncmp(a, "--timeout=", 10) == 0) {
            char *end;
            double t = strtod(a + 10, &end);
            if (end == a + 10 || *end || !(t > 0) || t > 1e6) {
                free(inputs);
                return usage_error("--timeout needs a number of seconds above 0, not '%s'", a + 10);
            }
            cfg.timeout = t;
        } else if (strcmp(a, "--version") == 0) {
            printf("kjit %s (LLVM 19)\n", KJIT_VERSION_STRING);
            free(inputs);
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(inputs);
            return 0;
        } else {
            free(inputs);
            return usage_error("unknown option '%s'", a);
        }
    }

    /* The --cache-finish a run started (kc_ir.c, finish_later): at the
     * lowest priority, clang's compiles too (it runs where a core is idle). */
    const char *fin = getenv("KJIT_CACHE_FINISH");
    if (cfg.cache_finish && fin && strcmp(fin, "idle") == 0) {
        struct sched_param sp = {0};
        (void)sched_setscheduler(0, SCHED_IDLE, &sp);
    }
    if (cache_action) {
        free(inputs);
        return cache_command(cache_action, cfg.cache_dir);
    }

    /* An option that does nothing in the mode chosen is worth a word. */
    if (partition_set && cfg.mode != KJIT_MODE_LAZY_IR)
        fprintf(stderr, "kjit: warning: --partition has an effect only with --jit=lazy-ir\n");
    /* (--hot and --tier-sync are not reported outside tiered mode: test
     * harnesses put them in front of every command, whose own --jit wins.) */
    (void)mode_set;

    /* A file of binary data is neither IR nor Kaleidoscope: said once, in a
     * line, before anything runs (the lexer would report most of its bytes). */
    int nbin = 0;
    for (int i = 0; i < ninputs; i++) {
        if (inputs[i].is_code || strcmp(inputs[i].arg, "-") == 0 ||
            kc_cc_is_source(inputs[i].arg) || !kc_file_is_binary(inputs[i].arg))
            continue;
        fprintf(stderr, "kjit: error: %s: not LLVM IR (bitcode or text) nor Kaleidoscope: "
                        "binary data\n", inputs[i].arg);
        nbin++;
    }
    if (nbin) return free(inputs), 1;

    /* LLVM IR files and C and C++ sources: a C or C++ program, run as
     * natively. */
    int nir = 0, nsrc = 0;
    for (int i = 0; i < ninputs; i++) {
        int src = !inputs[i].is_code && kc_cc_is_source(inputs[i].arg);
        nsrc += src;
        nir += src || (!inputs[i].is_code &&
                       (kc_ir_is_ir(inputs[i].arg) || kc_ir_named(inputs[i].arg)));
    }
    if (nir > 0) {
        kc_unit *units = calloc((size_t)ninputs, sizeof *units);
        if (!units) return free(inputs), 1;
        for (int i = 0; i < ninputs; i++) units[i].name = units[i].bc = (char *)inputs[i].arg;
        free(inputs);
        if (nir < ninputs)
            return free(units), usage_error("%s", "C, C++ and LLVM IR files cannot be mixed "
                                                  "with Kaleidoscope files or -e code");
        if (interactive || cfg.check || cfg.emit == KC_EMIT_AST)
            return free(units), usage_error("%s", "-i, --check and --emit=ast are for "
                                                  "Kaleidoscope, not C, C++ or LLVM IR files");
        cc.opt_level = cfg.opt_level;
        cc.cache = cfg.cache, cc.cache_dir = cfg.cache_dir; /* (the bitcode cache) */
        int st = 0, n = 0;
        const char **srcs = calloc((size_t)ninputs, sizeof *srcs);
        char **outs = calloc((size_t)ninputs, sizeof *outs);
        char ***deps = calloc((size_t)ninputs, sizeof *deps);
        if (!srcs || !outs || !deps) st = 1;
        for (int i = 0; i < ninputs && !st; i++) {
            if (!kc_cc_is_source(units[i].name)) continue;
            if (access(units[i].name, R_OK) != 0) {
                fprintf(stderr, "kjit: error: cannot read '%s': %s\n", units[i].name,
                        strerror(errno));
                st = 1;
            } else if (!(units[i].bc = kc_cc_output(&cc, units[i].name, i))) {
                st = 1;
            } else {
                srcs[n] = units[i].name, outs[n++] = units[i].bc;
            }
        }
        if (!st && kc_cc_compile_all(&cc, n, srcs, outs, deps) != 0) st = 1; /* (clang said why) */
        for (int i = 0, k = 0; i < ninputs && deps; i++)
            if (k < n && srcs[k] == units[i].name) units[i].deps = deps[k++];
        free(srcs), free(outs), free(deps);
        /* clang made the IR at the -O level but ran no pass on it (kc_cc.h):
         * T1 runs a light pipeline of its own, unless told another. */
        if (nsrc && cfg.opt_level > 0 && !cfg.t1_passes && cfg.mode == KJIT_MODE_TIERED)
            cfg.t1_passes = "default<O1>";
        /* (kc_ir_run returns only on an error, or after --emit=llvm.) */
        if (!st) st = kc_ir_run(&cfg, units, ninputs, &cc, prog_args, nprog_args);
        for (int i = 0; i < ninputs; i++) {
            if (units[i].bc != units[i].name) free(units[i].bc);
            kc_cc_free_deps(units[i].deps);
        }
        free(units);
        kc_cc_cleanup(&cc);
        return st;
    }
    if (nsrc == 0 && (cc.nflags || cc.ccdb || cc.cc))
        fprintf(stderr, "kjit: warning: -I, -D, -U, -std=, -Xcc, -p and --cc are for C and C++ "
                        "sources\n");
    free(cc.flags);
    if (cfg.watch)
        return free(inputs), usage_error("%s", "--watch is for C, C++ and LLVM IR programs");
    if (cfg.cache_finish)
        return free(inputs), usage_error("%s", "--cache-finish is for C, C++ and LLVM IR programs");

    kc_session *s = kc_session_new(&cfg);
    if (!s) {
        free(inputs);
        return 1;
    }
    int io_error = 0;
    g_session = s;
    struct sigaction sa = {.sa_handler = on_sigint}; /* no SA_RESTART: reads return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    if (cfg.timeout > 0) kc_alarm_after(cfg.timeout, on_alarm);
    int repl = !cfg.emit && !cfg.check && (interactive || (ninputs == 0 && isatty(STDIN_FILENO)));
    {
        if (ninputs == 0 && !repl) inputs[ninputs++] = (kc_input){"-", 0};
        for (int i = 0; i < ninputs; i++) {
            ks_source src = {.first_line = 1};
            if (inputs[i].is_code) {
                src.name = strdup("-e");
                src.len = strlen(inputs[i].arg);
                src.text = strdup(inputs[i].arg);
            } else {
                if (kc_session_run_file(s, inputs[i].arg) != 0) io_error = 1;
                if (kc_session_interrupted(s) || kc_session_stopped(s) || g_sigint || g_timeout)
                    break;
                continue;
            }
            if (!src.name || !src.text) abort();
            kc_session_run(s, &src, 0);
            if (kc_session_interrupted(s) || kc_session_stopped(s) || g_sigint || g_timeout)
                break; /* the run stops */
        }
        if (repl && !g_timeout) {
            g_sigint = 0; /* a Ctrl-C during -i's files is not the REPL's */
            kc_repl_run(s, &g_sigint);
        }
    }
    free(inputs);
    if (g_timeout) {
        fflush(stdout);
        fprintf(stderr, "kjit: error: stopped after --timeout=%g seconds\n", cfg.timeout);
    }
    int status = kc_session_end(s); /* prints --stats */
    if (g_sigint && !g_timeout && !repl) return 130; /* as a shell reports SIGINT */
    return g_timeout ? 1 : status ? status : io_error;
}
