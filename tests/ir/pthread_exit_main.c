/* pthread_exit_main.c — main ends with pthread_exit while another thread
 * still works (and makes first calls): natively the process ends when that
 * thread does, with status 0 and the atexit handlers run.  Under kjit its
 * compiler threads kept the process alive for ever (and blocked the signals
 * that would end it). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) static long work(long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += i % 13;
    return s;
}

__attribute__((noinline)) static long more_work(long n) { return work(n) * 2; }

static long result;
static void report(void) { printf("atexit: the worker computed %ld\n", result); }

static void *worker(void *arg) {
    (void)arg;
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    result = work(100000) + more_work(1000);
    return NULL;
}

int main(void) {
    atexit(report);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
    printf("main: pthread_exit\n");
    fflush(stdout);
    pthread_exit(NULL);
}
