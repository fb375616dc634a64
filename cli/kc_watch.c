/*
 * kc_watch.c — --watch by inotify (kc_watch.h).
 *
 * Every directory holding a watched file is watched for files written
 * (IN_CLOSE_WRITE), renamed into place (IN_MOVED_TO: how editors and clang
 * save), created, deleted or renamed away.  A change starts a quiet period
 * of KC_WATCH_QUIET_MS with no further event (an editor's save is several
 * events); then each unit one of whose files changed is, in order:
 * recompiled if it is a source (clang's diagnostics as clang prints them;
 * the old code runs on after an error), checked, and reloaded.  A watched
 * file that is gone after the quiet period is a warning, and it is watched
 * for again.
 */
#include "kc_watch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_ir.h"

#include <llvm-c/BitReader.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>

#define KC_WATCH_QUIET_MS 30

typedef struct wdir {
    int wd;
    char *path;              /* as realpath gives it */
} wdir;

typedef struct watcher {
    kjit *jit;
    kc_unit *units;
    int n;
    kc_cc *cc;
    int fd;
    wdir *dirs;
    int ndirs, cap;
} watcher;

/* dir/base of path with dir made real (the file itself may be gone). */
static char *real_name(const char *path) {
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path) snprintf(dir, sizeof dir, "/");
    if (!realpath(dir, real)) return NULL;
    char *out = NULL;
    if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", slash ? slash + 1 : path) < 0)
        return NULL;
    return out;
}

static void watch_dir_of(watcher *w, const char *file) {
    char *rn = real_name(file);
    if (!rn) return;
    *strrchr(rn, '/') = 0;
    for (int i = 0; i < w->ndirs; i++)
        if (strcmp(w->dirs[i].path, rn) == 0) return free(rn);
    int wd = inotify_add_watch(w->fd, rn[0] ? rn : "/",
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                   IN_MOVED_FROM);
    if (wd < 0) {
        fprintf(stderr, "kjit: warning: cannot watch %s: %s\n", rn, strerror(errno));
        return free(rn);
    }
    if (w->ndirs == w->cap) {
        int cap = w->cap ? 2 * w->cap : 8;
        wdir *d = realloc(w->dirs, (size_t)cap * sizeof *d);
        if (!d) return free(rn);
        w->dirs = d, w->cap = cap;
    }
    w->dirs[w->ndirs++] = (wdir){wd, rn};
}

static void watch_unit(watcher *w, kc_unit *u) {
    if (!u->deps) return watch_dir_of(w, u->name);
    for (char **d = u->deps; *d; d++)
        if (**d) watch_dir_of(w, *d);
}

/* Whether the event's file (dir/name) is one of u's. */
static int unit_has(const kc_unit *u, const char *changed) {
    if (!u->deps) {
        char *rn = real_name(u->name);
        int r = rn && strcmp(rn, changed) == 0;
        free(rn);
        return r;
    }
    for (char **d = u->deps; *d; d++) {
        char *rn = **d ? real_name(*d) : NULL;
        int r = rn && strcmp(rn, changed) == 0;
        free(rn);
        if (r) return 1;
    }
    return 0;
}

/* The functions clang inlined into fname in the bitcode file bc, by its
 * debug info (none without -g): "value(), offset()" in out, or "". */
static void inlined_into(const char *bc, const char *fname, char *out, size_t len) {
    out[0] = 0;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMMemoryBufferRef buf = NULL;
    LLVMModuleRef m = NULL;
    char *msg = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(bc, &buf, &msg) != 0 ||
        LLVMParseBitcodeInContext2(ctx, buf, &m) != 0)
        m = NULL;
    LLVMDisposeMessage(msg);
    if (buf) LLVMDisposeMemoryBuffer(buf);
    LLVMValueRef f = m ? LLVMGetNamedFunction(m, fname) : NULL;
    for (LLVMBasicBlockRef b = f ? LLVMGetFirstBasicBlock(f) : NULL; b; b = LLVMGetNextBasicBlock(b))
        for (LLVMValueRef i = LLVMGetFirstInstruction(b); i; i = LLVMGetNextInstruction(i)) {
            LLVMMetadataRef loc = LLVMInstructionGetDebugLoc(i);
            if (!loc || !LLVMDILocationGetInlinedAt(loc)) continue;
            /* The inlined code's scope, up to its subprogram: operand 1 of
             * a lexical block is its scope, operand 2 of a subprogram its
             * name. */
            LLVMMetadataRef sc = LLVMDILocationGetScope(loc);
            for (int depth = 0; sc && depth < 64; depth++) {
                LLVMMetadataKind k = LLVMGetMetadataKind(sc);
                if (k != LLVMDILexicalBlockMetadataKind && k != LLVMDILexicalBlockFileMetadataKind)
                    break;
                LLVMValueRef v = LLVMMetadataAsValue(ctx, sc), ops[2];
                if (LLVMGetMDNodeNumOperands(v) < 2) break;
                LLVMGetMDNodeOperands(v, ops);
                sc = ops[1] ? LLVMValueAsMetadata(ops[1]) : NULL;
            }
            if (!sc || LLVMGetMetadataKind(sc) != LLVMDISubprogramMetadataKind) continue;
            LLVMValueRef v = LLVMMetadataAsValue(ctx, sc), ops[3];
            if (LLVMGetMDNodeNumOperands(v) < 3) continue;
            LLVMGetMDNodeOperands(v, ops);
            unsigned n = 0;
            const char *name = ops[2] ? LLVMGetMDString(ops[2], &n) : NULL;
            if (!name || !n) continue;
            char item[256];
            snprintf(item, sizeof item, "%.*s()", (int)n, name);
            size_t have = strlen(out);
            int dup = 0;
            for (const char *q = out; (q = strstr(q, item)); q++)
                if ((q == out || q[-1] == ' ') && (q[strlen(item)] == ',' || !q[strlen(item)]))
                    dup = 1;
            if (!dup && have + strlen(item) + 3 < len)
                snprintf(out + have, len - have, "%s%s", have ? ", " : "", item);
        }
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
}

/* Held from a reload's install to the end of what it says: the program may
 * run the new code, and end, before the line is printed, and its exit
 * waits here (kc_watch_quiesce) so that the line is neither lost nor
 * printed after the exit's own (--stats). */
static pthread_mutex_t g_saying = PTHREAD_MUTEX_INITIALIZER;

void kc_watch_quiesce(void) { pthread_mutex_lock(&g_saying); /* (kept: no reload after) */ }

static void reload_said(const kc_unit *u, const kjit_reload *r);

static void reload(watcher *w, kc_unit *u) {
    const char *file = u->deps ? u->deps[0] : u->name;
    if (access(file, F_OK) != 0) {
        fprintf(stderr, "kjit: warning: %s was deleted or renamed: the program goes on with its "
                        "code (watching for the file to come back)\n", file);
        return;
    }
    if (u->deps) {
        char **deps = NULL;
        if (kc_cc_compile(w->cc, u->name, u->bc, &deps) != 0) {
            fprintf(stderr, "kjit: %s did not compile: the program goes on with its code\n",
                    u->name);
            return;
        }
        kc_cc_free_deps(u->deps);
        u->deps = deps;
        watch_unit(w, u); /* (a header newly included) */
    } else if (kc_file_is_binary(u->bc)) { /* (LLVM would quote a line of it) */
        fprintf(stderr, "kjit: reload of %s failed, the program goes on: %s: not LLVM IR "
                        "(bitcode or text): binary data\n", u->name, u->name);
        return;
    }
    size_t len;
    char *data = kc_read_file(u->bc, &len);
    if (!data) {
        fprintf(stderr, "kjit: reload of %s failed, the program goes on: cannot read %s: %s\n",
                u->name, u->bc, strerror(errno));
        return;
    }
    kjit_reload r;
    pthread_mutex_lock(&g_saying);
    kjit_status st = kjit_reload_module_memory(w->jit, data, len, u->name, &r);
    free(data);
    if (st != KJIT_OK)
        fprintf(stderr, "kjit: reload of %s failed, the program goes on: %s\n", u->name,
                kjit_errmsg());
    else
        reload_said(u, &r);
    pthread_mutex_unlock(&g_saying);
}

/* The lines of a reload that succeeded. */
static void reload_said(const kc_unit *u, const kjit_reload *r) {
    fprintf(stderr, "kjit: reloaded %s: %d changed, %d added, %d refused%s%s (%.1f ms)\n",
            u->name, r->changed, r->added, r->refused, r->refused ? ": " : "", r->refused_names,
            r->us / 1e3);
    /* main runs until the program ends: its new body is never entered.  In
     * bitcode clang optimised, an edit of a function it inlined into main
     * lands here too. */
    for (const char *n = r->changed_names; (n = strstr(n, "main")); n += 4)
        if ((n == r->changed_names || n[-1] == ' ') && (!n[4] || n[4] == ',')) {
            char inl[512] = "";
            if (!u->deps) inlined_into(u->bc, "main", inl, sizeof inl);
            if (inl[0])
                fprintf(stderr, "kjit: warning: main() changed, but it is running and does not "
                                "return: this change will not be seen; clang inlined %s into "
                                "main(), so an edit of %s is an edit of main (`kjit --watch` "
                                "of the source keeps each function replaceable)\n",
                        inl, strchr(inl, ',') ? "these" : "it");
            else
                fprintf(stderr, "kjit: warning: main() changed, but it is running and does not "
                                "return: this change will not be seen%s\n",
                                u->deps ? "" : " (at -O1 and above clang inlines functions "
                                               "into main: `kjit --watch` of the source keeps "
                                               "each one replaceable; built with -g, kjit names what clang inlined where it can)");
            break;
        }
}

static void *watch_main(void *arg) {
    watcher *w = arg;
    int *dirty = calloc((size_t)w->n, sizeof *dirty);
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (!dirty) return NULL;
    for (;;) {
        kc_cc_warm(w->cc); /* (a source's next compile; nothing for IR files) */
        /* Wait for a change, then for KC_WATCH_QUIET_MS of quiet. */
        int any = 0;
        struct pollfd p = {.fd = w->fd, .events = POLLIN};
        for (;;) {
            int r = poll(&p, 1, any ? KC_WATCH_QUIET_MS : -1);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            ssize_t len = read(w->fd, buf, sizeof buf);
            if (len <= 0) continue;
            for (char *q = buf; q < buf + len;) {
                struct inotify_event *e = (struct inotify_event *)q;
                q += sizeof *e + e->len;
                if (!e->len) continue;
                const char *dir = NULL;
                for (int i = 0; i < w->ndirs; i++)
                    if (w->dirs[i].wd == e->wd) dir = w->dirs[i].path;
                if (!dir) continue;
                char changed[PATH_MAX];
                snprintf(changed, sizeof changed, "%s/%s", dir, e->name);
                for (int i = 0; i < w->n; i++)
                    if (unit_has(&w->units[i], changed)) dirty[i] = any = 1;
            }
        }
        for (int i = 0; i < w->n; i++)
            if (dirty[i]) {
                dirty[i] = 0;
                reload(w, &w->units[i]);
            }
    }
    return NULL;
}

static watcher g_watcher;

int kc_watch_prepare(kc_unit *units, int n, kc_cc *cc) {
    watcher *w = &g_watcher;
    *w = (watcher){.units = units, .n = n, .cc = cc};
    if ((w->fd = inotify_init1(IN_CLOEXEC)) < 0) {
        fprintf(stderr, "kjit: error: --watch: inotify: %s\n", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) watch_unit(w, &units[i]);
    return 0;
}

int kc_watch_start(kjit *jit) {
    g_watcher.jit = jit;
    pthread_t t;
    /* The program's signals are its threads' to handle, not this one's
     * (it starts with every one blocked, as libkjit's own). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int started = pthread_create(&t, NULL, watch_main, &g_watcher);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        fprintf(stderr, "kjit: error: --watch: cannot start its thread\n");
        return -1;
    }
    pthread_detach(t);
    return 0;
}
