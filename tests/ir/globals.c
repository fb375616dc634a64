/* globals.c — globals keep their values: a counter incremented across
 * calls, a static local, a global array and a pointer into it initialised
 * statically, a struct with a function pointer; the functions called often
 * enough to be recompiled, which must not initialise anything again. */
#include <stdio.h>
#include <string.h>

#include "check.h"

int counter;
static int table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
int *into_table = &table[3];
static const char *const words[] = {"zero", "one", "two", "three"};
static char buffer[32] = "abc";

static int twice(int x) { return 2 * x; }
struct op {
    const char *name;
    int (*fn)(int);
    int uses;
} ops = {"twice", twice, 0};

__attribute__((noinline)) int next(void) { return ++counter; }

__attribute__((noinline)) int calls(void) {
    static int n = 10; /* initialised once, not per call */
    return n++;
}

__attribute__((noinline)) static void append(char c) {
    size_t len = strlen(buffer);
    if (len + 1 < sizeof buffer) {
        buffer[len] = c;
        buffer[len + 1] = 0;
    }
}

__attribute__((noinline)) static int use_op(int x) {
    ops.uses++;
    return ops.fn(x);
}

int main(void) {
    CHECK_EQ(counter, 0);
    CHECK_EQ(*into_table, 4);
    CHECK_EQ(calls(), 10);
    CHECK_EQ(calls(), 11);
    for (int i = 0; i < 5000; i++) {
        CHECK_EQ(next(), i + 1);
        *into_table += 1;
        table[i % 8]++;
        if (i % 1000 == 0) append(words[i / 1000 % 4][0]);
        use_op(i);
    }
    CHECK_EQ(counter, 5000);
    int c = calls();
    CHECK_EQ(c, 12);
    CHECK_EQ(ops.uses, 5000);
    CHECK_EQ(use_op(21), 42);
    CHECK_EQ(strcmp(buffer, "abczottz"), 0);
    printf("counter %d, calls %d, table[3] %d, *into_table %d, buffer %s, uses %d\n", counter, c,
           table[3], *into_table, buffer, ops.uses);
    return check_done();
}
