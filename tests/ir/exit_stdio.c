/* exit_stdio.c — exit() called three JIT'd frames down with status 7; a
 * destructor that prints at exit; output left without a trailing newline; and
 * stdout's buffering against stderr and raw write(2)s.  The runner sends
 * stdout and stderr into one pipe for this program, so the order in which
 * the bytes arrive is compared with the native run: stdout on a pipe is
 * fully buffered (flushed at exit and at fflush), stderr is not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s) {
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

__attribute__((destructor)) static void bye(void) { printf("destructor: bye, without a newline"); }

__attribute__((noinline)) static void level3(int status) {
    printf("level3: exiting with %d\n", status);
    fprintf(stderr, "stderr: level3\n");
    exit(status);
}
__attribute__((noinline)) static int level2(int s) {
    level3(s + 2);
    return 99; /* never */
}
__attribute__((noinline)) static int level1(int s) { return level2(s + 2) + 1; }

int main(void) {
    printf("stdout: first, buffered\n");
    fprintf(stderr, "stderr: first, unbuffered\n");
    say("write: straight to fd 1\n");
    fflush(stdout);
    say("write: after fflush\n");
    printf("stdout: a partial line... ");
    fprintf(stderr, "stderr: second\n");
    printf("continued\n");
    fputs("stdout: before exit, no newline at the end: ", stdout);
    int r = level1(3);
    printf("not reached %d\n", r);
    return 0;
}
