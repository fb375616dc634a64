/*
 * test_perf.c — kjit_options.perf_map and /tmp/perf-PID.map, which anyone
 * can plant something at: a child process is forked, the test plants a
 * symbolic link (a FIFO, a hard link, a stale map...) at the child's map
 * path, then the child creates a JIT with the map on, defines a function
 * and calls it.  What was planted must be left as it was and the refusal
 * said by kjit_create (status KJIT_OK, the reason in kjit_errmsg(), the JIT
 * running without the map); a map that is ours is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_test.h"

static char dir[] = "/tmp/kjit-test-perf-XXXXXX";

/* Create a JIT with the perf map on, define `name` (returns k) and call it.
 * 0 if all went as it should; the message of kjit_create in msg. */
static int jit_with_map(const char *name, double k, char *msg, size_t len) {
    kjit_options o;
    kjit_options_init(&o);
    o.perf_map = 1;
    kjit *jit;
    if (kjit_create(&o, &jit) != KJIT_OK) return snprintf(msg, len, "create: %s", kjit_errmsg()), 1;
    snprintf(msg, len, "%s", kjit_errmsg());
    t_fn d = {.types = "", .k = k};
    if (kjit_define(jit, name, "d()", t_generate, &d, NULL) != KJIT_OK) return 1;
    double (*f)(void) = (double (*)(void))kjit_address(jit, name);
    int r = f && f() == k ? 0 : 1;
    kjit_destroy(jit);
    return r;
}

/* Fork a child; plant(path) at its map's path; then the child runs
 * jit_with_map("child", 5).  Its exit status (0: fine); kjit_create's
 * message in msg; its map's path in path. */
static int child_run(void (*plant)(const char *path), char *path, size_t plen, char *msg,
                     size_t len) {
    int go[2], res[2];
    if (pipe(go) != 0 || pipe(res) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        alarm(60); /* an open that blocks (a FIFO) ends the child, not the test */
        char c;
        close(go[1]);
        close(res[0]);
        if (read(go[0], &c, 1) != 1) _exit(3);
        char m[512];
        int r = jit_with_map("child", 5, m, sizeof m);
        if (write(res[1], m, strlen(m)) < 0) r = 4;
        _exit(r);
    }
    close(go[0]);
    close(res[1]);
    snprintf(path, plen, "/tmp/perf-%d.map", (int)pid);
    /* An earlier process with this pid may have left its map (kjit --perf
     * keeps it, for perf report): the case starts from none. */
    unlink(path);
    if (plant) plant(path);
    if (write(go[1], "g", 1) != 1) return -1;
    close(go[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < len && (got = read(res[0], msg + n, len - n - 1)) > 0) n += (size_t)got;
    msg[n] = 0;
    close(res[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char target[256];
static const char old_text[] = "not a perf map\n";

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) fputs(text, f), fclose(f);
}

static int file_is(const char *path, const char *text) {
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* The whole of a small file ("" if none). */
static const char *contents(const char *path) {
    static char buf[1 << 16];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
    fclose(f);
    return buf;
}

static void plant_symlink(const char *path) {
    write_file(target, old_text);
    if (symlink(target, path) != 0) perror("symlink");
}

static void plant_dangling(const char *path) {
    unlink(target);
    if (symlink(target, path) != 0) perror("symlink");
}

static void plant_fifo(const char *path) {
    if (mkfifo(path, 0600) != 0) perror("mkfifo");
}

static void plant_hardlink(const char *path) {
    write_file(target, old_text);
    if (link(target, path) != 0) perror("link");
}

static void plant_stale(const char *path) { write_file(path, old_text); }

static void plant_other_user(const char *path) {
    write_file(path, old_text);
    chmod(path, 0666);
    if (chown(path, 65534, 65534) != 0) perror("chown");
}

int main(void) {
    char path[64], msg[512];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(target, sizeof target, "%s/target", dir);

    /* A symbolic link to a file of ours: not followed, the file untouched. */
    CHECK(child_run(plant_symlink, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(strstr(msg, "perf map") && strstr(msg, path) && strstr(msg, "symbolic link"));
    CHECK(file_is(target, old_text));
    char link_to[256] = {0};
    CHECK(readlink(path, link_to, sizeof link_to - 1) == (ssize_t)strlen(target) &&
          strcmp(link_to, target) == 0);
    unlink(path);

    /* ... to a file that does not exist: not created. */
    CHECK(child_run(plant_dangling, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(strstr(msg, "symbolic link") != NULL);
    CHECK(access(target, F_OK) != 0 && errno == ENOENT);
    unlink(path);

    /* A FIFO: refused, and the open does not wait for a reader. */
    CHECK(child_run(plant_fifo, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(strstr(msg, "not a regular file") != NULL);
    unlink(path);

    /* A hard link to a file of ours: refused, the file untouched. */
    CHECK(child_run(plant_hardlink, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(strstr(msg, "other hard links") != NULL);
    CHECK(file_is(target, old_text));
    unlink(path);

    /* Another user's file, even one anyone may write (root only can plant
     * it here). */
    if (geteuid() == 0) {
        CHECK(child_run(plant_other_user, path, sizeof path, msg, sizeof msg) == 0);
        CHECK(strstr(msg, "another user") != NULL);
        CHECK(file_is(path, old_text));
        unlink(path);
    }

    /* A stale map of ours (an earlier process with this pid): appended to. */
    CHECK(child_run(plant_stale, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(msg[0] == 0);
    const char *c = contents(path);
    CHECK(strncmp(c, old_text, strlen(old_text)) == 0 && strstr(c, " child [stub]\n"));
    unlink(path);

    /* Nothing there: the map is created (0644 less the umask) and written. */
    CHECK(child_run(NULL, path, sizeof path, msg, sizeof msg) == 0);
    CHECK(msg[0] == 0);
    struct stat st;
    mode_t mask = umask(022);
    umask(mask);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == (0644 & ~mask));
    c = contents(path);
    CHECK(strstr(c, " child [stub]\n") && strstr(c, " child [compiled]\n"));
    unlink(path);

    /* Two JITs of one process write one map; a child forked after it was
     * opened writes its own. */
    char own[64];
    snprintf(own, sizeof own, "/tmp/perf-%d.map", (int)getpid());
    unlink(own); /* (an earlier process's, as above) */
    CHECK(jit_with_map("first", 1, msg, sizeof msg) == 0 && msg[0] == 0);
    CHECK(jit_with_map("second", 2, msg, sizeof msg) == 0 && msg[0] == 0);
    CHECK(child_run(NULL, path, sizeof path, msg, sizeof msg) == 0 && msg[0] == 0);
    c = contents(own);
    CHECK(strstr(c, " first [compiled]\n") && strstr(c, " second [compiled]\n") &&
          !strstr(c, " child ["));
    CHECK(strstr(contents(path), " child [compiled]\n") != NULL);
    unlink(path);
    unlink(own);

    unlink(target);
    rmdir(dir);
    return t_done("test_perf");
}
