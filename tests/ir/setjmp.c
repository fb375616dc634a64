/* setjmp.c — longjmp out of several JIT'd frames, to a setjmp in main and
 * to a nested one in a JIT'd function; volatile locals keep their values;
 * setjmp returning again and again in a loop. */
#include <setjmp.h>
#include <stdio.h>

#include "check.h"

static jmp_buf outer;
static int depth_reached;

__attribute__((noinline)) static void dive(int depth, int jump_at) {
    volatile char frame[64];
    frame[depth % 64] = (char)depth;
    depth_reached = depth;
    if (depth == jump_at) longjmp(outer, depth);
    dive(depth + 1, jump_at);
    frame[0]++; /* never reached: no tail call */
}

__attribute__((noinline)) static int inner_catch(int jump_at) {
    jmp_buf saved;
    volatile int stage = 0;
    __builtin_memcpy(saved, outer, sizeof saved);
    int r = setjmp(outer);
    if (r == 0) {
        stage = 1;
        dive(0, jump_at);
        stage = 2; /* not reached */
    }
    __builtin_memcpy(outer, saved, sizeof saved);
    printf("inner_catch: caught %d at stage %d\n", r, stage);
    CHECK_EQ(stage, 1);
    /* Now jump further, to main's setjmp. */
    longjmp(outer, 1000 + r);
    return -1;
}

static jmp_buf loop_env;

__attribute__((noinline)) static void loop_jumper(int i) {
    if (i < 5) longjmp(loop_env, i + 1);
}

int main(void) {
    volatile int count = 0;
    int r = setjmp(outer);
    count++;
    if (r == 0) {
        dive(0, 10);
    } else if (r == 10) {
        printf("main: longjmp from depth %d (returned %d)\n", depth_reached, r);
        CHECK_EQ(depth_reached, 10);
        inner_catch(25);
    } else {
        printf("main: second longjmp returned %d\n", r);
        CHECK_EQ(r, 1025);
        CHECK_EQ(depth_reached, 25);
    }
    if (r != 1025) {
        CHECK(0); /* the sequence above must end with r == 1025 */
        return check_done();
    }
    CHECK_EQ(count, 3);

    /* setjmp returns 6 times; a zero value passed to longjmp becomes 1. */
    volatile int rounds = 0;
    int v = setjmp(loop_env);
    rounds++;
    loop_jumper(v);
    CHECK_EQ(rounds, 6);
    CHECK_EQ(v, 5);
    if (rounds == 6) {
        jmp_buf z;
        volatile int seen = 0;
        int w = setjmp(z);
        if (w == 0) {
            seen++;
            longjmp(z, 0);
        }
        CHECK_EQ(w, 1);
        CHECK_EQ(seen, 1);
    }
    printf("loop: %d rounds, last %d\n", rounds, v);
    return check_done();
}
