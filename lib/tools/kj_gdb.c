/*
 * kj_gdb.c — what gdb needs to name JIT'd frames: the GDB JIT interface.
 *
 * For every compiled object libkjit writes a small ELF file in memory that
 * holds only a symbol table — each function of the object at its linked
 * address, with its size and its tier ("fib [T2]") — and registers it in
 * __jit_debug_descriptor, calling __jit_debug_register_code, where gdb keeps
 * a breakpoint (gdb's "JIT interface"; LLVM's own registration needs
 * RuntimeDyld or the ORC runtime, which LLJIT's C API does not offer).  gdb
 * then names JIT'd frames in a backtrace; JIT'd code keeps frame pointers
 * (kj_compile.c), which is what lets gdb unwind through frames that have no
 * unwind table it can read.  When the code is freed its file is
 * unregistered.  Without gdb attached this costs writing the file (a few
 * hundred bytes) and a call of an empty function.
 *
 * Code whose generator emitted debug info (Kaleidoscope's does: a
 * subprogram per function, the position of each call) has a second file registered: a copy of the object file itself,
 * its code section's sh_addr set to where the code was linked, as LLVM's
 * own registration for RuntimeDyld does.  gdb relocates the DWARF of such
 * an object by its section addresses, and shows source lines.  The same
 * copy answers kj_gdb_where (kj_wrap_where reads its DWARF), which names
 * the frames of run-time errors.
 *
 * Layer tools (lib/LAYERS): calls only lib/machine and lib/base.
 */
#include <elf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "base/kj_wrap.h"

/* The interface, as gdb's documentation gives it. */
typedef enum { JIT_NOACTION = 0, JIT_REGISTER_FN, JIT_UNREGISTER_FN } jit_actions_t;
struct jit_code_entry {
    struct jit_code_entry *next_entry, *prev_entry;
    const char *symfile_addr;
    uint64_t symfile_size;
};
struct jit_descriptor {
    uint32_t version;
    uint32_t action_flag;
    struct jit_code_entry *relevant_entry, *first_entry;
};

void __attribute__((noinline, used)) __jit_debug_register_code(void) { __asm__ volatile(""); }
struct jit_descriptor __jit_debug_descriptor __attribute__((used)) = {1, 0, NULL, NULL};

struct kj_gdb_entry {
    struct kj_gdb_entry *next;   /* all registered, under gdb_lock */
    uint64_t lo, hi;             /* the code */
    char *dbg;                   /* the object with debug info (NULL: none) */
    size_t dbg_size;
    unsigned dbg_section;        /* the code's section in it */
    struct jit_code_entry dbg_entry;
    struct jit_code_entry entry; /* then the file */
};

static pthread_mutex_t gdb_lock = PTHREAD_MUTEX_INITIALIZER; /* the descriptor's list */
static kj_gdb_entry *entries;

static void add_entry(struct jit_code_entry *je) {
    je->prev_entry = NULL;
    je->next_entry = __jit_debug_descriptor.first_entry;
    if (je->next_entry) je->next_entry->prev_entry = je;
    __jit_debug_descriptor.first_entry = je;
    __jit_debug_descriptor.relevant_entry = je;
    __jit_debug_descriptor.action_flag = JIT_REGISTER_FN;
    __jit_debug_register_code();
}

static void remove_entry(struct jit_code_entry *je) {
    if (je->prev_entry)
        je->prev_entry->next_entry = je->next_entry;
    else
        __jit_debug_descriptor.first_entry = je->next_entry;
    if (je->next_entry) je->next_entry->prev_entry = je->prev_entry;
    __jit_debug_descriptor.relevant_entry = je;
    __jit_debug_descriptor.action_flag = JIT_UNREGISTER_FN;
    __jit_debug_register_code();
}

/* ---- objects with debug info ------------------------------------------------- */

/* The section header of a well-formed ELF64 object, or NULL. */
static Elf64_Shdr *section(const char *obj, size_t size, unsigned i) {
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)obj;
    if (i >= h->e_shnum || h->e_shoff + (uint64_t)(i + 1) * sizeof(Elf64_Shdr) > size) return NULL;
    return (Elf64_Shdr *)(obj + h->e_shoff) + i;
}

static int is_elf64_rel(const char *obj, size_t size) {
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)obj;
    return size >= sizeof *h && memcmp(h->e_ident, ELFMAG, SELFMAG) == 0 &&
           h->e_ident[EI_CLASS] == ELFCLASS64 && h->e_type == ET_REL &&
           h->e_shentsize == sizeof(Elf64_Shdr);
}

char *kj_gdb_debug_copy(const char *obj, size_t size) {
    if (!is_elf64_rel(obj, size)) return NULL;
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)obj;
    const Elf64_Shdr *names = section(obj, size, h->e_shstrndx);
    if (!names || names->sh_offset + names->sh_size > size) return NULL;
    for (unsigned i = 1; i < h->e_shnum; i++) {
        const Elf64_Shdr *sh = section(obj, size, i);
        if (!sh || sh->sh_name >= names->sh_size) return NULL;
        if (strncmp(obj + names->sh_offset + sh->sh_name, ".debug_line", 12) == 0) {
            char *copy = malloc(size);
            if (copy) memcpy(copy, obj, size);
            return copy;
        }
    }
    return NULL;
}

/* Set the sh_addr of the section holding the object's symbols to where it
 * was linked: name[i] at addr[i].  Returns the section's number, or 0 if
 * they do not agree on one section at one address (then the copy is not
 * used). */
static unsigned place(char *obj, size_t size, const kj_perf_syms *syms, const uint64_t *addr) {
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)obj;
    unsigned shndx = 0;
    uint64_t base = 0;
    int placed = 0;
    for (unsigned i = 1; i < h->e_shnum; i++) {
        const Elf64_Shdr *st = section(obj, size, i);
        if (!st || st->sh_type != SHT_SYMTAB) continue;
        const Elf64_Shdr *strs = section(obj, size, st->sh_link);
        if (!strs || st->sh_offset + st->sh_size > size || strs->sh_offset + strs->sh_size > size)
            return 0;
        const Elf64_Sym *sym = (const Elf64_Sym *)(obj + st->sh_offset);
        for (size_t k = 0; k < st->sh_size / sizeof *sym; k++) {
            if (sym[k].st_name >= strs->sh_size || ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC ||
                sym[k].st_shndx == SHN_UNDEF || sym[k].st_shndx >= SHN_LORESERVE)
                continue; /* (the module's FILE symbol may have a function's name) */
            const char *nm = obj + strs->sh_offset + sym[k].st_name;
            for (int j = 0; j < syms->n; j++) {
                if (strcmp(nm, syms->name[j]) != 0) continue;
                uint64_t b = addr[j] - sym[k].st_value;
                if (placed && (sym[k].st_shndx != shndx || b != base)) return 0;
                shndx = sym[k].st_shndx, base = b, placed = 1;
            }
        }
    }
    Elf64_Shdr *text = placed ? section(obj, size, shndx) : NULL;
    if (!text) return 0;
    text->sh_addr = base;
    return shndx;
}

/* An ELF file: header, a NOBITS .text spanning the functions, .symtab,
 * .strtab, .shstrtab.  Symbols are absolute addresses in .text. */
kj_gdb_entry *kj_gdb_register(const kj_perf_syms *syms, const uint64_t *addr, const char *tier,
                              char *dbg, size_t dbg_size) {
    if (syms->n == 0) {
        free(dbg);
        return NULL;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    size_t strsz = 1;
    for (int i = 0; i < syms->n; i++) {
        if (addr[i] < lo) lo = addr[i];
        if (addr[i] + syms->size[i] > hi) hi = addr[i] + syms->size[i];
        strsz += strlen(syms->name[i]) + strlen(tier) + 4;
    }
    static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
    size_t nsym = (size_t)syms->n + 1;
    size_t off_sym = sizeof(Elf64_Ehdr);
    size_t off_str = off_sym + nsym * sizeof(Elf64_Sym);
    size_t off_shstr = off_str + strsz;
    size_t off_sh = (off_shstr + sizeof shstr + 7) & ~(size_t)7;
    size_t size = off_sh + 5 * sizeof(Elf64_Shdr);
    kj_trap_note_code(lo, hi);
    kj_gdb_entry *e = calloc(1, sizeof *e + size);
    if (!e) {
        free(dbg);
        return NULL;
    }
    e->lo = lo, e->hi = hi;
    if (dbg && (e->dbg_section = place(dbg, dbg_size, syms, addr))) {
        e->dbg = dbg, e->dbg_size = dbg_size;
    } else {
        free(dbg);
    }
    char *f = (char *)(e + 1);

    Elf64_Ehdr *h = (Elf64_Ehdr *)f;
    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = ELFCLASS64;
    h->e_ident[EI_DATA] = ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_type = ET_DYN;
#if defined(__x86_64__)
    h->e_machine = EM_X86_64;
#elif defined(__aarch64__)
    h->e_machine = EM_AARCH64;
#endif
    h->e_version = EV_CURRENT;
    h->e_ehsize = sizeof *h;
    h->e_shoff = off_sh;
    h->e_shentsize = sizeof(Elf64_Shdr);
    h->e_shnum = 5;
    h->e_shstrndx = 4;

    Elf64_Sym *sym = (Elf64_Sym *)(f + off_sym);
    char *str = f + off_str;
    size_t s = 1;
    for (int i = 0; i < syms->n; i++) {
        Elf64_Sym *y = &sym[i + 1];
        y->st_name = (uint32_t)s;
        const char *name = syms->name[i];
        if (strncmp(name, "__kjit.", 7) == 0 && strchr(name + 7, '.'))
            name = strchr(name + 7, '.') + 1; /* the source name */
        s += (size_t)sprintf(str + s, "%s [%s]", name, tier) + 1;
        y->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
        y->st_shndx = 1;
        y->st_value = addr[i];
        y->st_size = syms->size[i];
    }
    memcpy(f + off_shstr, shstr, sizeof shstr);

    Elf64_Shdr *sh = (Elf64_Shdr *)(f + off_sh);
    sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_NOBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                         .sh_addr = lo, .sh_size = hi - lo, .sh_addralign = 16};
    sh[2] = (Elf64_Shdr){.sh_name = 7, .sh_type = SHT_SYMTAB, .sh_offset = off_sym,
                         .sh_size = nsym * sizeof(Elf64_Sym), .sh_link = 3, .sh_info = 1,
                         .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym)};
    sh[3] = (Elf64_Shdr){.sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = off_str,
                         .sh_size = strsz, .sh_addralign = 1};
    sh[4] = (Elf64_Shdr){.sh_name = 23, .sh_type = SHT_STRTAB, .sh_offset = off_shstr,
                         .sh_size = sizeof shstr, .sh_addralign = 1};

    struct jit_code_entry *je = &e->entry;
    je->symfile_addr = f;
    je->symfile_size = size;
    pthread_mutex_lock(&gdb_lock);
    add_entry(je);
    if (e->dbg) {
        e->dbg_entry.symfile_addr = e->dbg;
        e->dbg_entry.symfile_size = e->dbg_size;
        add_entry(&e->dbg_entry);
    }
    e->next = entries;
    entries = e;
    pthread_mutex_unlock(&gdb_lock);
    return e;
}

void kj_gdb_unregister(kj_gdb_entry *e) {
    if (!e) return;
    pthread_mutex_lock(&gdb_lock);
    if (e->dbg) remove_entry(&e->dbg_entry);
    remove_entry(&e->entry);
    for (kj_gdb_entry **p = &entries; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    pthread_mutex_unlock(&gdb_lock);
    free(e->dbg);
    free(e);
}

/* ---- naming a pc --------------------------------------------------------------- */

/* The symbol of e's file at pc: its source name, without the tier. */
static int symbol_at(const kj_gdb_entry *e, uint64_t pc, kj_wrap_frame_fn fn, void *ctx) {
    const char *f = (const char *)(e + 1);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + ((const Elf64_Ehdr *)f)->e_shoff);
    const Elf64_Sym *sym = (const Elf64_Sym *)(f + sh[2].sh_offset);
    const char *str = f + sh[3].sh_offset;
    for (size_t k = 1; k < sh[2].sh_size / sizeof *sym; k++) {
        if (pc < sym[k].st_value || pc >= sym[k].st_value + sym[k].st_size) continue;
        char name[128];
        snprintf(name, sizeof name, "%s", str + sym[k].st_name);
        char *tier = strstr(name, " [");
        if (tier) *tier = 0;
        const char *src = name, *dot = strchr(name, '.');
        if (strncmp(name, "osr", 3) == 0 && dot) src = dot + 1; /* an OSR entry's "osr2.f" is f's */
        /* libkjit's own thunks are top-level code */
        fn(ctx, strncmp(name, "__kjit.top", 10) == 0 ? "" : src, "", 0, 0);
        return 1;
    }
    return 0;
}

int kj_gdb_where(uint64_t pc, kj_wrap_frame_fn fn, void *ctx) {
    int n = 0;
    pthread_mutex_lock(&gdb_lock);
    for (kj_gdb_entry *e = entries; e; e = e->next) {
        if (pc < e->lo || pc >= e->hi) continue;
        if (e->dbg) n = kj_wrap_where(e->dbg, e->dbg_size, e->dbg_section, pc, fn, ctx);
        if (n == 0) n = symbol_at(e, pc, fn, ctx);
        break;
    }
    pthread_mutex_unlock(&gdb_lock);
    return n;
}
