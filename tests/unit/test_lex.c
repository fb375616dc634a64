/*
 * test_lex.c — the lexer: token kinds, values, positions, comments, white
 * space, NUL bytes, and every lexer error with its position.
 */
#include <stdio.h>
#include <string.h>
#include "ks_lex.h"

#include "unit_test.h"

/* Diagnostics are collected as "LINE:COL: MSG\n". */
static char diags[4096];
static void collect(void *user, const ks_source *src, ks_pos pos, const char *msg) {
    size_t n = strlen(diags);
    snprintf(diags + n, sizeof diags - n, "%d:%d: %s\n", pos.line, pos.col, msg);
}

static ks_source src;
static ks_diag diag;
static ks_lexer lx;

static void start(const char *text, size_t len) {
    src = (ks_source){"t.ks", text, len, 1};
    diag = (ks_diag){collect, NULL, 0};
    diags[0] = '\0';
    ks_lex_init(&lx, &src, &diag);
}

/* Render all tokens as a compact string: kinds and texts, with positions. */
static const char *render(const char *text, size_t len) {
    static char out[4096];
    out[0] = '\0';
    start(text, len);
    for (int guard = 0; guard < 1000; guard++) {
        ks_token t = ks_lex_next(&lx);
        size_t n = strlen(out);
        switch (t.kind) {
        case KS_TOK_EOF:
            snprintf(out + n, sizeof out - n, "eof@%d:%d", t.pos.line, t.pos.col);
            return out;
        case KS_TOK_ERROR:
            snprintf(out + n, sizeof out - n, "err@%d:%d ", t.pos.line, t.pos.col);
            break;
        case KS_TOK_IDENT:
            snprintf(out + n, sizeof out - n, "id(%.*s)@%d:%d ", (int)t.len, t.text, t.pos.line,
                     t.pos.col);
            break;
        case KS_TOK_NUMBER:
            snprintf(out + n, sizeof out - n, "num(%g)@%d:%d ", t.num, t.pos.line, t.pos.col);
            break;
        case KS_TOK_CHAR:
            snprintf(out + n, sizeof out - n, "'%c'@%d:%d ", t.ch, t.pos.line, t.pos.col);
            break;
        default:
            snprintf(out + n, sizeof out - n, "%s@%d:%d ", ks_lex_kind_name(t.kind), t.pos.line,
                     t.pos.col);
            break;
        }
    }
    return "no eof";
}

#define LEX(text, want)                                                              \
    do {                                                                             \
        const char *got_ = render(text, sizeof(text) - 1);                           \
        CHECK(strcmp(got_, want) == 0, "\n  input %s\n  got  %s\n  want %s", #text, got_, \
              want);                                                                 \
    } while (0)

#define DIAGS(want) CHECK(strcmp(diags, want) == 0, "diagnostics:\n%s---want:\n%s", diags, want)

int main(void) {
    LEX("", "eof@1:1");
    LEX("   \t\n ", "eof@2:2");
    LEX("def extern if then else for in binary unary var",
        "'def'@1:1 'extern'@1:5 'if'@1:12 'then'@1:15 'else'@1:20 'for'@1:25 'in'@1:29 "
        "'binary'@1:32 'unary'@1:39 'var'@1:45 eof@1:48");
    LEX("x abc9 Def ifx in2 a1b2", "id(x)@1:1 id(abc9)@1:3 id(Def)@1:8 id(ifx)@1:12 id(in2)@1:16 "
                                   "id(a1b2)@1:20 eof@1:24");
    LEX("1 2.5 .5 7. 0042", "num(1)@1:1 num(2.5)@1:3 num(0.5)@1:7 num(7)@1:10 num(42)@1:13 eof@1:17");
    LEX("1e5", "num(1)@1:1 id(e5)@1:2 eof@1:4");
    LEX("a+b*(c)", "id(a)@1:1 '+'@1:2 id(b)@1:3 '*'@1:4 '('@1:5 id(c)@1:6 ')'@1:7 eof@1:8");
    LEX("!|&^~`'\"\\{}[]?@$%:", "'!'@1:1 '|'@1:2 '&'@1:3 '^'@1:4 '~'@1:5 '`'@1:6 '''@1:7 "
                              "'\"'@1:8 '\\'@1:9 '{'@1:10 '}'@1:11 '['@1:12 ']'@1:13 '?'@1:14 "
                              "'@'@1:15 '$'@1:16 '%'@1:17 ':'@1:18 eof@1:19");
    /* Comments run to the end of the line, whatever they contain. */
    LEX("a # comment \x01\xff def\nb", "id(a)@1:1 id(b)@2:1 eof@2:2");
    LEX("# only a comment", "eof@1:17");
    LEX("x\r\ny\v\fz", "id(x)@1:1 id(y)@2:1 id(z)@2:4 eof@2:5");
    /* Tabs count as one column: columns count bytes. */
    LEX("\tx\t\ty", "id(x)@1:2 id(y)@1:5 eof@1:6");

    /* Malformed numbers: one error at the start of the run. */
    LEX("1.2.3 x", "err@1:1 id(x)@1:7 eof@1:8");
    DIAGS("1:1: malformed number '1.2.3'\n");
    LEX("a .", "id(a)@1:1 err@1:3 eof@1:4");
    DIAGS("1:3: malformed number '.'\n");
    LEX("..", "err@1:1 eof@1:3");
    DIAGS("1:1: malformed number '..'\n");
    LEX("\n  1..2+", "err@2:3 '+'@2:7 eof@2:8");
    DIAGS("2:3: malformed number '1..2'\n");
    LEX("1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5",
        "err@1:1 eof@1:50");
    DIAGS("1:1: malformed number '1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0....'\n");

    /* Bytes outside printable ASCII: one error per run, then go on. */
    LEX("a\x01 b", "id(a)@1:1 err@1:2 id(b)@1:4 eof@1:5");
    DIAGS("1:2: unexpected byte 0x01\n");
    LEX("x = \xc3\xa9t\xc3\xa9", "id(x)@1:1 '='@1:3 err@1:5 id(t)@1:7 err@1:8 eof@1:10");
    DIAGS("1:5: unexpected byte 0xc3\n1:8: unexpected byte 0xc3\n");
    LEX("\x7f", "err@1:1 eof@1:2");
    DIAGS("1:1: unexpected byte 0x7f\n");
    /* NUL bytes are bytes: the text goes on after them. */
    LEX("a\0b", "id(a)@1:1 err@1:2 id(b)@1:3 eof@1:4");
    DIAGS("1:2: unexpected byte 0x00\n");
    LEX("1\0\0\0 2", "num(1)@1:1 err@1:2 num(2)@1:6 eof@1:7");

    /* The length is respected: nothing past it is read. */
    start("abc def", 2);
    ks_token t = ks_lex_next(&lx);
    CHECK(t.kind == KS_TOK_IDENT && t.len == 2, "kind %d len %zu", t.kind, t.len);
    CHECK(ks_lex_next(&lx).kind == KS_TOK_EOF, "not eof");
    /* A number at the very end of a buffer without a NUL after it. */
    char num[3] = {'4', '.', '5'};
    start(num, 3);
    t = ks_lex_next(&lx);
    CHECK(t.kind == KS_TOK_NUMBER && t.num == 4.5, "num %g", t.num);

    /* first_line offsets line numbers (the REPL continues a session). */
    src = (ks_source){"t.ks", "\nx", 2, 10};
    diag = (ks_diag){collect, NULL, 0};
    ks_lex_init(&lx, &src, &diag);
    t = ks_lex_next(&lx);
    CHECK(t.pos.line == 11 && t.pos.col == 1 && t.pos.off == 1, "pos %d:%d+%zu", t.pos.line,
          t.pos.col, t.pos.off);

    /* Offsets. */
    start("ab  cd", 6);
    ks_lex_next(&lx);
    t = ks_lex_next(&lx);
    CHECK(t.pos.off == 4 && t.len == 2, "off %zu", t.pos.off);
    CHECK(diag.errors == 0, "errors %d", diag.errors);
    start("\x01.", 2);
    ks_lex_next(&lx);
    ks_lex_next(&lx);
    CHECK(diag.errors == 2, "errors %d", diag.errors);

    CHECK(strcmp(ks_lex_kind_name(KS_TOK_IDENT), "identifier") == 0, "name");
    CHECK(strcmp(ks_lex_kind_name(KS_TOK_THEN), "'then'") == 0, "name");
    CHECK(strcmp(ks_lex_kind_name(KS_TOK_EOF), "end of input") == 0, "name");

    printf("test_lex: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
