// A child the program forks inherits kjit's exit and signal handlers, but
// not the run's directory of bitcode: a child that exits, or that a signal
// ends, leaves it to kjit (a --watch reload writes there later), and kjit
// removes it at its own exit.
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir -p %t/tmp
// RUN: env TMPDIR=%t/tmp %kjit %s | FileCheck %s
// RUN: ls -A %t/tmp | FileCheck --allow-empty --check-prefix=EMPTY %s
// CHECK: before 1
// CHECK-NEXT: after a child's exit 1
// CHECK-NEXT: after a child's SIGTERM 1
// EMPTY-NOT: {{.}}
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int dirs(void) { /* kjit's directories in TMPDIR */
    DIR *d = opendir(getenv("TMPDIR"));
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strncmp(e->d_name, "kjit-cc-", 8) == 0;
    if (d) closedir(d);
    return n;
}

int main(void) {
    printf("before %d\n", dirs());
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) exit(0); /* (runs the exit handlers) */
    waitpid(p, NULL, 0);
    printf("after a child's exit %d\n", dirs());
    fflush(stdout);
    p = fork();
    if (p == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    waitpid(p, NULL, 0);
    printf("after a child's SIGTERM %d\n", dirs());
    return 0;
}
