// osr_loops.cpp — loops that move from T1 into their T2 continuation while
// they run (on-stack replacement of C frames, kj_osr.c): each function below
// is entered once and its outermost loop runs thousands of times, so at
// --hot=1 --tier-sync (and in a default run, once its T2 body is made) the
// activation goes on in T2 code.  What must cross: locals whose addresses
// are live (an array, a struct), a value returned through a hidden pointer
// and a double, an exception thrown after the move and caught by the
// caller, a try/catch inside the loop, a longjmp out of the loop, and two
// threads in the same loop.
#include <csetjmp>
#include <cstring>
#include <pthread.h>
#include <stdexcept>

#include "check.h"

struct big { long v[6]; };

/* An array in the frame, its address kept in a pointer across the loop. */
__attribute__((noinline)) big frame_array(int rounds) {
    long buf[128];
    long *mid = buf + 64;
    std::memset(buf, 0, sizeof buf);
    big r = {};
    for (int k = 0; k < rounds; k++) {
        for (int i = 0; i < 128; i++) buf[i] += (i * 7 + k) % 13;
        r.v[k % 6] += *mid + buf[k & 127];
    }
    return r;
}

__attribute__((noinline)) double harmonic(int n) {
    double s = 0;
    for (int i = 1; i <= n; i++) s += 1.0 / i;
    return s;
}

/* Throws from inside the loop, long after the move. */
__attribute__((noinline)) long throws_late(int at) {
    long s = 0;
    for (int i = 0;; i++) {
        s += i % 11;
        if (i == at) throw std::runtime_error("late " + std::to_string(s));
    }
}

/* Catches inside its loop, every 1000th pass. */
__attribute__((noinline)) long catches_inside(int n) {
    long caught = 0, s = 0;
    for (int i = 0; i < n; i++) {
        try {
            if (i % 1000 == 999) throw i;
            s += i & 5;
        } catch (int k) {
            caught += k;
        }
    }
    return caught * 31 + s;
}

static jmp_buf out;
static volatile long jumped_with;

__attribute__((noinline)) void jumps_out(int at) {
    long s = 0;
    for (int i = 0;; i++) {
        s += (i ^ 3) & 7;
        if (i == at) {
            jumped_with = s;
            std::longjmp(out, 2);
        }
    }
}

static long thread_sum[2];

__attribute__((noinline)) long spin(long seed, int n) {
    long x = seed;
    for (int i = 0; i < n; i++) x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
}

static void *worker(void *arg) {
    long id = (long)arg;
    thread_sum[id] = spin(id + 1, 400000);
    return nullptr;
}

int main() {
    big b = frame_array(5000);
    std::printf("frame_array %ld %ld %ld %ld %ld %ld\n", b.v[0], b.v[1], b.v[2], b.v[3], b.v[4],
                b.v[5]);
    std::printf("harmonic %.9f\n", harmonic(300000));
    try {
        throws_late(200000);
        CHECK(!"no exception");
    } catch (const std::runtime_error &e) {
        std::printf("caught %s\n", e.what());
    }
    std::printf("catches_inside %ld\n", catches_inside(100000));
    if (setjmp(out) == 0) {
        jumps_out(150000);
        CHECK(!"no longjmp");
    } else {
        std::printf("jumped %ld\n", (long)jumped_with);
    }
    pthread_t t[2];
    for (long i = 0; i < 2; i++) CHECK(pthread_create(&t[i], nullptr, worker, (void *)i) == 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], nullptr);
    std::printf("threads %ld %ld\n", thread_sum[0], thread_sum[1]);
    CHECK_EQ(thread_sum[0], spin(1, 400000));
    return check_done();
}
