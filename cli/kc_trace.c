/*
 * kc_trace.c — --trace: the JIT's events (kjit_set_trace) as they happen,
 * as one line each on stderr, or (--trace=FILE.json) as a Chrome trace
 * that chrome://tracing and ui.perfetto.dev open as a timeline: the program
 * thread and each compiler thread are a track, compiles are spans, the
 * rest are instants.
 */
#include "kc_trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct kc_trace {
    pthread_mutex_t lock; /* events come from several threads */
    FILE *json;           /* NULL: text on stderr */
    int nevents;
    dev_t dev;            /* which file json is */
    ino_t ino;
    int lost;             /* the program took json's descriptor */
};

/* Whether the trace's descriptor is still its file.  A program may close
 * every descriptor above 2 and open its own in their place: the trace would
 * then go into the program's file.  If it is not, the buffer is dropped and
 * the stream left unclosed (closing it would close the program's file), and
 * kc_trace_end says the trace is incomplete. */
static int still_ours(kc_trace *t) {
    struct stat st;
    if (t->lost) return 0;
    if (fstat(fileno(t->json), &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino) return 1;
    __fpurge(t->json);
    t->lost = 1;
    return 0;
}

/* A JSON string body: quotes, backslashes and control bytes escaped. */
static void json_str(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void on_event(void *user, const kjit_event *ev) {
    kc_trace *t = user;
    pthread_mutex_lock(&t->lock);
    if (!t->json) {
        fprintf(stderr, "trace %9.3f ms  thread %d  %-11s %s", ev->time_us / 1e3, ev->thread,
                kjit_event_name(ev->kind), ev->name);
        if (ev->tier[0]) fprintf(stderr, " [%s]", ev->tier);
        if (ev->dur_us) fprintf(stderr, " %.3f ms", ev->dur_us / 1e3);
        if (ev->bytes) fprintf(stderr, " %llu bytes", (unsigned long long)ev->bytes);
        if (ev->message[0]) fprintf(stderr, " %s", ev->message);
        fputc('\n', stderr);
    } else if (still_ours(t)) {
        FILE *f = t->json;
        fprintf(f, "%s\n{\"name\":\"", t->nevents++ ? "," : "");
        if (ev->kind == KJIT_EV_COMPILED) fputs("compile ", f);
        else fprintf(f, "%s ", kjit_event_name(ev->kind));
        json_str(f, ev->name[0] ? ev->name : ev->message);
        if (ev->tier[0]) fprintf(f, " [%s]", ev->tier);
        fprintf(f, "\",\"cat\":\"%s\",\"pid\":1,\"tid\":%d,\"ts\":%llu", kjit_event_name(ev->kind),
                ev->thread, (unsigned long long)ev->time_us);
        if (ev->dur_us)
            fprintf(f, ",\"ph\":\"X\",\"dur\":%llu", (unsigned long long)ev->dur_us);
        else
            fprintf(f, ",\"ph\":\"i\",\"s\":\"t\"");
        fprintf(f, ",\"args\":{\"bytes\":%llu}}", (unsigned long long)ev->bytes);
    }
    pthread_mutex_unlock(&t->lock);
}

kc_trace *kc_trace_start(kjit *jit, const char *path) {
    kc_trace *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pthread_mutex_init(&t->lock, NULL);
    if (path) {
        t->json = fopen(path, "w");
        if (!t->json) {
            fprintf(stderr, "kjit: error: cannot write the trace to '%s'\n", path);
            free(t);
            return NULL;
        }
        struct stat st;
        if (fstat(fileno(t->json), &st) == 0) t->dev = st.st_dev, t->ino = st.st_ino;
        /* Track names: thread 1 is the program's (it defines first). */
        fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n"
              "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,"
              "\"args\":{\"name\":\"program\"}}", t->json);
        t->nevents = 1;
        for (int i = 2; i <= 9; i++)
            fprintf(t->json, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                    "\"args\":{\"name\":\"compiler %d\"}}", i, i - 1);
    }
    kjit_set_trace(jit, on_event, t);
    return t;
}

int kc_trace_end(kc_trace *t) {
    if (!t) return 0;
    int bad = 0;
    if (t->json && still_ours(t)) {
        fputs("\n]}\n", t->json);
        bad = fclose(t->json) != 0;
        if (bad) fprintf(stderr, "kjit: error: cannot write the trace file\n");
    } else if (t->json) {
        fprintf(stderr, "kjit: error: the trace file is incomplete: the program closed its "
                        "descriptor\n");
        bad = 1;
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
    return bad;
}
