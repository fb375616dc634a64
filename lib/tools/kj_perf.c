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
 * Layer tools (lib/LAYERS): calls only lib/machine and lib/base.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Object.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"

static pthread_mutex_t perf_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *perf_file;

static void line(uintptr_t start, size_t size, const char *name, const char *tier) {
    pthread_mutex_lock(&perf_lock);
    if (!perf_file) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        perf_file = fopen(path, "a");
    }
    if (perf_file) {
        fprintf(perf_file, "%lx %zx %s [%s]\n", (unsigned long)start, size, name, tier);
        fflush(perf_file);
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
        if (jit->opts.perf_map) line((uintptr_t)a, syms->size[i], source_name(syms->name[i]), tier);
        memcpy(found.name[found.n], syms->name[i], sizeof found.name[0]);
        found.size[found.n] = syms->size[i];
        addr[found.n++] = a;
    }
    return kj_gdb_register(&found, addr, tier, dbg, dbg_size);
}
