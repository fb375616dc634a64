/* fnptr.c — function addresses: the address of a JIT'd function taken in
 * two functions, stored in a statically initialised table and in a global
 * compares equal; qsort and bsearch with JIT'd comparators (callbacks from
 * libc into JIT'd code); libc functions' addresses taken and called. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef int (*binop)(int, int);

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
int mul(int a, int b) { return a * b; }

static const binop table[] = {add, sub, mul};
static const struct {
    const char *name;
    binop fn;
} named[] = {{"add", add}, {"sub", sub}, {"mul", mul}};
binop global_add = add;

__attribute__((noinline)) binop take_add_a(void) { return add; }
__attribute__((noinline)) binop take_add_b(void) { return &add; }
__attribute__((noinline)) binop take_mul(void) { return mul; }
__attribute__((noinline)) size_t (*take_strlen(void))(const char *) { return strlen; }

__attribute__((noinline)) static int apply(binop f, int a, int b) { return f(a, b); }

static int calls;
static int cmp_int(const void *a, const void *b) {
    calls++;
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

struct rec {
    const char *key;
    int value;
};
static int cmp_rec(const void *a, const void *b) {
    return strcmp(((const struct rec *)a)->key, ((const struct rec *)b)->key);
}

int main(void) {
    CHECK(take_add_a() == take_add_b());
    CHECK(take_add_a() == table[0]);
    CHECK(take_add_b() == named[0].fn);
    CHECK(global_add == add);
    CHECK(take_mul() == table[2]);
    CHECK(take_mul() == mul);
    CHECK(table[0] != table[1]);
    CHECK(take_strlen() == strlen);
    int total = 0;
    for (int i = 0; i < 3; i++) {
        int v = apply(table[i], 12, 5);
        CHECK_EQ(v, named[i].fn(12, 5));
        printf("%s(12, 5) = %d\n", named[i].name, v);
        total += v;
    }
    CHECK_EQ(total, 17 + 7 + 60);
    CHECK_EQ(take_strlen()("seven!!"), 7);

    int v[200];
    unsigned x = 12345;
    for (int i = 0; i < 200; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (int)(x >> 16) % 1000 - 500;
    }
    qsort(v, 200, sizeof v[0], cmp_int);
    for (int i = 1; i < 200; i++) CHECK(v[i - 1] <= v[i]);
    CHECK(calls > 200);
    printf("qsort: first %d %d %d, last %d\n", v[0], v[1], v[2], v[199]);

    struct rec recs[] = {{"pear", 4}, {"apple", 1}, {"fig", 3}, {"banana", 2}, {"quince", 5}};
    qsort(recs, 5, sizeof recs[0], cmp_rec);
    struct rec want = {"fig", 0};
    struct rec *found = bsearch(&want, recs, 5, sizeof recs[0], cmp_rec);
    CHECK(found && found->value == 3);
    struct rec none = {"grape", 0};
    CHECK(bsearch(&none, recs, 5, sizeof recs[0], cmp_rec) == NULL);
    printf("sorted:");
    for (int i = 0; i < 5; i++) printf(" %s=%d", recs[i].key, recs[i].value);
    printf("\nbsearch fig: %d\n", found ? found->value : -1);

    int (*put)(const char *) = puts;
    put("called puts through a pointer");
    return check_done();
}
