/* errno_first_call.c — errno survives kjit's work on the program's thread.
 * A function's first call compiles it (or loads it from the code cache)
 * on the calling thread, and a hot function's counter reports to kjit
 * there; the callee must see errno as its caller left it: a failed
 * fopen's error reported by a function called for the first time, strtol's
 * ERANGE checked by another, and 40 functions each first called with a
 * distinct errno (and called again while hot), returning what they saw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

__attribute__((noinline)) static int report(const char *path) {
    printf("cannot open %s: %s\n", path, strerror(errno));
    return errno;
}

__attribute__((noinline)) static int range_error(void) { return errno == ERANGE; }

#define SEEN(k) \
    __attribute__((noinline)) static int seen##k(int x) { return errno + x * 0 + k * 0; }
SEEN(0) SEEN(1) SEEN(2) SEEN(3) SEEN(4) SEEN(5) SEEN(6) SEEN(7) SEEN(8) SEEN(9)
SEEN(10) SEEN(11) SEEN(12) SEEN(13) SEEN(14) SEEN(15) SEEN(16) SEEN(17) SEEN(18) SEEN(19)
SEEN(20) SEEN(21) SEEN(22) SEEN(23) SEEN(24) SEEN(25) SEEN(26) SEEN(27) SEEN(28) SEEN(29)
SEEN(30) SEEN(31) SEEN(32) SEEN(33) SEEN(34) SEEN(35) SEEN(36) SEEN(37) SEEN(38) SEEN(39)

typedef int (*seen_fn)(int);
static seen_fn const seen[40] = {
    seen0,  seen1,  seen2,  seen3,  seen4,  seen5,  seen6,  seen7,  seen8,  seen9,
    seen10, seen11, seen12, seen13, seen14, seen15, seen16, seen17, seen18, seen19,
    seen20, seen21, seen22, seen23, seen24, seen25, seen26, seen27, seen28, seen29,
    seen30, seen31, seen32, seen33, seen34, seen35, seen36, seen37, seen38, seen39};

int main(void) {
    FILE *f = fopen("/nonexistent-kjit-dir/file", "r");
    CHECK(f == NULL);
    CHECK_EQ(report("/nonexistent-kjit-dir/file"), ENOENT);

    errno = 0;
    long v = strtol("99999999999999999999999", NULL, 10);
    CHECK_EQ(range_error(), 1);
    printf("strtol: %ld, range error seen\n", v);

    int wrong = 0;
    for (int round = 0; round < 3000; round++)
        for (int k = 0; k < 40; k++) {
            errno = 1000 + k + round;
            if (seen[k](round) != 1000 + k + round) wrong++;
        }
    CHECK_EQ(wrong, 0);
    printf("40 functions, 3000 rounds: %d saw another errno\n", wrong);
    return check_done();
}
