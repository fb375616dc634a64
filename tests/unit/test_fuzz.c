/*
 * test_fuzz.c — the front end on hostile input: 1 MB of pseudo-random bytes
 * (several fixed seeds), 1 MB of random token soup built from the language's
 * own vocabulary, and pathological shapes (deep nesting, long chains, huge
 * lists and names).  Lexer -> parser -> sema run to EOF; the test checks that
 * each call makes progress (no hang), that errors are reported, and (under
 * ASan/UBSan) that nothing is touched out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ks_parse.h"
#include "ks_sema.h"

#include "unit_test.h"

#define MB (1u << 20)

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static FILE *devnull;
static long emitted;

/* Print a sample of the diagnostics, to exercise ks_diag_print too. */
static void emit(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    if (emitted++ % 16 == 0)
        ks_diag_print(devnull, src, pos, "error", msg);
}

typedef struct stats {
    long items, accepted, errors, calls;
} stats;

/* Lex, then parse and check, `text` to the end; returns what happened. */
static stats run(const char *name, const char *text, size_t len, int quiet) {
    stats st = {0};
    clock_t t0 = clock();
    ks_source src = {name, text, len, 1};
    ks_diag diag = {emit, NULL, 0};

    /* The lexer alone: every token is progress. */
    ks_lexer lx;
    ks_lex_init(&lx, &src, &diag);
    size_t ntok = 0, last = 0;
    int lex_ok = 1;
    for (;;) {
        ks_token t = ks_lex_next(&lx);
        if (t.kind == KS_TOK_EOF)
            break;
        if (++ntok > len || (ntok > 1 && lx.off <= last) || t.pos.off + t.len > len) {
            lex_ok = 0;
            break;
        }
        last = lx.off;
    }
    CHECK(lex_ok, "%s: lexer made no progress", name);

    diag.errors = 0;
    ks_optab ops;
    ks_optab_init(&ops);
    ks_sema *sema = ks_sema_new(&ops, &diag);
    ks_parser p;
    ks_parse_init(&p, &src, &ops, &diag, quiet);
    size_t before = p.tok.pos.off;
    for (;;) {
        ks_item *item;
        ks_parse_status s = ks_parse_item(&p, &item);
        st.calls++;
        if (s == KS_PARSE_EOF || s == KS_PARSE_INCOMPLETE)
            break;
        if (p.tok.kind != KS_TOK_EOF && p.tok.pos.off <= before) {
            CHECK(0, "%s: parser made no progress at offset %zu", name, before);
            break;
        }
        before = p.tok.pos.off;
        if (s == KS_PARSE_ITEM) {
            st.items++;
            if (ks_sema_check(sema, item) == 0) {
                st.accepted++;
                ks_ast_print(devnull, item);
            }
            ks_item_free(item);
        }
    }
    st.errors = diag.errors;
    ks_sema_free(sema);
    if (getenv("FUZZ_TIMES"))
        printf("  %-12.12s %.2fs\n", name, (double)(clock() - t0) / CLOCKS_PER_SEC);
    return st;
}

static void random_bytes(uint64_t seed) {
    char *buf = malloc(MB);
    rng_state = seed;
    for (size_t i = 0; i < MB; i++)
        buf[i] = (char)(rng() >> 56);
    char name[32];
    snprintf(name, sizeof name, "bytes-%llx", (unsigned long long)seed);
    stats st = run(name, buf, MB, 0);
    CHECK(st.errors > 1000, "%s: only %ld errors", name, st.errors);
    printf("%s: %ld items, %ld accepted, %ld errors\n", name, st.items, st.accepted, st.errors);
    free(buf);
}

/* Random lines of printable ASCII: more tokens, fewer byte errors (the
 * newlines end the comments that '#' starts). */
static void random_ascii(uint64_t seed) {
    char *buf = malloc(MB);
    rng_state = seed;
    for (size_t i = 0; i < MB; i++)
        buf[i] = rng() % 64 == 0 ? '\n' : (char)(0x20 + (rng() >> 32) % 0x5f);
    stats st = run("ascii", buf, MB, 0);
    CHECK(st.errors > 100, "ascii: only %ld errors", st.errors);
    printf("ascii: %ld items, %ld accepted, %ld errors\n", st.items, st.accepted, st.errors);
    free(buf);
}

static const char *const vocab[] = {
    "def", "extern", "if", "then", "else", "for", "in", "binary", "unary", "var", "x", "y", "z",
    "foo", "f", "g", "1", "2.5", "0", ".5", "1.2.3", ".", "(", ")", "(", ")", ",", ",", ";",
    "+", "-", "*", "/", "<", "=", "!", "|", "&", ":", "%", "~", "#c\n", "\n", "\t", "\x01",
    "\xc3\xa9", "binary|", "unary!", "binary& 5", "unary-", "100", "101", "def f(x y)",
    "def g(x)", "extern h(a b c)", "var a = 1 in", "for i = 0, i < 3 in", "f(1, 2)", "g(x)"};

static void token_soup(uint64_t seed, int quiet) {
    char *buf = malloc(MB);
    size_t n = 0;
    rng_state = seed;
    while (n < MB - 64) {
        const char *w = vocab[rng() % (sizeof vocab / sizeof vocab[0])];
        size_t l = strlen(w);
        memcpy(buf + n, w, l);
        n += l;
        buf[n++] = ' ';
    }
    stats st = run("soup", buf, n, quiet);
    CHECK(st.errors > 100, "soup: only %ld errors", st.errors);
    CHECK(st.accepted > 10, "soup: only %ld accepted", st.accepted);
    printf("soup%s: %ld items, %ld accepted, %ld errors\n", quiet ? " (repl)" : "", st.items,
           st.accepted, st.errors);
    free(buf);
}

/* `prefix` then `unit` repeated to fill 256 KB (plenty for shapes), then `tail`. */
#define SHAPE_SIZE (MB / 4)
static stats shape(const char *prefix, const char *unit, const char *tail) {
    size_t pl = strlen(prefix), ul = strlen(unit), tl = strlen(tail);
    char *buf = malloc(SHAPE_SIZE + pl + tl);
    memcpy(buf, prefix, pl);
    size_t n = pl;
    while (n + ul <= SHAPE_SIZE + pl) {
        memcpy(buf + n, unit, ul);
        n += ul;
    }
    memcpy(buf + n, tail, tl);
    n += tl;
    stats st = run(unit, buf, n, 0);
    free(buf);
    return st;
}

/* Many distinct names: scopes and duplicate checks must stay linear. */
static void distinct_names(void) {
    char *buf = malloc(MB + 64);
    size_t n = (size_t)sprintf(buf, "def f(");
    int k = 0;
    while (n < MB / 2)
        n += (size_t)sprintf(buf + n, "p%d ", k++);
    n += (size_t)sprintf(buf + n, ") var ");
    for (int i = 0; n < MB; i++)
        n += (size_t)sprintf(buf + n, "v%d = p%d, ", i, i % k);
    n += (size_t)sprintf(buf + n, "w in w");
    stats st = run("distinct", buf, n, 0);
    CHECK(st.errors == 0 && st.accepted == 1, "distinct names: %ld errors", st.errors);
    free(buf);
}

static void shapes(void) {
    stats st;
    st = shape("", "(", "1");
    CHECK(st.errors >= 1, "deep parens: %ld errors", st.errors);
    st = shape("", "1+", "1");
    CHECK(st.errors >= 1, "long chain: %ld errors", st.errors);
    st = shape("def unary!(v) v;", "!", "1");
    CHECK(st.errors >= 1, "unary chain: %ld errors", st.errors);
    st = shape("", "if 1 then ", "1");
    CHECK(st.errors >= 1, "if chain: %ld errors", st.errors);
    st = shape("", "var a = ", "1");
    CHECK(st.errors >= 1, "var chain: %ld errors", st.errors);
    st = shape("", "-", "1");
    CHECK(st.errors >= 1, "minus chain: %ld errors", st.errors);
    st = shape("", "f(", "1");
    CHECK(st.errors >= 1, "call chain: %ld errors", st.errors);
    /* Wide rather than deep: accepted, in linear time. */
    st = shape("extern f(a); f(0", ",1", ")");
    CHECK(st.errors == 1 && st.items == 2, "long argument list: %ld errors", st.errors);
    st = shape("def f(", "a ", ") 1");
    CHECK(st.errors > 1000, "many duplicate parameters: %ld errors", st.errors);
    st = shape("var ", "a, ", "b in b");
    CHECK(st.errors == 0 && st.accepted == 1, "long var list: %ld errors", st.errors);
    st = shape("def f(x) var ", "a = x + b, ", "b in b");
    CHECK(st.errors > 1000, "long var list of unknowns: %ld errors", st.errors);
    st = shape("", "a", "");
    CHECK(st.errors == 1, "256 KB identifier: %ld errors", st.errors);
    st = shape("", "9", "");
    CHECK(st.errors == 0 && st.accepted == 1, "256 KB number: %ld errors", st.errors);
    st = shape("", "1.", "");
    CHECK(st.errors == 1, "256 KB malformed number: %ld errors", st.errors);
    st = shape("", "\x01 ", "");
    CHECK(st.errors > 1000, "bad bytes: %ld errors", st.errors);
    st = shape("", ";", "");
    CHECK(st.errors == 0 && st.items == 0, "semicolons: %ld", st.errors);
    st = shape("", ")", "");
    CHECK(st.errors == 1, "closing parens (one error, then skipped): %ld", st.errors);
    st = shape("", "def ", "");
    CHECK(st.errors > 1000, "defs: %ld", st.errors);
}

int main(void) {
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        return 2;
    random_bytes(1);
    random_bytes(0x5eed);
    random_bytes(0xdeadbeef);
    random_ascii(42);
    token_soup(7, 0);
    token_soup(8, 1);
    shapes();
    distinct_names();
    fclose(devnull);
    printf("test_fuzz: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
