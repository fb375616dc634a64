/*
 * kj_perf.c — what profilers need to name JIT'd code: a perf map (and the
 * symbols kj_gdb.c gives gdb).
 *
 * With kjit_options.perf_map (kjit --perf, or KJIT_PERF=1 in the
 * environment) every piece of machine code the JIT makes is written as one
 * line of /tmp/perf-PID.map, "START SIZE NAME" in hex, as LuaJIT and V8 do,
 * and `perf report` then names it: "fib [T2]", "fib [osr0]", "fib [stub]",
 * "top3 [thunk]".  Code the T0 interpreter runs is the interpreter's own,
 * which perf names from kjit's symbols.  Sizes come from the object file's
 * symbol table, read before LLJIT links it.  A map only grows: perf reads
 * the last line that covers an address, so replaced code is named by what
 * replaced it.
 *
 * /tmp is everyone's: the map is opened by kjit_create (kj_perf_open), never
 * through a symbolic link, and created with O_EXCL; a map that is there
 * already (a JIT of this process made it, or an earlier process with this
 * pid) is appended to only if it is a regular file of this user with no
 * other link.  Otherwise the JIT runs without the map and kjit_create says
 * why in kjit_errmsg().
 *
 * Layer tools (lib/LAYERS): calls only lib/machine and lib/base.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Object.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"

static pthread_mutex_t perf_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *perf_file;
static pid_t perf_pid; /* the process perf_file is the map of */

/* Open this process's map for appending (under perf_lock); NULL after
 * setting the error.  perf reads a map owned by its user or root; 0644 (less
 * the umask) is what fopen would have made, without write for others. */
static FILE *open_map(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    const char *why = NULL;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        /* O_NONBLOCK: a FIFO planted there must not block the open. */
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        struct stat st;
        if (fd < 0 && errno == ELOOP)
            why = "it is a symbolic link";
        else if (fd < 0 && errno == ENXIO)
            why = "it is not a regular file"; /* a FIFO */
        else if (fd >= 0 && fstat(fd, &st) != 0)
            why = strerror(errno);
        else if (fd >= 0 && !S_ISREG(st.st_mode))
            why = "it is not a regular file";
        else if (fd >= 0 && st.st_uid != geteuid())
            why = "it belongs to another user";
        else if (fd >= 0 && st.st_nlink != 1)
            why = "it has other hard links";
        if (why && fd >= 0) close(fd), fd = -1;
    }
    if (fd < 0 && !why) why = strerror(errno);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (fd >= 0 && !f) why = strerror(errno), close(fd);
    if (!f) kj_set_error(KJIT_EINVAL, "perf map %s not written: %s", path, why);
    return f;
}

/* The map of this process, opened if need be (a forked child has its own;
 * the parent's stays open in it: its buffer may hold the parent's line). */
static kj_fd_id perf_id; /* which file perf_file is */

static FILE *map_file(void) {
    /* A program may close every descriptor above 2 and open its own in
     * their place: the map would go into the program's file.  If the
     * descriptor is no longer the map's, the stream is left unclosed
     * (closing it would close the program's file; its buffer is empty,
     * each line is flushed) and the map opened again. */
    if (perf_file && perf_pid == getpid() && !kj_fd_is(fileno(perf_file), &perf_id))
        perf_file = NULL;
    if (!perf_file || perf_pid != getpid()) {
        perf_file = open_map();
        perf_pid = getpid();
        if (perf_file) (void)kj_fd_id_of(fileno(perf_file), &perf_id);
    }
    return perf_file;
}

int kj_perf_open(void) {
    pthread_mutex_lock(&perf_lock);
    FILE *f = map_file();
    pthread_mutex_unlock(&perf_lock);
    return f ? 0 : -1;
}

static void line(uintptr_t start, size_t size, const char *name, const char *tier) {
    pthread_mutex_lock(&perf_lock);
    FILE *f = map_file();
    if (f) {
        fprintf(f, "%lx %zx %s [%s]\n", (unsigned long)start, size, name, tier);
        fflush(f);
    }
    pthread_mutex_unlock(&perf_lock);
}

/* "__kjit.12.fib" -> "fib"; other names as they are. */
static const char *source_name(const char *sym) {
    if (strncmp(sym, "__kjit.", 7) != 0) return sym;
    const char *dot = strchr(sym + 7, '.');
    return dot ? dot + 1 : sym;
}

void kj_perf_stub(kjit *jit, const kj_fn *fn) {
    if (jit->opts.perf_map) line((uintptr_t)fn->stub.entry, 16, fn->name, "stub");
}

void kj_perf_object(kjit *jit, LLVMMemoryBufferRef obj, kj_perf_syms *out) {
    out->n = 0;
    (void)jit; /* always: gdb needs them too */
    char *msg = NULL;
    LLVMBinaryRef bin = LLVMCreateBinary(obj, NULL, &msg);
    if (!bin) {
        LLVMDisposeMessage(msg);
        return;
    }
    LLVMSymbolIteratorRef it = LLVMObjectFileCopySymbolIterator(bin);
    for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, it) && out->n < KJ_PERF_SYMS;
         LLVMMoveToNextSymbol(it)) {
        const char *name = LLVMGetSymbolName(it);
        uint64_t size = LLVMGetSymbolSize(it);
        if (!name || !size || strncmp(name, "__kjit.", 7) != 0) continue;
        snprintf(out->name[out->n], sizeof out->name[0], "%s", name);
        out->size[out->n++] = size;
    }
    LLVMDisposeSymbolIterator(it);
    LLVMDisposeBinary(bin);
}

kj_gdb_entry *kj_perf_linked(kjit *jit, const kj_perf_syms *syms, const char *tier, char *dbg,
                             size_t dbg_size) {
    kj_perf_syms found = {0};
    uint64_t addr[KJ_PERF_SYMS];
    for (int i = 0; i < syms->n; i++) {
        LLVMOrcExecutorAddress a = 0;
        LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, syms->name[i]);
        if (e) {
            LLVMConsumeError(e);
            continue;
        }
        memcpy(found.name[found.n], syms->name[i], sizeof found.name[0]);
        found.size[found.n] = syms->size[i];
        addr[found.n++] = a;
    }
    return kj_perf_linked_at(jit, &found, addr, tier, dbg, dbg_size);
}

kj_gdb_entry *kj_perf_linked_at(kjit *jit, const kj_perf_syms *syms, const uint64_t *addr,
                                const char *tier, char *dbg, size_t dbg_size) {
    for (int i = 0; i < syms->n && jit->opts.perf_map; i++)
        line((uintptr_t)addr[i], syms->size[i], source_name(syms->name[i]), tier);
    return kj_gdb_register(syms, addr, tier, dbg, dbg_size);
}
