/* exit_errx.c — errx() ends the program through the C library's own exit,
 * not the program's call of exit: its atexit handlers and its destructor
 * must still run, as in a native program (kjit ran neither). */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void handler(void) { printf("atexit handler\n"); }
__attribute__((destructor)) static void destructor(void) { printf("destructor\n"); }

int main(int argc, char **argv) {
    (void)argv;
    program_invocation_short_name = (char *)"exit_errx"; /* (errx prints it) */
    atexit(handler);
    printf("calling errx\n");
    fflush(stdout);
    if (argc > 0) errx(5, "errx with status 5");
    return 0;
}
