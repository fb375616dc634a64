/*
 * ks_randprog.h — random Kaleidoscope programs for the T0 unit tests
 * (test_t0.c against its tree-walking model, test_t0_ir.c against compiled
 * code): a seeded generator of definitions, globals, user operators,
 * var/in, loops with and without a step, and calls, written as text.
 * Header-only (static functions), included by both tests.
 */
#ifndef KS_RANDPROG_H
#define KS_RANDPROG_H
#include <stdint.h>
#include <stdio.h>

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static unsigned rnd(unsigned n) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ull) >> 33) % n;
}

typedef struct gen {
    FILE *o;
    const char *vars[32];
    int assignable[32];
    int nvars;
    int loops;  /* enclosing loops */
    int nfuncs; /* f0 .. f(nfuncs-1) may be called */
    int size;   /* nodes left */
} gen;

static void gexpr(gen *g, int depth);

static void gleaf(gen *g) {
    static const char *nums[] = {"0",   "1",   "2",     "3",         "0.5",        "0.1",
                                 "7",   "10",  "1000000", "123456789.125", "(0/0)", "(1/0)",
                                 "(0 * (0 - 1))", "(0 - 3)", "0.3"};
    if (g->nvars && rnd(3)) {
        fputs(g->vars[rnd((unsigned)g->nvars)], g->o);
        return;
    }
    fputs(nums[rnd(sizeof nums / sizeof nums[0])], g->o);
}

static void gexpr(gen *g, int depth) {
    if (depth <= 0 || --g->size <= 0) {
        gleaf(g);
        return;
    }
    switch (rnd(16)) {
    case 0:
    case 1:
    case 2:
    case 3: {
        static const char ops[] = "+-*/<<|:";
        fputc('(', g->o);
        gexpr(g, depth - 1);
        fprintf(g->o, " %c ", ops[rnd(8)]);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        break;
    }
    case 4:
        fputs("!(", g->o);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        break;
    case 5: { /* assignment */
        int cand[32], n = 0;
        for (int i = 0; i < g->nvars; i++)
            if (g->assignable[i])
                cand[n++] = i;
        if (!n) {
            gleaf(g);
            break;
        }
        fprintf(g->o, "(%s = ", g->vars[cand[rnd((unsigned)n)]]);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        break;
    }
    case 6:
    case 7:
        if (g->nfuncs && !g->loops && rnd(3)) { /* no calls of fK in loops: bounded work */
            fprintf(g->o, "f%u(", rnd((unsigned)g->nfuncs));
            gexpr(g, depth - 1);
            fputs(", ", g->o);
            gexpr(g, depth - 1);
            fputc(')', g->o);
        } else {
            fputs("printd(", g->o);
            gexpr(g, depth - 1);
            fputc(')', g->o);
        }
        break;
    case 8:
    case 9:
        fputs("(if ", g->o);
        gexpr(g, depth - 1);
        fputs(" then ", g->o);
        gexpr(g, depth - 1);
        fputs(" else ", g->o);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        break;
    case 10:
    case 11: { /* for: bounded (start constant, i never assigned, step >= 0.5) */
        if (g->loops >= 2) {
            gleaf(g);
            break;
        }
        static const char *names[] = {"i", "j"};
        const char *v = names[g->loops];
        fprintf(g->o, "(for %s = %u, (%s < %u) * ", v, rnd(3), v, rnd(4));
        g->vars[g->nvars] = v;
        g->assignable[g->nvars++] = 0;
        g->loops++;
        gexpr(g, depth - 1);
        switch (rnd(3)) {
        case 0: break;
        case 1: fputs(", 0.5", g->o); break;
        default:
            fputs(", 1 + (", g->o);
            gexpr(g, depth - 1);
            fputs(" < 1)", g->o);
        }
        fputs(" in ", g->o);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        g->loops--;
        g->nvars--;
        break;
    }
    case 12:
    case 13: { /* var/in, names that shadow */
        static const char *names[] = {"a", "b", "c", "x"};
        int n = 1 + (int)rnd(2), base = g->nvars;
        fputs("(var ", g->o);
        for (int k = 0; k < n; k++) {
            const char *v = names[rnd(4)];
            fprintf(g->o, "%s%s", k ? ", " : "", v);
            if (rnd(4)) {
                fputs(" = ", g->o);
                gexpr(g, depth - 1);
            }
            if (g->nvars < 30) {
                g->vars[g->nvars] = v;
                g->assignable[g->nvars++] = 1;
            }
        }
        fputs(" in ", g->o);
        gexpr(g, depth - 1);
        fputc(')', g->o);
        g->nvars = base;
        break;
    }
    default: gleaf(g); break;
    }

#endif
