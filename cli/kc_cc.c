/*
 * kc_cc.c — C and C++ sources compiled to bitcode by clang-19 (kc_cc.h).
 *
 *   clang -c -emit-llvm -O<n> [-Xclang -disable-llvm-passes] FLAGS
 *         -MMD -MF OUT.d -o OUT.bc SOURCE
 *
 * FLAGS are the command line's -I, -D, -U, -std= and -Xcc arguments, or,
 * with -p DIR, the source's entry of DIR/compile_commands.json (its
 * arguments less the compiler, -c, -o and dependency-file options; run in
 * its directory).  The dependency file names the headers the compile read,
 * which --watch watches too.
 */
#include "kc_cc.h"
#include "kc_session.h" /* kc_read_file */
#include "kjit.h"       /* kjit_store: the bitcode cache */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int kc_cc_is_source(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    static const char *const exts[] = {".c", ".cc", ".cpp", ".cxx", ".c++", ".C", NULL};
    for (int i = 0; exts[i]; i++)
        if (strcmp(dot, exts[i]) == 0) return 1;
    return 0;
}

int kc_cc_flag(kc_cc *cc, const char *flag) {
    if (cc->nflags == cc->cap) {
        int cap = cc->cap ? 2 * cc->cap : 16;
        const char **f = realloc(cc->flags, (size_t)cap * sizeof *f);
        if (!f) return -1;
        cc->flags = f, cc->cap = cap;
    }
    cc->flags[cc->nflags++] = flag;
    return 0;
}

/* ---- growing argument vectors ------------------------------------------- */

typedef struct strv {
    char **v;
    int n, cap;
} strv;

static int strv_add(strv *s, const char *a) {
    if (s->n + 2 > s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        char **v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        s->v = v, s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(a))) return -1;
    s->v[++s->n] = NULL;
    return 0;
}

static void strv_free(strv *s) {
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    *s = (strv){0};
}

/* ---- finding clang ------------------------------------------------------- */

static char *on_path(const char *name) {
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char buf[PATH_MAX];
        if (n && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name) < sizeof buf &&
            access(buf, X_OK) == 0)
            return strdup(buf);
        if (!end) return NULL;
        p = end + 1;
    }
}

static const char *compiler(kc_cc *cc) {
    if (cc->found_cc) return cc->found_cc;
    const char *want = cc->cc ? cc->cc : getenv("KJIT_CC");
    if (want && *want) {
        cc->found_cc = strchr(want, '/') ? strdup(want) : on_path(want);
        if (!cc->found_cc || access(cc->found_cc, X_OK) != 0) {
            fprintf(stderr, "kjit: error: the C compiler '%s'%s cannot be run; give clang-19's "
                            "path with --cc=PATH\n", want, cc->cc ? "" : " (KJIT_CC)");
            free(cc->found_cc);
            cc->found_cc = NULL;
        }
        return cc->found_cc;
    }
    if (!(cc->found_cc = on_path("clang-19")))
        fprintf(stderr, "kjit: error: no clang-19 on PATH to compile C and C++ sources: install "
                        "it (Debian: apt-get install clang-19) or give its path with --cc=PATH "
                        "or KJIT_CC\n");
    return cc->found_cc;
}

/* ---- the run's directory ------------------------------------------------- */

static kc_cc *g_cleanup;
static char g_dir[PATH_MAX]; /* cc->dir, for the signal handler */
static pid_t g_owner;        /* the process that made it: not a child the program forked */

static void cleanup_at_exit(void) {
    if (g_cleanup && getpid() == g_owner) kc_cc_cleanup(g_cleanup);
}

/* Ctrl-C on `kjit --watch prog.c` is how a session ends: the run's
 * directory is removed then too (with system calls only, as a handler
 * must), and the signal is raised again with its default action, so the
 * program ends as it would have.  A program that handles the signal itself
 * replaces this.  A child the program forked inherits the handler and the
 * exit handler, and leaves the directory (and the waiting clang) alone. */
static void cleanup_on_signal(int sig) {
    int fd = getpid() == g_owner ? open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct linux_dirent64 {
                unsigned long long ino;
                long long off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *e = (struct linux_dirent64 *)(buf + off);
            if (e->name[0] != '.') unlinkat(fd, e->name, 0);
            off += e->reclen;
        }
    if (fd >= 0) close(fd), rmdir(g_dir);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const char *out_dir(kc_cc *cc) {
    if (cc->dir) return cc->dir;
    const char *tmp = getenv("TMPDIR");
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/kjit-cc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf)) {
        fprintf(stderr, "kjit: error: cannot make a directory for the bitcode (%s): %s\n", buf,
                strerror(errno));
        return NULL;
    }
    cc->dir = strdup(buf);
    if (!g_cleanup) {
        g_cleanup = cc;
        atexit(cleanup_at_exit);
        g_owner = getpid();
        snprintf(g_dir, sizeof g_dir, "%s", buf);
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
        for (int i = 0; i < 4; i++) {
            struct sigaction old, sa = {.sa_handler = cleanup_on_signal};
            if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
                sigaction(sigs[i], &sa, NULL); /* (not one ignored, as under nohup) */
        }
    }
    return cc->dir;
}

char *kc_cc_output(kc_cc *cc, const char *src, int i) {
    const char *dir = out_dir(cc);
    if (!dir) return NULL;
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    char *out = NULL;
    if (asprintf(&out, "%s/%d-%s.bc", dir, i, base) < 0) return NULL;
    return out;
}

static void warm_stop(kc_cc *cc);

void kc_cc_cleanup(kc_cc *cc) {
    warm_stop(cc);
    kjit_store_close(cc->store);
    cc->store = NULL;
    cc->store_tried = 0;
    free(cc->warm_dir), free(cc->last_dir);
    cc->warm_dir = cc->last_dir = NULL;
    if (cc->dir) { /* only files this run made are in it: *.bc, *.bc.d */
        DIR *d = opendir(cc->dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", cc->dir, e->d_name);
            unlink(path);
        }
        if (d) closedir(d);
        rmdir(cc->dir);
        free(cc->dir);
        cc->dir = NULL;
    }
    free(cc->found_cc);
    cc->found_cc = NULL;
    free(cc->flags);
    cc->flags = NULL;
    cc->nflags = cc->cap = 0;
    if (g_cleanup == cc) g_cleanup = NULL;
}

/* ---- compile_commands.json ------------------------------------------------ */

/* A minimal JSON reader: enough for a compilation database (an array of
 * objects of strings and arrays of strings). */
typedef struct json {
    const char *p, *end;
    int bad;
} json;

static void ws(json *j) {
    while (j->p < j->end && strchr(" \t\r\n", *j->p)) j->p++;
}

static int eat(json *j, char c) {
    ws(j);
    if (j->p < j->end && *j->p == c) return j->p++, 1;
    return 0;
}

static char *jstring(json *j) {
    ws(j);
    if (j->p >= j->end || *j->p != '"') return j->bad = 1, NULL;
    j->p++;
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    while (s && j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\' && j->p < j->end) {
            c = *j->p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': /* (not in file names and flags in practice) */
                c = '?';
                j->p += j->end - j->p >= 4 ? 4 : j->end - j->p;
                break;
            default: break; /* " \ / */
            }
        }
        if (n + 2 > cap && !(s = realloc(s, cap *= 2))) break;
        s[n++] = c;
    }
    if (!s || j->p >= j->end) return free(s), j->bad = 1, NULL;
    j->p++;
    s[n] = 0;
    return s;
}

/* Skip any value. */
static void jskip(json *j) {
    ws(j);
    if (j->p >= j->end) {
        j->bad = 1;
        return;
    }
    if (*j->p == '"') {
        free(jstring(j));
    } else if (*j->p == '[' || *j->p == '{') {
        char close = *j->p == '[' ? ']' : '}';
        j->p++;
        if (eat(j, close)) return;
        do {
            if (close == '}') {
                free(jstring(j));
                if (!eat(j, ':')) j->bad = 1;
            }
            jskip(j);
        } while (!j->bad && eat(j, ','));
        if (!eat(j, close)) j->bad = 1;
    } else {
        while (j->p < j->end && !strchr(",]} \t\r\n", *j->p)) j->p++;
    }
}

/* Split a shell command line as POSIX sh does for words (quotes and
 * backslashes; no expansions). */
static int split_command(const char *cmd, strv *out) {
    size_t len = strlen(cmd);
    char *w = malloc(len + 1);
    if (!w) return -1;
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        size_t n = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                for (p++; *p && *p != '\''; p++) w[n++] = *p;
                if (*p) p++;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) p++;
                    w[n++] = *p;
                }
                if (*p) p++;
            } else if (*p == '\\' && p[1]) {
                w[n++] = p[1];
                p += 2;
            } else {
                w[n++] = *p++;
            }
        }
        w[n] = 0;
        if (strv_add(out, w) != 0) return free(w), -1;
    }
    free(w);
    return 0;
}

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* src's entry in DIR/compile_commands.json: its flags (less the compiler,
 * -c, -o, dependency files and the source) into *flags, its directory into
 * *dir.  0; 1 if it has none; -1 after saying why. */
static int ccdb_entry(const char *dbdir, const char *src, strv *flags, char **dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/compile_commands.json", dbdir);
    size_t n;
    char *text = kc_read_file(path, &n);
    if (!text) {
        fprintf(stderr, "kjit: error: -p %s: cannot read %s: %s\n", dbdir, path, strerror(errno));
        return -1;
    }
    json j = {text, text + n, 0};
    int found = 1;
    if (!eat(&j, '[')) j.bad = 1;
    if (!j.bad && !eat(&j, ']')) {
        do {
            char *directory = NULL, *file = NULL, *command = NULL;
            strv args = {0};
            if (!eat(&j, '{')) {
                j.bad = 1;
                break;
            }
            if (!eat(&j, '}')) {
                do {
                    char *key = jstring(&j);
                    if (!key || !eat(&j, ':')) {
                        free(key);
                        j.bad = 1;
                        break;
                    }
                    if (strcmp(key, "directory") == 0) free(directory), directory = jstring(&j);
                    else if (strcmp(key, "file") == 0) free(file), file = jstring(&j);
                    else if (strcmp(key, "command") == 0) free(command), command = jstring(&j);
                    else if (strcmp(key, "arguments") == 0) {
                        if (!eat(&j, '[')) j.bad = 1;
                        else if (!eat(&j, ']')) {
                            do {
                                char *a = jstring(&j);
                                if (a) strv_add(&args, a);
                                free(a);
                            } while (!j.bad && eat(&j, ','));
                            if (!eat(&j, ']')) j.bad = 1;
                        }
                    } else
                        jskip(&j);
                    free(key);
                } while (!j.bad && eat(&j, ','));
                if (!j.bad && !eat(&j, '}')) j.bad = 1;
            }
            if (!j.bad && directory && file && found == 1) {
                char full[PATH_MAX];
                if (file[0] == '/')
                    snprintf(full, sizeof full, "%s", file);
                else
                    snprintf(full, sizeof full, "%s/%s", directory, file);
                if (same_file(full, src)) {
                    if (!args.n && command) split_command(command, &args);
                    for (int i = 1; i < args.n; i++) {
                        const char *a = args.v[i];
                        if (strcmp(a, "-c") == 0 || strcmp(a, "-MD") == 0 ||
                            strcmp(a, "-MMD") == 0 || strcmp(a, "-MP") == 0)
                            continue;
                        if (strcmp(a, "-o") == 0 || strcmp(a, "-MF") == 0 ||
                            strcmp(a, "-MT") == 0 || strcmp(a, "-MQ") == 0) {
                            i++;
                            continue;
                        }
                        if (strncmp(a, "-o", 2) == 0 || strncmp(a, "-MF", 3) == 0) continue;
                        char af[PATH_MAX];
                        if (a[0] == '/')
                            snprintf(af, sizeof af, "%s", a);
                        else
                            snprintf(af, sizeof af, "%s/%s", directory, a);
                        if (a[0] != '-' && same_file(af, src)) continue;
                        strv_add(flags, a);
                    }
                    *dir = strdup(directory);
                    found = 0;
                }
            }
            free(directory), free(file), free(command);
            strv_free(&args);
        } while (!j.bad && eat(&j, ','));
        if (!j.bad && !eat(&j, ']')) j.bad = 1;
    }
    free(text);
    if (j.bad) {
        fprintf(stderr, "kjit: error: -p %s: %s is not a compilation database (a JSON array "
                        "of objects)\n", dbdir, path);
        return -1;
    }
    return found;
}

/* ---- a compiler started ahead (--watch) ----------------------------------- */

/* Most of a small file's compile is clang starting: loading libclang-cpp and
 * libLLVM takes 80 of the 95 ms of a 100-line file (2 cores).  So under
 * --watch the next clang is started ahead, as `clang @FIFO`, its arguments
 * a response file that is a FIFO in the run's directory: it loads, binds
 * its symbols (LD_BIND_NOW), and blocks opening the FIFO.  A compile that
 * finds it waiting writes its arguments there, and it runs them as if they
 * were its command line.  It is the parent-death child of the watch thread
 * (PR_SET_PDEATHSIG), so it dies with kjit however kjit ends. */

static void warm_stop(kc_cc *cc) {
    if (cc->warm_pid <= 0) return;
    kill(cc->warm_pid, SIGKILL);
    while (waitpid(cc->warm_pid, NULL, 0) < 0 && errno == EINTR) {
    }
    cc->warm_pid = 0;
}

void kc_cc_warm(kc_cc *cc) {
    if (cc->warm_pid > 0 || !cc->found_cc || !out_dir(cc)) return;
    const char *dir = cc->last_dir;
    char fifo[PATH_MAX], arg[PATH_MAX + 1];
    snprintf(fifo, sizeof fifo, "%s/next-compile.args", cc->dir);
    snprintf(arg, sizeof arg, "@%s", fifo);
    unlink(fifo);
    if (mkfifo(fifo, 0600) != 0) return;
    /* Everything the child needs is made before vfork: it only calls
     * prctl, chdir and execve. */
    size_t n = 0;
    while (environ[n]) n++;
    char **env = malloc((n + 2) * sizeof *env);
    if (!env) return;
    memcpy(env, environ, n * sizeof *env);
    env[n] = "LD_BIND_NOW=1", env[n + 1] = NULL;
    char *argv[] = {cc->found_cc, arg, NULL};
    char werr[PATH_MAX];
    snprintf(werr, sizeof werr, "%s/next-compile.err", cc->dir);
    int efd = open(werr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (efd < 0) return free(env);
    pid_t parent = getpid();
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = vfork();
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
        if (dup2(efd, 2) < 0) _exit(127);
        if (dir && chdir(dir) != 0) _exit(127);
        /* clang gets no blocked signal (--watch's thread, which starts
         * it, blocks them all); this child's handlers (its own copy) are
         * the default first, as exec makes them, so that none runs here
         * on the parent's memory. */
        for (int s = 1; s < NSIG; s++) {
            struct sigaction sa;
            if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
                signal(s, SIG_DFL);
        }
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(argv[0], argv, env);
        _exit(127);
    }
    free(env);
    close(efd);
    if (pid < 0) return;
    cc->warm_pid = pid;
    free(cc->warm_dir);
    cc->warm_dir = dir ? strdup(dir) : NULL;
}

/* Run argv (without argv[0]) in the compiler started ahead, if there is one
 * and it runs in dir: 0 with its *status, else -1 (then there is none). */
static int warm_run(kc_cc *cc, const char *dir, char **argv, const char *efile, int *status) {
    if (cc->warm_pid <= 0) return -1;
    if ((dir || cc->warm_dir) && (!dir || !cc->warm_dir || strcmp(dir, cc->warm_dir) != 0))
        return warm_stop(cc), -1;
    char fifo[PATH_MAX];
    snprintf(fifo, sizeof fifo, "%s/next-compile.args", cc->dir);
    /* It may still be loading: the FIFO has no reader yet (ENXIO). */
    int fd = -1;
    for (int tries = 0; tries < 10000; tries++) {
        if ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0 || errno != ENXIO) break;
        if (waitpid(cc->warm_pid, NULL, WNOHANG) != 0) { /* (it died) */
            cc->warm_pid = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (fd < 0) return warm_stop(cc), -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    /* A response file: every character but the plainest escaped. */
    size_t cap = 256, len = 0;
    char *text = malloc(cap);
    for (char **a = argv; text && *a; a++) {
        for (const char *c = *a; text && *c; c++) {
            if (len + 4 > cap && !(text = realloc(text, cap *= 2))) break;
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=+,:",
                        *c))
                text[len++] = '\\';
            text[len++] = *c;
        }
        if (text && !**a) text[len++] = '\'', text[len++] = '\'';
        if (text) text[len++] = '\n';
    }
    int ok = text != NULL;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ok = 0;
        else off += (size_t)w;
    }
    free(text);
    close(fd);
    if (!ok) return warm_stop(cc), -1;
    while (waitpid(cc->warm_pid, status, 0) < 0 && errno == EINTR) {
    }
    cc->warm_pid = 0;
    char werr[PATH_MAX];
    snprintf(werr, sizeof werr, "%s/next-compile.err", cc->dir);
    rename(werr, efile);
    return 0;
}

/* ---- compiling ----------------------------------------------------------- */

/* The files a dependency file names after its target, made absolute
 * against dir (NULL: as written). */
static char **read_deps(const char *dfile, const char *dir) {
    FILE *f = fopen(dfile, "rb");
    if (!f) return NULL;
    strv out = {0};
    char word[PATH_MAX];
    size_t n = 0;
    int c, seen_colon = 0;
    while ((c = fgetc(f)) != EOF) {
        if (c == '\\') {
            int d = fgetc(f);
            if (d == '\n') c = ' ';
            else if (d == ' ' || d == '#' || d == ':') c = d, d = -2;
            else if (d != EOF) ungetc(d, f);
            if (d == -2) {
                if (n + 1 < sizeof word) word[n++] = (char)c;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (n) {
                word[n] = 0;
                if (seen_colon) {
                    char full[PATH_MAX];
                    if (dir && word[0] != '/')
                        snprintf(full, sizeof full, "%s/%s", dir, word);
                    else
                        snprintf(full, sizeof full, "%s", word);
                    strv_add(&out, full);
                }
                n = 0;
            }
            continue;
        }
        if (c == ':' && !seen_colon && n) {
            seen_colon = 1;
            n = 0;
            continue;
        }
        if (n + 1 < sizeof word) word[n++] = (char)c;
    }
    if (n && seen_colon) {
        word[n] = 0;
        strv_add(&out, word);
    }
    fclose(f);
    if (!out.v) strv_add(&out, "");
    return out.v;
}

/* ---- the bitcode cache ---------------------------------------------------- */

/* The bitcode of a compile is kept in the code cache (kjit_store), under a
 * key of everything on its command line but the output files, the
 * directory it runs in, the compiler (its path and its file's identity) and
 * the environment variables clang reads for include paths.  The entry holds
 * the files the compile read (-MMD: the source and its user headers), each
 * with its inode, size, modification and change times, then clang's
 * diagnostics, then the bitcode.  It is used when every one of those files
 * still has the times and size it had: any write changes the change time,
 * and no tool can set it back.  A compile during which one of its files
 * changed (a time within 10 ms of its start, for the clock's tick) is not
 * kept, nor one of a source naming __DATE__ or __TIME__.  System headers are
 * not checked (as ccache's system_headers sloppiness): a new compiler
 * changes the key, a new libc's headers under the same compiler do not
 * (kjit --cache-clear). */

/* What compiles on several threads share in a kc_cc (kc_cc_compile_all). */
static pthread_mutex_t cc_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct bytes {
    char *p;
    size_t n, cap;
    int bad;
} bytes;

static void put(bytes *b, const void *p, size_t n) {
    if (b->bad) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->bad = 1;
            return;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_str(bytes *b, const char *s) { put(b, s, strlen(s) + 1); }

typedef struct file_id {
    uint64_t ino, size;
    int64_t mtime, ctime; /* ns */
} file_id;

static int file_id_of(const char *path, file_id *id) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *id = (file_id){(uint64_t)st.st_ino, (uint64_t)st.st_size,
                    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                    (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec};
    return 0;
}

static kjit_store *bc_store_of(kc_cc *cc) {
    if (!cc->store_tried) {
        cc->store_tried = 1;
        kjit_options o;
        kjit_options_init(&o);
        if (cc->cache == 0) o.cache = 0;
        o.cache_dir = cc->cache_dir;
        /* (A directory that may not be used: the JIT says why, once.) */
        cc->store = kjit_store_open(&o);
    }
    return cc->store;
}

/* The key of the compile av (its argv without output files) in dir; 1 if
 * it may be cached, else 0. */
static int bc_key(kc_cc *cc, const strv *av, const char *dir, const char *abs_src, bytes *key) {
    if (!bc_store_of(cc)) return 0;
    size_t len;
    char *text = kc_read_file(abs_src, &len);
    if (!text) return 0;
    int dated = memmem(text, len, "__DATE__", 8) || memmem(text, len, "__TIME__", 8) ||
                memmem(text, len, "__TIMESTAMP__", 13);
    free(text);
    if (dated) return 0;
    char cwd[PATH_MAX];
    file_id id;
    if (!dir && !getcwd(cwd, sizeof cwd)) return 0;
    if (file_id_of(cc->found_cc, &id) != 0) return 0;
    put_str(key, "kjit-cc 1");
    put_str(key, cc->found_cc);
    put(key, &id, sizeof id);
    put_str(key, dir ? dir : cwd);
    for (int i = 1; i < av->n; i++) put_str(key, av->v[i]);
    static const char *const env[] = {"CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH",
                                      "OBJC_INCLUDE_PATH", "CCC_OVERRIDE_OPTIONS", NULL};
    for (int i = 0; env[i]; i++) {
        const char *v = getenv(env[i]);
        put_str(key, env[i]);
        put_str(key, v ? v : "\001unset");
    }
    put_str(key, abs_src);
    return !key->bad;
}

/* An entry: "KJCC1\0\0\0", u32 files, u32 diagnostics' length; per file:
 * u32 path length, the path, its file_id; the diagnostics; the bitcode. */
#define BC_MAGIC "KJCC1\0\0\0"

/* The cached compile of key, if its files are unchanged: the bitcode
 * written to out, *deps, the diagnostics printed.  0, or -1 (compile). */
static int bc_lookup(kc_cc *cc, const bytes *key, const char *out, char ***deps) {
    size_t n;
    char *e = kjit_store_get(cc->store, key->p, key->n, &n);
    if (!e) return -1;
    strv files = {0};
    const char *p = e, *end = e + n;
    uint32_t nfiles, dlen;
    int ok = n >= 16 && memcmp(p, BC_MAGIC, 8) == 0;
    if (ok) {
        memcpy(&nfiles, p + 8, 4), memcpy(&dlen, p + 12, 4);
        p += 16;
    }
    for (uint32_t i = 0; ok && i < nfiles; i++) {
        uint32_t plen;
        file_id want, have;
        if ((size_t)(end - p) < 4) break;
        memcpy(&plen, p, 4);
        p += 4;
        if ((size_t)(end - p) < (size_t)plen + sizeof want) {
            ok = 0;
            break;
        }
        char path[PATH_MAX];
        if (plen == 0 || plen >= sizeof path) {
            ok = 0;
            break;
        }
        memcpy(path, p, plen), path[plen] = 0;
        memcpy(&want, p + plen, sizeof want);
        p += plen + sizeof want;
        ok = file_id_of(path, &have) == 0 && memcmp(&want, &have, sizeof want) == 0 &&
             strv_add(&files, path) == 0;
    }
    ok = ok && (size_t)(end - p) >= dlen && files.n == (int)nfiles;
    if (ok) {
        const char *bc = p + dlen;
        FILE *f = fopen(out, "wb");
        ok = f && fwrite(bc, 1, (size_t)(end - bc), f) == (size_t)(end - bc);
        if (f && fclose(f) != 0) ok = 0;
    }
    if (ok && dlen) { /* (colours only for a terminal, as clang would) */
        int tty = isatty(2);
        for (const char *q = p; q < p + dlen; q++) {
            if (!tty && *q == '\033' && q + 1 < p + dlen && q[1] == '[') {
                while (q < p + dlen && *q != 'm') q++;
                continue;
            }
            fputc(*q, stderr);
        }
        fflush(stderr);
    }
    free(e);
    if (!ok) return strv_free(&files), -1;
    *deps = files.v;
    return 0;
}

/* Keep the compile of key that started at t0 (its bitcode at out). */
static void bc_store(kc_cc *cc, const bytes *key, const char *out, char **deps,
                     const char *diag, size_t dlen, const struct timespec *t0) {
    int64_t start = (int64_t)t0->tv_sec * 1000000000 + t0->tv_nsec - 10000000;
    bytes e = {0};
    uint32_t nfiles = 0, dl = (uint32_t)dlen;
    for (char **d = deps; *d; d++) nfiles += **d != 0;
    put(&e, BC_MAGIC, 8), put(&e, &nfiles, 4), put(&e, &dl, 4);
    for (char **d = deps; *d; d++) {
        if (!**d) continue;
        file_id id;
        if (file_id_of(*d, &id) != 0 || id.mtime >= start || id.ctime >= start) goto out;
        uint32_t plen = (uint32_t)strlen(*d);
        put(&e, &plen, 4), put(&e, *d, plen), put(&e, &id, sizeof id);
    }
    put(&e, diag, dlen);
    size_t blen;
    char *bc = kc_read_file(out, &blen);
    if (!bc) goto out;
    put(&e, bc, blen);
    free(bc);
    if (!e.bad && kjit_store_put(cc->store, key->p, key->n, e.p, e.n) != KJIT_OK) {
        pthread_mutex_lock(&cc_lock);
        if (!cc->store_warned)
            fprintf(stderr, "kjit: warning: the code cache stopped keeping bitcode (the run "
                            "goes on): %s\n", kjit_errmsg());
        cc->store_warned = 1;
        pthread_mutex_unlock(&cc_lock);
    }
out:
    free(e.p);
}

void kc_cc_free_deps(char **deps) {
    if (!deps) return;
    for (char **d = deps; *d; d++) free(*d);
    free(deps);
}

int kc_cc_compile(kc_cc *cc, const char *src, const char *out, char ***deps) {
    *deps = NULL;
    const char *clang = compiler(cc);
    if (!clang) return -1;
    strv av = {0}, db = {0};
    char *dir = NULL, *dfile = NULL, *efile = NULL, *abs_src = NULL, *abs_out = NULL;
    bytes key = {0};
    int rc = -1;
    if (cc->ccdb) {
        int r = ccdb_entry(cc->ccdb, src, &db, &dir);
        if (r < 0) goto out;
        if (r > 0)
            fprintf(stderr, "kjit: warning: %s has no entry in %s/compile_commands.json: "
                            "compiled with the command line's flags\n", src, cc->ccdb);
    }
    /* In the database's directory, the source and the output by absolute
     * paths. */
    abs_src = realpath(src, NULL);
    if (!abs_src) {
        fprintf(stderr, "kjit: error: %s: %s\n", src, strerror(errno));
        goto out;
    }
    abs_out = out[0] == '/' ? strdup(out) : NULL;
    if (!abs_out) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || asprintf(&abs_out, "%s/%s", cwd, out) < 0) goto out;
    }
    if (asprintf(&dfile, "%s.d", abs_out) < 0 || asprintf(&efile, "%s.err", abs_out) < 0)
        goto out;
    char olevel[8];
    snprintf(olevel, sizeof olevel, "-O%d", cc->opt_level);
    strv_add(&av, clang);
    strv_add(&av, "-c");
    strv_add(&av, "-emit-llvm");
    for (int i = 0; i < db.n; i++) strv_add(&av, db.v[i]);
    for (int i = 0; i < cc->nflags; i++) strv_add(&av, cc->flags[i]);
    strv_add(&av, olevel);
    if (cc->opt_level > 0) { /* the IR at the level, no pass run on it (kc_cc.h) */
        strv_add(&av, "-Xclang");
        strv_add(&av, "-disable-llvm-passes");
    }
    strv_add(&av, dir ? abs_src : src); /* (clang's diagnostics name it as the user did) */
    /* The cache key: all of the above, where it runs, and the compiler. */
    int cached = bc_key(cc, &av, dir, abs_src, &key);
    if (cached && bc_lookup(cc, &key, out, deps) == 0) {
        rc = 0;
        goto out;
    }
    strv_add(&av, "-MMD");
    strv_add(&av, "-MF");
    strv_add(&av, dfile);
    strv_add(&av, "-MT");
    strv_add(&av, "kjit-target");
    strv_add(&av, "-o");
    strv_add(&av, abs_out);
    if (isatty(2)) strv_add(&av, "-fcolor-diagnostics"); /* (its stderr is a file) */
    if (!av.v) goto out;

    pthread_mutex_lock(&cc_lock);
    free(cc->last_dir);
    cc->last_dir = dir ? strdup(dir) : NULL;
    pthread_mutex_unlock(&cc_lock);
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    int status;
    if (warm_run(cc, dir, av.v + 1, efile, &status) != 0) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (dir) posix_spawn_file_actions_addchdir_np(&fa, dir);
        posix_spawn_file_actions_addopen(&fa, 2, efile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        /* (no blocked signal: --watch's thread, which may run this, blocks
         * them all) */
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
        pid_t pid;
        int e = posix_spawn(&pid, clang, &fa, &at, av.v, environ);
        posix_spawnattr_destroy(&at);
        posix_spawn_file_actions_destroy(&fa);
        if (e != 0) {
            fprintf(stderr, "kjit: error: cannot run %s: %s\n", clang, strerror(e));
            goto out;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    /* clang's diagnostics, as it printed them (to a file: kept with the
     * bitcode, so that a run from the cache shows them too). */
    size_t dlen = 0;
    char *diag = kc_read_file(efile, &dlen);
    if (diag && dlen) fwrite(diag, 1, dlen, stderr), fflush(stderr);
    unlink(efile);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { /* clang said why */
        free(diag);
        goto out;
    }
    *deps = read_deps(dfile, dir);
    if (!*deps) *deps = calloc(1, sizeof **deps);
    rc = *deps ? 0 : -1;
    if (!rc && cached) bc_store(cc, &key, out, *deps, diag ? diag : "", diag ? dlen : 0, &t0);
    free(diag);
out:
    strv_free(&av);
    strv_free(&db);
    free(key.p);
    free(dir), free(dfile), free(efile), free(abs_src), free(abs_out);
    return rc;
}

/* ---- the first compiles, a clang per core ---------------------------------- */

typedef struct batch {
    kc_cc *cc;
    int n;
    const char *const *srcs;
    char *const *outs;
    char ***deps;
    atomic_int next, failed;
} batch;

static void *batch_work(void *arg) {
    batch *b = arg;
    for (int i; (i = atomic_fetch_add(&b->next, 1)) < b->n;)
        if (kc_cc_compile(b->cc, b->srcs[i], b->outs[i], &b->deps[i]) != 0)
            atomic_store(&b->failed, 1);
    return NULL;
}

int kc_cc_compile_all(kc_cc *cc, int n, const char *const *srcs, char *const *outs,
                      char ***deps) {
    if (n <= 0) return 0;
    if (!compiler(cc)) return -1;
    bc_store_of(cc); /* (opened before the threads share it) */
    batch b = {.cc = cc, .n = n, .srcs = srcs, .outs = outs, .deps = deps};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = cores < 1 ? 1 : cores > 8 ? 8 : (int)cores;
    if (nt > n) nt = n;
    pthread_t t[8];
    int started = 0;
    while (started < nt - 1 && pthread_create(&t[started], NULL, batch_work, &b) == 0) started++;
    batch_work(&b);
    for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
    return atomic_load(&b.failed) ? -1 : 0;
}
