/* cancel_first_call.c — a thread cancelled while it makes first calls.
 * The worker calls 32 functions for the first time (each compiled, or
 * loaded from the code cache, on its thread) and then waits at
 * pthread_testcancel; main cancels it 2 ms after starting it, most likely
 * while kjit works for one of those calls, where kjit holds its locks
 * across cancellation points (waits, the cache's files).  Then main makes
 * 32 other first calls: a lock left held by the cancelled thread would
 * hang them.  Each function's result is checked against a loop in main. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "check.h"

#define F(k)                                                                                   \
    __attribute__((noinline)) static long f##k(long x) {                                       \
        long s = 0;                                                                            \
        for (long i = 0; i < x; i++) s += (i * (k + 1)) ^ (s >> 3);                            \
        return s;                                                                              \
    }
#define F8(p) F(p##0) F(p##1) F(p##2) F(p##3) F(p##4) F(p##5) F(p##6) F(p##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)

typedef long (*fn)(long);
#define R8(p) f##p##0, f##p##1, f##p##2, f##p##3, f##p##4, f##p##5, f##p##6, f##p##7,
static fn const fns[64] = {R8(1) R8(2) R8(3) R8(4) R8(5) R8(6) R8(7) R8(8)};
static const int ids[64] = {10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27,
                            30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47,
                            50, 51, 52, 53, 54, 55, 56, 57, 60, 61, 62, 63, 64, 65, 66, 67,
                            70, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 85, 86, 87};

static long expected(int k, long x) {
    long s = 0;
    for (long i = 0; i < x; i++) s += (i * (ids[k] + 1)) ^ (s >> 3);
    return s;
}

static long got[32];

static void *worker(void *arg) {
    (void)arg;
    for (int k = 0; k < 32; k++) got[k] = fns[k](10 + k);
    for (;;) pthread_testcancel();
    return NULL;
}

int main(void) {
    for (int k = 0; k < 32; k++) got[k] = -1;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, worker, NULL), 0);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    CHECK_EQ(pthread_cancel(t), 0);
    void *res = NULL;
    CHECK_EQ(pthread_join(t, &res), 0);
    CHECK(res == PTHREAD_CANCELED);
    int right = 0, made = 0;
    for (int k = 0; k < 32; k++)
        if (got[k] != -1) made++, right += got[k] == expected(k, 10 + k);
    CHECK_EQ(right, made);
    long sum = 0;
    for (int k = 32; k < 64; k++) {
        long v = fns[k](10 + k);
        CHECK_EQ(v, expected(k, 10 + k));
        sum += v;
    }
    printf("cancelled: %d; after it, 32 first calls: %ld\n", res == PTHREAD_CANCELED, sum);
    return check_done();
}
