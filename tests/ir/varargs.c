/* varargs.c — variadic functions defined in JIT'd code (va_list, va_arg of
 * ints, doubles, pointers and a small struct, va_copy), called directly and
 * through a pointer, with more arguments than registers; vsnprintf fed a
 * JIT'd va_list; printf with many arguments. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

struct pair {
    int a, b;
};

__attribute__((noinline)) long sum_ints(int n, ...) {
    va_list ap;
    va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

/* fmt: i int, l long long, d double, s string, p struct pair */
__attribute__((noinline)) double sum_mixed(const char *fmt, ...) {
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    double s = 0;
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case 'i': s += va_arg(ap, int); break;
        case 'l': s += (double)va_arg(ap, long long); break;
        case 'd': s += va_arg(ap, double); break;
        case 's': s += (double)strlen(va_arg(ap, const char *)); break;
        case 'p': {
            struct pair p = va_arg(ap, struct pair);
            s += p.a * 10 + p.b;
            break;
        }
        }
    }
    va_end(ap);
    /* The copy walks the same arguments again: the first one only. */
    double first = 0;
    if (fmt[0] == 'i') first = va_arg(again, int);
    if (fmt[0] == 'd') first = va_arg(again, double);
    va_end(again);
    return s + first * 1000;
}

__attribute__((noinline)) static int format_into(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* A va_list handed down to another JIT'd function. */
__attribute__((noinline)) static double vsum_doubles(int n, va_list ap) {
    double s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    return s;
}

__attribute__((noinline)) double sum_doubles(int n, ...) {
    va_list ap;
    va_start(ap, n);
    double s = vsum_doubles(n, ap);
    va_end(ap);
    return s;
}

long (*volatile sum_ints_ptr)(int, ...) = sum_ints;

int main(void) {
    CHECK_EQ(sum_ints(0), 0);
    CHECK_EQ(sum_ints(3, 1, 2, 3), 6);
    /* 20 ints: most of them on the stack. */
    long s20 = sum_ints(20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
    CHECK_EQ(s20, 210);
    CHECK_EQ(sum_ints_ptr(4, -1, -2, -3, -4), -10);
    printf("sum_ints: %ld %ld\n", s20, sum_ints_ptr(5, 100, 200, 300, 400, 500));

    /* 12 doubles: more than the 8 SSE argument registers. */
    double d12 = sum_doubles(12, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5);
    CHECK(d12 == 72.0);
    printf("sum_doubles: %.2f\n", d12);

    struct pair p = {3, 4};
    double m = sum_mixed("idlsp", 7, 0.25, 1000000000000LL, "hello", p);
    CHECK(m == 7 + 0.25 + 1e12 + 5 + 34 + 7000);
    double m2 = sum_mixed("ddddddddddiiiiiiiii", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0,
                          1, 2, 3, 4, 5, 6, 7, 8, 9);
    CHECK(m2 == 55 + 45 + 1000);
    printf("sum_mixed: %.2f %.2f\n", m, m2);

    char buf[256];
    int n = format_into(buf, sizeof buf, "%d|%s|%.3f|%c|%lld|%x|%5.1f|%-4d|", 42, "str", 3.14159,
                        'z', -123456789012LL, 0xbeef, 2.5, 7);
    CHECK_EQ(n, (int)strlen(buf));
    CHECK(strcmp(buf, "42|str|3.142|z|-123456789012|beef|  2.5|7   |") == 0);
    printf("vsnprintf: %s (%d)\n", buf, n);
    /* Truncation: the return value is the full length. */
    char small[8];
    CHECK_EQ(format_into(small, sizeof small, "%s-%d", "abcdefgh", 12345), 14);
    CHECK(strcmp(small, "abcdefg") == 0);

    printf("printf: %d %d %d %d %d %d %d %d %d %d %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f "
           "%.1f %s %ld %c\n",
           1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, "end",
           1234567890123L, '!');
    return check_done();
}
