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
 */
#include <elf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_internal.h"

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
    struct jit_code_entry entry; /* then the file */
};

static pthread_mutex_t gdb_lock = PTHREAD_MUTEX_INITIALIZER; /* the descriptor's list */

/* An ELF file: header, a NOBITS .text spanning the functions, .symtab,
 * .strtab, .shstrtab.  Symbols are absolute addresses in .text. */
kj_gdb_entry *kj_gdb_register(const kj_perf_syms *syms, const uint64_t *addr, const char *tier) {
    if (syms->n == 0) return NULL;
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
    kj_gdb_entry *e = calloc(1, sizeof *e + size);
    if (!e) return NULL;
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
    je->next_entry = __jit_debug_descriptor.first_entry;
    if (je->next_entry) je->next_entry->prev_entry = je;
    __jit_debug_descriptor.first_entry = je;
    __jit_debug_descriptor.relevant_entry = je;
    __jit_debug_descriptor.action_flag = JIT_REGISTER_FN;
    __jit_debug_register_code();
    pthread_mutex_unlock(&gdb_lock);
    return e;
}

void kj_gdb_unregister(kj_gdb_entry *e) {
    if (!e) return;
    struct jit_code_entry *je = &e->entry;
    pthread_mutex_lock(&gdb_lock);
    if (je->prev_entry)
        je->prev_entry->next_entry = je->next_entry;
    else
        __jit_debug_descriptor.first_entry = je->next_entry;
    if (je->next_entry) je->next_entry->prev_entry = je->prev_entry;
    __jit_debug_descriptor.relevant_entry = je;
    __jit_debug_descriptor.action_flag = JIT_UNREGISTER_FN;
    __jit_debug_register_code();
    pthread_mutex_unlock(&gdb_lock);
    free(e);
}
