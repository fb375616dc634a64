/* nonshared — pthread_atfork and at_quick_exit, which glibc keeps in
 * libc_nonshared.a (a native program links them statically; libc.so does
 * not export them), as atexit: kjit said "call to undefined function
 * 'pthread_atfork'".  The fork handlers run around a fork (the child's in
 * the child, which reports through its exit status); quick_exit runs the
 * at_quick_exit handlers, in reverse, and exits with its status (0: the
 * runner compares it with the native build's, which must be 0). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int prepared, in_parent, in_child;

static void prepare(void) { prepared++; }
static void parent(void) { in_parent++; }
static void child(void) { in_child++; }

/* (quick_exit flushes no stream: each handler does) */
static void first(void) {
    puts("quick_exit: registered first, runs last");
    fflush(stdout);
}
static void second(void) {
    puts("quick_exit: registered second, runs first");
    fflush(stdout);
}

int main(void) {
    CHECK_EQ(pthread_atfork(prepare, parent, child), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(in_child == 1 && prepared == 1 && in_parent == 0 ? 7 : 1);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
    CHECK_EQ(prepared, 1);
    CHECK_EQ(in_parent, 1);
    CHECK_EQ(in_child, 0);
    printf("fork handlers: prepare %d, parent %d, child's status %d\n", prepared, in_parent,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK_EQ(at_quick_exit(first), 0);
    CHECK_EQ(at_quick_exit(second), 0);
    if (check_done()) return 1;
    fflush(stdout);
    quick_exit(0);
}
