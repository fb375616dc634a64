/*
 * kc_repl.c — the REPL (see kc_repl.h).
 *
 * Lines accumulate in a pending buffer.  After each line the pending text is
 * handed to the session as one source; an item cut short by the end of the
 * text stays pending and the prompt changes to the continuation prompt.
 * Line numbers in diagnostics count from the start of the REPL session.
 */
#include "kc_repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

#define KC_REPL_COMMANDS(X)                          \
    X(":help", "show this help")                     \
    X(":optimize NAME", "recompile NAME at T2 on the background thread") \
    X(":tier NAME", "show NAME's state (undefined, stub, T1, queued, T2, invalidated) and counter") \
    X(":quit", "leave kjit (also Ctrl-D)")

static void help(void) {
    puts("Enter Kaleidoscope definitions and expressions; each expression's value is printed.");
    puts("An item may span lines: the prompt changes to '...>' until it is complete.");
#define KC_X_HELP(cmd, text) printf("  %-15s %s\n", cmd, text);
    KC_REPL_COMMANDS(KC_X_HELP)
#undef KC_X_HELP
    fflush(stdout);
}

/* A `:` command typed at the main prompt.  Returns 1 to quit. */
static int command(kc_session *s, const char *line) {
    char word[32], arg[128] = "";
    if (sscanf(line, " %31s %127s", word, arg) < 1) return 0;
    if (strcmp(word, ":quit") == 0 || strcmp(word, ":q") == 0) return 1;
    if (strcmp(word, ":help") == 0 || strcmp(word, ":h") == 0) {
        help();
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
            int quit = command(s, line);
            free(line);
            /* A command line counts as a session line: the next item starts after it. */
            pending_line = ++line_no;
            if (quit) break;
            continue;
        }
        if (line[0]) add_history(line);
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
}
