/*
 * kc_repl.c — the REPL (see kc_repl.h).
 *
 * Lines accumulate in a pending buffer.  After each line the pending text is
 * handed to the session as one source; an item cut short by the end of the
 * text stays pending and the prompt changes to the continuation prompt.
 * Line numbers in diagnostics count from the start of the REPL session.
 *
 * History is kept across sessions in $KJIT_HISTORY, else
 * $XDG_STATE_HOME/kjit_history, else ~/.kjit_history (KJIT_HISTORY= empty:
 * none); an item typed over several lines is one entry.  Tab completes the
 * names the session knows, keywords, and `:` commands.
 */
#include "kc_repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <editline/readline.h>

#define KC_REPL_COMMANDS(X)                                                                 \
    X(":help", "show this help")                                                            \
    X(":load FILE", "run FILE's items in this session")                                     \
    X(":time ITEMS", "run ITEMS; show the wall time and the time spent compiling")          \
    X(":optimize NAME", "compile NAME at T2 now, on the background thread")                 \
    X(":tier NAME", "show NAME's state (T0, stub, T1, queued, T2, invalidated, ...) and counter") \
    X(":quit", "leave kjit (also Ctrl-D)")

static void help(void) {
    puts("Enter Kaleidoscope definitions and expressions; each expression's value is printed.");
    puts("An item may span lines: the prompt changes to '...>' until it is complete.");
#define KC_X_HELP(cmd, text) printf("  %-15s %s\n", cmd, text);
    KC_REPL_COMMANDS(KC_X_HELP)
#undef KC_X_HELP
    fflush(stdout);
}

static size_t run_text(kc_session *s, char *text, size_t len, int first_line, int partial);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* :time ITEMS — run them, then the wall time and what compiling took. */
static void timed(kc_session *s, const char *items, int line_no) {
    uint64_t here0, bg0, here1, bg1;
    kc_session_compile_time(s, &here0, &bg0);
    double t0 = now_s();
    char *text = strdup(items);
    if (!text) abort();
    run_text(s, text, strlen(text), line_no, 0);
    double t1 = now_s();
    kc_session_compile_time(s, &here1, &bg1);
    printf("time: %.3f ms wall, %.3f ms compiling here, %.3f ms on background threads\n",
           (t1 - t0) * 1e3, (here1 - here0) / 1e3, (bg1 - bg0) / 1e3);
    fflush(stdout);
}

/* A `:` command typed at the main prompt.  Returns 1 to quit. */
static int command(kc_session *s, const char *line, int line_no) {
    char word[32], arg[1024] = "";
    if (sscanf(line, " %31s %1023s", word, arg) < 1) return 0;
    const char *rest = strstr(line, word) + strlen(word);
    rest += strspn(rest, " \t");
    if (strcmp(word, ":quit") == 0 || strcmp(word, ":q") == 0) return 1;
    if (strcmp(word, ":help") == 0 || strcmp(word, ":h") == 0) {
        help();
    } else if (strcmp(word, ":load") == 0 || strcmp(word, ":time") == 0) {
        if (!*rest)
            fprintf(stderr, "kjit: %s needs %s\n", word, word[1] == 'l' ? "a file name" : "items to run");
        else if (word[1] == 'l')
            kc_session_run_file(s, rest);
        else
            timed(s, rest, line_no);
        fflush(stdout);
    } else if (strcmp(word, ":optimize") == 0 || strcmp(word, ":tier") == 0) {
        if (!arg[0])
            fprintf(stderr, "kjit: %s needs a function name\n", word);
        else if (word[1] == 'o')
            kc_session_optimize(s, arg);
        else
            kc_session_tier(s, arg);
    } else {
        fprintf(stderr, "kjit: unknown command '%s' (try :help)\n", word);
    }
    return 0;
}

/* ---- history and completion ------------------------------------------------ */

static char hist_path[1024];

static void history_open(void) {
    const char *env = getenv("KJIT_HISTORY"), *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (env)
        snprintf(hist_path, sizeof hist_path, "%s", env);
    else if (xdg && xdg[0])
        snprintf(hist_path, sizeof hist_path, "%s/kjit_history", xdg);
    else if (home && home[0])
        snprintf(hist_path, sizeof hist_path, "%s/.kjit_history", home);
    stifle_history(1000);
    if (hist_path[0]) read_history(hist_path);
}

/* One history entry: an item typed over several lines is one line. */
static void history_add(const char *text, size_t len) {
    char *one = malloc(len + 1);
    if (!one) abort();
    size_t n = 0;
    for (size_t i = 0; i < len; i++) one[n++] = text[i] == '\n' ? ' ' : text[i];
    while (n && one[n - 1] == ' ') n--;
    one[n] = 0;
    if (n) add_history(one);
    free(one);
}

static kc_session *complete_session;
static const char *const keywords[] = {"def", "extern", "if", "then", "else", "for",
                                       "in",  "var",    "binary", "unary", NULL};
static const char *const commands[] = {":help", ":load", ":time", ":optimize", ":tier", ":quit", NULL};

typedef struct names {
    char **v;
    int n, cap;
    const char *prefix;
    size_t plen;
} names;

static void collect(void *user, const char *name) {
    names *ns = user;
    if (strncmp(name, ns->prefix, ns->plen) != 0 || strchr(name, '|') || !strncmp(name, "unary", 5) ||
        !strncmp(name, "binary", 6))
        return;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 16;
        ns->v = realloc(ns->v, sizeof *ns->v * (size_t)ns->cap);
        if (!ns->v) abort();
    }
    ns->v[ns->n++] = strdup(name);
}

/* readline's generator: the state-th match of text. */
static char *complete_next(const char *text, int state) {
    static names ns;
    static int i;
    if (state == 0) {
        for (int k = i; k < ns.n; k++) free(ns.v[k]);
        ns.n = 0;
        i = 0;
        ns.prefix = text;
        ns.plen = strlen(text);
        const char *const *fixed = text[0] == ':' ? commands : keywords;
        for (int k = 0; fixed[k]; k++) collect(&ns, fixed[k]);
        if (text[0] != ':') ks_sema_each_name(kc_session_sema(complete_session), collect, &ns);
    }
    return i < ns.n ? ns.v[i++] : NULL; /* readline frees what it gets */
}

static char **complete(const char *text, int start, int end) {
    (void)start, (void)end;
    rl_attempted_completion_over = 1; /* never file names */
    return rl_completion_matches(text, complete_next);
}

/* Run text, which the session takes over, as the session's lines from
 * first_line on; returns how much of it was used (with partial, an item cut
 * short by the end of the text is left unused). */
static size_t run_text(kc_session *s, char *text, size_t len, int first_line, int partial) {
    ks_source src = {.name = strdup("<stdin>"), .text = text, .len = len, .first_line = first_line};
    if (!src.name) abort();
    size_t used = kc_session_run(s, &src, partial);
    fflush(stdout);
    return used;
}

void kc_repl_run(kc_session *s, volatile sig_atomic_t *sigint) {
    char *pending = NULL;
    size_t plen = 0;
    int line_no = 1, pending_line = 1;
    using_history();
    history_open();
    complete_session = s;
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n()+-*/<=;,!&|^~%$#@?.";
    printf("kjit %s — Kaleidoscope JIT.  :help for help, :quit to leave.\n", KJIT_VERSION_STRING);
    for (;;) {
        char *line = readline(plen ? "  ...> " : "kjit> ");
        if (*sigint) {
            /* Ctrl-C at the prompt: drop the line and any pending item. */
            *sigint = 0;
            free(line);
            free(pending);
            pending = NULL;
            plen = 0;
            pending_line = ++line_no;
            putchar('\n');
            continue;
        }
        if (!line) {
            putchar('\n'); /* end the prompt's line */
            /* Ctrl-D inside an item: report it as the end of a file would
             * ("got end of input") rather than drop it silently. */
            if (plen) run_text(s, pending, plen, pending_line, 0);
            pending = NULL;
            break;
        }
        if (!plen && line[strspn(line, " \t")] == ':') {
            add_history(line);
            int quit = command(s, line, line_no);
            free(line);
            /* A command line counts as a session line: the next item starts after it. */
            pending_line = ++line_no;
            if (quit) break;
            continue;
        }
        char word[8] = "";
        if (!plen && sscanf(line, " %5[a-z] ;", word) == 1 && (!strcmp(word, "quit") || !strcmp(word, "exit")) &&
            strlen(line) == strspn(line, " \t;quitex")) {
            /* Not a Kaleidoscope variable: what the user meant. */
            printf("(to leave kjit, type :quit or press Ctrl-D)\n");
            fflush(stdout);
            free(line);
            pending_line = ++line_no;
            continue;
        }
        size_t n = strlen(line);
        char *text = realloc(pending, plen + n + 2);
        if (!text) abort();
        memcpy(text + plen, line, n);
        text[plen + n] = '\n';
        plen += n + 1;
        free(line);
        line_no++;
        pending = NULL;

        size_t used = run_text(s, text, plen, pending_line, 1);
        if (used == plen) history_add(text, plen); /* the whole item(s) as one entry */
        if (kc_session_interrupted(s) || *sigint) {
            /* Ctrl-C while it ran: the rest of the line is dropped; every
             * definition, global and compiled body is kept. */
            *sigint = 0;
            used = plen;
        }
        /* Keep the unfinished item for the next line. */
        plen -= used;
        if (plen) {
            pending = malloc(plen);
            if (!pending) abort();
            memcpy(pending, text + used, plen);
            int consumed_lines = 0;
            for (size_t i = 0; i < used; i++) consumed_lines += text[i] == '\n';
            pending_line += consumed_lines;
        } else {
            pending_line = line_no;
        }
    }
    free(pending);
    if (hist_path[0]) write_history(hist_path);
}
