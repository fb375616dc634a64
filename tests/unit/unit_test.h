/*
 * unit_test.h — the tally shared by the front end's unit tests:
 * CHECK(cond, fmt, ...) counts a pass or prints the failure with its
 * position and a message.
 */
#ifndef UNIT_TEST_H
#define UNIT_TEST_H
#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        if (cond) {                                               \
            passed++;                                             \
        } else {                                                  \
            failed++;                                             \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                                  \
            printf("\n");                                         \
        }                                                         \
    } while (0)

#endif
