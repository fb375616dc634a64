/*
 * kj_elf.c — kjit's own linker for the objects kj_compile makes and the
 * code cache keeps, so that a warm run links them without loading LLVM
 * (issue K2, item 3), and a first run in a fifth of JITLink's time.
 *
 * What it links is one relocatable ELF object of this machine, PIC, small
 * code model, no debug info.  Its allocated sections are laid out code
 * first (with stubs that jump through the GOT, for calls that cannot reach
 * their target with 32 bits), then the rest and a GOT, in an arena (below)
 * or a mapping of its own.  Names the
 * object does not define resolve as ORC's generator resolves them
 * (kj_link_resolve: stubs, kjit's own names, the process's symbols), after
 * the symbols of data objects this linker linked before (a module's
 * variables).  Its .eh_frame is registered with the unwinder, so C++
 * exceptions and backtraces cross the code as they cross ORC's.
 *
 * Anything it does not know (another machine, a relocation it does not
 * do, thread-local or common symbols, debug info, constructor sections) is
 * not an error: it says "not mine" and the caller loads LLVM and links the
 * object with ORC, as before.  A name that resolves nowhere is an error,
 * as it is for ORC.
 *
 * Layer pipeline (lib/LAYERS): calls kj_link.c and lib/base.
 */
#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/kj_base.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"

struct kj_elf {
    char *mem;            /* its own mapping (len bytes), or NULL: in arena */
    size_t len;
    struct kj_arena *arena;
    void *eh_frame;   /* registered with the unwinder, if not NULL */
    kj_fn **mirrored; /* the functions whose stubs its call slots mirror */
    size_t nmirrored;
};

/* ---- the symbols of data objects (a module's variables), by name ---------- */

typedef struct elf_sym {
    char *name;
    void *addr;
} elf_sym;

typedef struct kj_elf_syms {
    elf_sym *v;
    size_t n, cap; /* cap a power of two (open addressing) */
} kj_elf_syms;

static elf_sym *syms_slot(kj_elf_syms *t, const char *name) {
    size_t mask = t->cap - 1;
    for (size_t i = kj_hash_name(name) & mask;; i = (i + 1) & mask)
        if (!t->v[i].name || strcmp(t->v[i].name, name) == 0) return &t->v[i];
}

static int syms_put(kj_elf_syms *t, const char *name, void *addr) {
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        kj_elf_syms grown = {calloc(cap, sizeof *t->v), 0, cap};
        if (!grown.v) return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i].name) *syms_slot(&grown, t->v[i].name) = t->v[i];
        grown.n = t->n;
        free(t->v);
        *t = grown;
    }
    elf_sym *s = syms_slot(t, name);
    if (s->name) return 0; /* the first definition stands */
    if (!(s->name = strdup(name))) return -1;
    s->addr = addr;
    t->n++;
    return 0;
}

void *kj_elf_find(kjit *jit, const char *name) {
    pthread_mutex_lock(&jit->lock);
    kj_elf_syms *t = jit->elf_syms;
    elf_sym *s = t && t->n ? syms_slot(t, name) : NULL;
    void *a = s && s->name ? s->addr : NULL;
    pthread_mutex_unlock(&jit->lock);
    return a;
}

void kj_elf_each(kjit *jit, void (*fn)(kjit *jit, const char *name, void *addr)) {
    kj_elf_syms *t = jit->elf_syms;
    for (size_t i = 0; t && i < t->cap; i++)
        if (t->v[i].name) fn(jit, t->v[i].name, t->v[i].addr);
}

void kj_elf_syms_free(kjit *jit) {
    kj_elf_syms *t = jit->elf_syms;
    if (!t) return;
    for (size_t i = 0; i < t->cap; i++) free(t->v[i].name);
    free(t->v);
    free(t);
    jit->elf_syms = NULL;
}

/* The unwinder's __register_frame or __deregister_frame, or NULL. */
static void (*frame_fn(const char *name))(void *) {
    void *f = dlsym(RTLD_DEFAULT, name);
    void (*fn)(void *);
    memcpy(&fn, &f, sizeof fn);
    return f ? fn : NULL;
}

/* ---- linking ----------------------------------------------------------------- */

#if defined(__x86_64__)

#define PAGE 4096u
#define ALIGN(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))
#define STUB_SIZE 8 /* jmp *GOT(%rip), padded */

typedef struct olink {
    const char *obj;
    size_t size;
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;
    const Elf64_Sym *sym;
    size_t nsym;
    const char *str;      /* the symbols' names */
    size_t str_size;
    size_t *off;          /* per section: offset in the mapping, or -1 */
    uint64_t *val;        /* per symbol: its address, once resolved */
    int *got, *stub;      /* per symbol: its GOT slot, its stub (or -1) */
    int *gotc;            /* per symbol: its call slot (mirrors the function's
                             stub, kj_fn_point), or -1 */
    size_t ngot, nstub, got_off, stub_off;
    /* Where the layout's offsets are: below split (code, stubs) at xb[0]
     * for the code that runs and wb[0] for writing it, from split on (the
     * rest, the GOT) at xb[1] == wb[1]. */
    size_t split;
    char *xb[2], *wb[2];
} olink;

static int in(const olink *l, uint64_t off, uint64_t len) {
    return off <= l->size && len <= l->size - off;
}

/* The object's headers, checked: 1 ours to link, 0 not. */
static int headers(olink *l) {
    const Elf64_Ehdr *eh = l->eh = (const Elf64_Ehdr *)(const void *)l->obj;
    if (l->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_type != ET_REL || eh->e_machine != EM_X86_64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || !in(l, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
        eh->e_shoff % 8)
        return 0;
    l->sh = (const Elf64_Shdr *)(const void *)(l->obj + eh->e_shoff);
    const Elf64_Shdr *names = eh->e_shstrndx < eh->e_shnum ? &l->sh[eh->e_shstrndx] : NULL;
    if (!names || !in(l, names->sh_offset, names->sh_size)) return 0;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type != SHT_NOBITS && !in(l, s->sh_offset, s->sh_size)) return 0;
        if (s->sh_name >= names->sh_size) return 0;
        const char *name = l->obj + names->sh_offset + s->sh_name;
        if (strncmp(name, ".debug", 6) == 0 || (s->sh_flags & SHF_TLS) ||
            s->sh_type == SHT_INIT_ARRAY || s->sh_type == SHT_FINI_ARRAY ||
            s->sh_type == SHT_PREINIT_ARRAY || strncmp(name, ".ctors", 6) == 0 ||
            strncmp(name, ".dtors", 6) == 0 || s->sh_type == SHT_REL)
            return 0;
        if ((s->sh_flags & SHF_ALLOC) && s->sh_addralign > PAGE) return 0;
        if (s->sh_type == SHT_SYMTAB) {
            if (l->sym || s->sh_entsize != sizeof(Elf64_Sym) || s->sh_link >= eh->e_shnum ||
                s->sh_offset % 8)
                return 0;
            const Elf64_Shdr *st = &l->sh[s->sh_link];
            if (!in(l, st->sh_offset, st->sh_size) || st->sh_size == 0 ||
                l->obj[st->sh_offset + st->sh_size - 1] != 0)
                return 0;
            l->sym = (const Elf64_Sym *)(const void *)(l->obj + s->sh_offset);
            l->nsym = s->sh_size / sizeof(Elf64_Sym);
            l->str = l->obj + st->sh_offset;
            l->str_size = st->sh_size;
        }
    }
    if (!l->sym) return 0;
    for (size_t i = 0; i < l->nsym; i++) {
        const Elf64_Sym *s = &l->sym[i];
        if (s->st_name >= l->str_size || s->st_shndx == SHN_COMMON ||
            ELF64_ST_TYPE(s->st_info) == STT_TLS || ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ||
            (s->st_shndx >= eh->e_shnum && s->st_shndx != SHN_ABS && s->st_shndx != SHN_UNDEF))
            return 0;
    }
    return 1;
}

/* Where offset off of the layout runs (X) and is written (W). */
static char *X(const olink *l, size_t off) {
    return off < l->split ? l->xb[0] + off : l->xb[1] + (off - l->split);
}
static char *W(const olink *l, size_t off) {
    return off < l->split ? l->wb[0] + off : l->wb[1] + (off - l->split);
}

static const char *sec_name(const olink *l, unsigned i) {
    return l->obj + l->sh[l->eh->e_shstrndx].sh_offset + l->sh[i].sh_name;
}

static int allocated(const olink *l, unsigned i) {
    return (l->sh[i].sh_flags & SHF_ALLOC) && l->sh[i].sh_size > 0;
}

/* Whether relocation r (of section sec) is the operand of `call *x(%rip)`
 * or `jmp *x(%rip)` (ff 15, ff 25: a call through the GOT, as kj_link.c's
 * nonlazybind callees are called) to a function of the JIT's: then its GOT
 * slot holds the function's current code, not its stub's address, which
 * is what any other use of the name (its address, taken) must see. */
static int call_slot(const olink *l, unsigned sec, const Elf64_Rela *r) {
    const Elf64_Sym *s = &l->sym[ELF64_R_SYM(r->r_info)];
    const char *name = l->str + s->st_name;
    if (s->st_shndx != SHN_UNDEF || r->r_addend != -4 || r->r_offset < 2 ||
        l->sh[sec].sh_type == SHT_NOBITS ||
        (strncmp(name, KJ_NS, KJ_NS_LEN) != 0 && strncmp(name, KJ_HOST_NS, KJ_NS_LEN) != 0))
        return 0;
    const unsigned char *op =
        (const unsigned char *)l->obj + l->sh[sec].sh_offset + r->r_offset - 2;
    return op[0] == 0xff && (op[1] == 0x15 || op[1] == 0x25);
}

/* Relocation sections of allocated sections: each entry checked, GOT slots
 * and stubs counted.  1 ours, 0 not. */
static int plan_relocs(olink *l) {
    for (unsigned i = 0; i < l->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type != SHT_RELA) continue;
        if (s->sh_info >= l->eh->e_shnum) return 0;
        if (!allocated(l, s->sh_info)) continue; /* (e.g. .rela of a dropped section) */
        if (s->sh_entsize != sizeof(Elf64_Rela) || s->sh_offset % 8) return 0;
        const Elf64_Rela *r = (const Elf64_Rela *)(const void *)(l->obj + s->sh_offset);
        size_t n = s->sh_size / sizeof *r, target = l->sh[s->sh_info].sh_size;
        for (size_t k = 0; k < n; k++) {
            size_t si = ELF64_R_SYM(r[k].r_info);
            unsigned type = ELF64_R_TYPE(r[k].r_info);
            if (si >= l->nsym) return 0;
            size_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
            if (r[k].r_offset > target || target - r[k].r_offset < width) return 0;
            switch (type) {
            case R_X86_64_NONE:
            case R_X86_64_64:
            case R_X86_64_PC64:
            case R_X86_64_PC32:
            case R_X86_64_32:
            case R_X86_64_32S:
                break;
            case R_X86_64_PLT32:
                if (l->sym[si].st_shndx == SHN_UNDEF && l->stub[si] < 0) {
                    if (l->got[si] < 0) l->got[si] = (int)l->ngot++;
                    l->stub[si] = (int)l->nstub++;
                }
                break;
            case R_X86_64_GOTPCREL:
            case R_X86_64_GOTPCRELX:
            case R_X86_64_REX_GOTPCRELX:
                if (call_slot(l, s->sh_info, &r[k])) {
                    if (l->gotc[si] < 0) l->gotc[si] = (int)l->ngot++;
                } else if (l->got[si] < 0) {
                    l->got[si] = (int)l->ngot++;
                }
                break;
            default:
                return 0;
            }
        }
    }
    return 1;
}

/* Where each allocated section goes: code, then stubs, from offset 0;
 * the rest, then the GOT, from the next page.  Returns the length. */
static size_t layout(olink *l, size_t *data_at) {
    size_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            at = ALIGN(at, 16);
            l->stub_off = at;
            at += l->nstub * STUB_SIZE;
            at = *data_at = ALIGN(at, PAGE);
        }
        for (unsigned i = 0; i < l->eh->e_shnum; i++) {
            if (!allocated(l, i) || ((l->sh[i].sh_flags & SHF_EXECINSTR) != 0) != (pass == 0))
                continue;
            size_t a = l->sh[i].sh_addralign ? l->sh[i].sh_addralign : 1;
            at = ALIGN(at, a);
            l->off[i] = at;
            at += l->sh[i].sh_size;
            /* .eh_frame ends with a zero terminator for the unwinder */
            if (strcmp(sec_name(l, i), ".eh_frame") == 0) at += 4;
        }
    }
    at = ALIGN(at, 8);
    l->got_off = at;
    at += l->ngot * 8;
    return ALIGN(at ? at : 1, PAGE);
}

/* Every symbol's address: defined ones in the mapping, others resolved.
 * -1 (error set) if a name resolves nowhere. */
static int resolve_all(kjit *jit, olink *l) {
    for (size_t i = 1; i < l->nsym; i++) {
        const Elf64_Sym *s = &l->sym[i];
        const char *name = l->str + s->st_name;
        if (s->st_shndx == SHN_ABS) {
            l->val[i] = s->st_value;
        } else if (s->st_shndx != SHN_UNDEF) {
            if (l->off[s->st_shndx] == (size_t)-1) {
                l->val[i] = 0; /* a symbol of a section not loaded (unused) */
                continue;
            }
            l->val[i] = (uint64_t)(uintptr_t)X(l, l->off[s->st_shndx]) + s->st_value;
        } else if (name[0]) {
            void *a = kj_elf_find(jit, name);
            int callable;
            /* (once LLVM is up, ORC may have linked data objects too) */
            if (!a && strncmp(name, "__kjit", 6) != 0) a = kj_llvm_lookup(jit, name);
            if (!a) a = kj_link_resolve(jit, name, &callable);
            if (!a && ELF64_ST_BIND(s->st_info) != STB_WEAK) {
                kj_set_error(KJIT_ECOMPILE, "cannot link: symbol '%s' not found", name);
                return -1;
            }
            l->val[i] = (uint64_t)(uintptr_t)a;
        }
    }
    /* __emutls_get_address resolves to kjit's (kj_link.c), which answers
     * for the process's own thread-locals; an object that reaches none of
     * them calls libgcc's directly (a loop on a thread_local: 1.3x). */
    size_t emutls = 0;
    int host = 0;
    for (size_t i = 1; i < l->nsym; i++) {
        const char *name = l->str + l->sym[i].st_name;
        if (l->sym[i].st_shndx != SHN_UNDEF) continue;
        if (strcmp(name, "__emutls_get_address") == 0) emutls = i;
        else if (strncmp(name, "__emutls_v.", 11) == 0)
            host |= kj_link_host_tls((const void *)(uintptr_t)l->val[i]);
    }
    void *real = emutls && !host ? kj_link_emutls_real() : NULL;
    if (real) l->val[emutls] = (uint64_t)(uintptr_t)real;
    return 0;
}

static int fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* Apply the relocations; 0, or 1 if a value does not fit (then ORC links
 * the object: it makes stubs and GOT entries where it must). */
static int relocate(olink *l) {
    uint64_t *got = (uint64_t *)(void *)X(l, l->got_off); /* (data: X == W) */
    for (size_t i = 0; i < l->nsym; i++)
        if (l->got[i] >= 0) got[l->got[i]] = l->val[i];
    for (size_t i = 0; i < l->nsym; i++) /* (the stub, until mirror() says better) */
        if (l->gotc[i] >= 0) got[l->gotc[i]] = l->val[i];
    for (size_t i = 0; i < l->nsym; i++) {
        if (l->stub[i] < 0) continue;
        size_t at = l->stub_off + (size_t)l->stub[i] * STUB_SIZE;
        unsigned char *p = (unsigned char *)W(l, at);
        int64_t d = (int64_t)(uintptr_t)&got[l->got[i]] - (int64_t)(uintptr_t)(X(l, at) + 6);
        int32_t d32 = (int32_t)d;
        p[0] = 0xff, p[1] = 0x25; /* jmp *d32(%rip) */
        memcpy(p + 2, &d32, 4);
        p[6] = 0xcc, p[7] = 0xcc;
    }
    for (unsigned i = 0; i < l->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type != SHT_RELA || !allocated(l, s->sh_info)) continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(const void *)(l->obj + s->sh_offset);
        size_t n = s->sh_size / sizeof *r;
        char *base = W(l, l->off[s->sh_info]), *xbase = X(l, l->off[s->sh_info]);
        for (size_t k = 0; k < n; k++) {
            size_t si = ELF64_R_SYM(r[k].r_info);
            char *p = base + r[k].r_offset;
            int64_t S = (int64_t)l->val[si], A = r[k].r_addend,
                    P = (int64_t)(uintptr_t)(xbase + r[k].r_offset), v;
            int32_t v32;
            switch (ELF64_R_TYPE(r[k].r_info)) {
            case R_X86_64_NONE:
                break;
            case R_X86_64_64:
                v = S + A;
                memcpy(p, &v, 8);
                break;
            case R_X86_64_PC64:
                v = S + A - P;
                memcpy(p, &v, 8);
                break;
            case R_X86_64_PLT32:
                if (l->stub[si] >= 0 && !fits32(S + A - P))
                    S = (int64_t)(uintptr_t)X(l, l->stub_off + (size_t)l->stub[si] * STUB_SIZE);
                /* fall through */
            case R_X86_64_PC32:
                v = S + A - P;
                if (!fits32(v)) return 1;
                v32 = (int32_t)v;
                memcpy(p, &v32, 4);
                break;
            case R_X86_64_32:
            case R_X86_64_32S:
                v = S + A;
                if (ELF64_R_TYPE(r[k].r_info) == R_X86_64_32 ? (uint64_t)v > UINT32_MAX : !fits32(v))
                    return 1;
                v32 = (int32_t)v;
                memcpy(p, &v32, 4);
                break;
            default: /* the GOT's */
                v = (int64_t)(uintptr_t)&got[call_slot(l, s->sh_info, &r[k]) ? l->gotc[si]
                                                                            : l->got[si]] +
                    A - P;
                if (!fits32(v)) return 1;
                v32 = (int32_t)v;
                memcpy(p, &v32, 4);
                break;
            }
        }
    }
    return 0;
}

/* ---- arenas ------------------------------------------------------------------
 *
 * An object in a mapping of its own costs an mprotect to make its code
 * executable, which on a process with two threads running is a TLB
 * shootdown (an interrupt to the other core), and at least two pages: on the
 * SQL engine's warm run, mprotect was a sixth of the program thread's time
 * and fresh pages as much.  So objects are packed into arenas: 8 MiB of
 * code, shared memory mapped twice (executable where it runs, writable
 * elsewhere, an alias mremap makes: no page is both, and no mprotect per
 * object), then 8 MiB of data, one range, so that 32-bit references between
 * an object's code and data reach.  Code and data are only ever appended; an
 * arena is unmapped when the last object in it is freed and another arena
 * has taken its place.  If the mappings fail, or for an object too large or
 * aligned beyond 64 bytes, a mapping of its own. */

#define ARENA_CODE (8u << 20)
#define ARENA_DATA (8u << 20)

typedef struct kj_arena {
    struct kj_arena *next;
    char *x, *w, *d;          /* code as run, code as written, data */
    size_t code_used, data_used;
    size_t live;              /* objects in it */
} kj_arena;

static kj_arena *arena_new(void) {
    kj_arena *a = calloc(1, sizeof *a);
    char *base = a ? mmap(NULL, ARENA_CODE + ARENA_DATA, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                   : MAP_FAILED;
    char *x = MAP_FAILED, *w = MAP_FAILED;
    /* Shared anonymous memory, which perf takes for anonymous (its map file
     * names the code; a memfd's would be a file to it), and its alias. */
    if (base != MAP_FAILED)
        x = mmap(base, ARENA_CODE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
    if (x != MAP_FAILED) w = mremap(x, 0, ARENA_CODE, MREMAP_MAYMOVE);
    if (w == MAP_FAILED || mprotect(w, ARENA_CODE, PROT_READ | PROT_WRITE) != 0 ||
        mmap(base + ARENA_CODE, ARENA_DATA, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        if (w != MAP_FAILED) munmap(w, ARENA_CODE);
        if (base != MAP_FAILED) munmap(base, ARENA_CODE + ARENA_DATA);
        free(a);
        return NULL;
    }
    a->x = base;
    a->w = w;
    a->d = base + ARENA_CODE;
    return a;
}

static void arena_unmap(kj_arena *a) {
    munmap(a->x, ARENA_CODE + ARENA_DATA);
    munmap(a->w, ARENA_CODE);
    free(a);
}

/* Place l's layout (code below l->split) in the current arena,
 * or a new one: 1 and *out (l->xb, l->wb set); 0: not in an arena. */
static int arena_place(kjit *jit, olink *l, kj_arena **out) {
    size_t code = l->stub_off + l->nstub * STUB_SIZE, data = l->got_off + l->ngot * 8 - l->split;
    for (unsigned i = 0; i < l->eh->e_shnum; i++)
        if (allocated(l, i) && l->sh[i].sh_addralign > 64) return 0;
    code = ALIGN(code, 64);
    data = ALIGN(data, 64);
    if (code > ARENA_CODE / 4 || data > ARENA_DATA / 4) return 0;
    pthread_mutex_lock(&jit->mirror_lock);
    kj_arena *a = jit->arenas;
    if (!a || a->code_used + code > ARENA_CODE || a->data_used + data > ARENA_DATA) {
        kj_arena *fresh = arena_new();
        if (!fresh) {
            pthread_mutex_unlock(&jit->mirror_lock);
            return 0;
        }
        fresh->next = a;
        jit->arenas = a = fresh;
    }
    l->xb[0] = a->x + a->code_used;
    l->wb[0] = a->w + a->code_used;
    l->xb[1] = l->wb[1] = a->d + a->data_used;
    a->code_used += code;
    a->data_used += data;
    a->live++;
    pthread_mutex_unlock(&jit->mirror_lock);
    *out = a;
    return 1;
}

/* An object in a is gone: the last one unmaps it, unless it is the
 * arena objects go into now. */
static void arena_release(kjit *jit, kj_arena *a) {
    pthread_mutex_lock(&jit->mirror_lock);
    int last = --a->live == 0 && a != jit->arenas;
    if (last)
        for (kj_arena **p = &jit->arenas; *p; p = &(*p)->next)
            if (*p == a) {
                *p = a->next;
                break;
            }
    pthread_mutex_unlock(&jit->mirror_lock);
    if (last) arena_unmap(a);
}

void kj_elf_fork_child(kjit *jit) {
    /* An arena's code is shared memory, so a forked child and its parent
     * see each other's writes there: each appending its new code at the
     * same place overwrote the other's (wrong results in both, crashes).
     * The child keeps running what is there and appends nothing: its new
     * code goes into arenas of its own. */
    for (kj_arena *a = jit->arenas; a; a = a->next) a->code_used = ARENA_CODE;
}

void kj_elf_arenas_free(kjit *jit) {
    for (kj_arena *a = jit->arenas, *next; a; a = next) {
        next = a->next;
        arena_unmap(a);
    }
    jit->arenas = NULL;
}

/* Each call slot made to mirror its function's stub (kj_fn_mirror); one
 * that cannot be keeps the stub's address. */
static void mirror(kjit *jit, const olink *l, kj_elf *e) {
    size_t n = 0;
    for (size_t i = 0; i < l->nsym; i++) n += l->gotc[i] >= 0;
    if (!n || !(e->mirrored = malloc(n * sizeof *e->mirrored))) return;
    _Atomic(void *) *got = (_Atomic(void *) *)(void *)X(l, l->got_off);
    pthread_mutex_lock(&jit->lock); /* (then mirror_lock: the lock order) */
    pthread_mutex_lock(&jit->mirror_lock);
    for (size_t i = 0; i < l->nsym; i++) {
        if (l->gotc[i] < 0) continue;
        kj_fn *fn = kj_fn_lookup_or_add(jit, l->str + l->sym[i].st_name + KJ_NS_LEN);
        if (!fn) continue;
        if (kj_fn_mirror(fn, &got[l->gotc[i]], e) != 0) break;
        e->mirrored[e->nmirrored++] = fn;
    }
    pthread_mutex_unlock(&jit->mirror_lock);
    pthread_mutex_unlock(&jit->lock);
}

int kj_elf_link(kjit *jit, const char *obj, size_t size, const char *symbol, kj_elf **out,
                void **addr, kj_perf_syms *perf, uint64_t *perf_addr) {
    *out = NULL;
    if (addr) *addr = NULL;
    olink l = {.obj = obj, .size = size};
    if (((uintptr_t)obj & 7) || !headers(&l)) return 0;
    unsigned nsec = l.eh->e_shnum;
    l.off = malloc(nsec * sizeof *l.off);
    l.val = calloc(l.nsym, sizeof *l.val);
    l.got = malloc(l.nsym * sizeof *l.got);
    l.stub = malloc(l.nsym * sizeof *l.stub);
    l.gotc = malloc(l.nsym * sizeof *l.gotc);
    int r = 0;
    char *mem = MAP_FAILED;
    struct kj_arena *a = NULL;
    size_t len = 0, data_at = 0;
    void *eh_frame = NULL;
    if (!l.off || !l.val || !l.got || !l.stub || !l.gotc) {
        r = -1;
        kj_set_error(KJIT_ENOMEM, "out of memory");
        goto out;
    }
    memset(l.off, 0xff, nsec * sizeof *l.off);
    memset(l.got, 0xff, l.nsym * sizeof *l.got);
    memset(l.stub, 0xff, l.nsym * sizeof *l.stub);
    memset(l.gotc, 0xff, l.nsym * sizeof *l.gotc);
    if (!plan_relocs(&l)) goto out;
    len = layout(&l, &data_at);
    l.split = data_at;
    if (!arena_place(jit, &l, &a)) { /* a mapping of its own */
        mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            r = -1;
            kj_set_error(KJIT_ENOMEM, "cannot map memory for code");
            goto out;
        }
        l.xb[0] = l.wb[0] = mem;
        l.xb[1] = l.wb[1] = mem + data_at;
    }
    for (unsigned i = 0; i < nsec; i++)
        if (allocated(&l, i) && l.sh[i].sh_type != SHT_NOBITS)
            memcpy(W(&l, l.off[i]), obj + l.sh[i].sh_offset, l.sh[i].sh_size);
    if (resolve_all(jit, &l) != 0) {
        r = -1;
        goto out;
    }
    if (relocate(&l) != 0) goto out; /* (0: ORC's) */
    /* The entry, and the functions perf and gdb are told of. */
    void *entry = NULL;
    if (perf) perf->n = 0;
    for (size_t i = 1; i < l.nsym; i++) {
        const Elf64_Sym *s = &l.sym[i];
        const char *name = l.str + s->st_name;
        if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS || !name[0]) continue;
        if (symbol && ELF64_ST_BIND(s->st_info) != STB_LOCAL && strcmp(name, symbol) == 0)
            entry = (void *)(uintptr_t)l.val[i];
        if (perf && perf->n < KJ_PERF_SYMS && s->st_size && strncmp(name, "__kjit.", 7) == 0 &&
            ELF64_ST_TYPE(s->st_info) == STT_FUNC) {
            snprintf(perf->name[perf->n], sizeof perf->name[0], "%s", name);
            perf->size[perf->n] = s->st_size;
            perf_addr[perf->n++] = l.val[i];
        }
    }
    if (symbol && !entry) {
        r = -1;
        kj_set_error(KJIT_ECOMPILE, "cannot link: symbol '%s' not found", symbol);
        goto out;
    }
    if (mem != MAP_FAILED && data_at && mprotect(mem, data_at, PROT_READ | PROT_EXEC) != 0) {
        r = -1;
        kj_set_error(KJIT_ECOMPILE, "cannot make code executable");
        goto out;
    }
    kj_elf *e = malloc(sizeof *e);
    if (!e) {
        r = -1;
        kj_set_error(KJIT_ENOMEM, "out of memory");
        goto out;
    }
    if (!symbol) { /* a data object: its names, for the objects after it */
        pthread_mutex_lock(&jit->lock);
        if (!jit->elf_syms) jit->elf_syms = calloc(1, sizeof(kj_elf_syms));
        int bad = !jit->elf_syms;
        for (size_t i = 1; i < l.nsym && !bad; i++) {
            const Elf64_Sym *s = &l.sym[i];
            if (s->st_shndx != SHN_UNDEF && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
                ELF64_ST_VISIBILITY(s->st_other) != STV_HIDDEN && l.str[s->st_name] &&
                ELF64_ST_TYPE(s->st_info) != STT_SECTION)
                if (!(bad = syms_put(jit->elf_syms, l.str + s->st_name,
                                     (void *)(uintptr_t)l.val[i])))
                    kj_llvm_define_own(jit, l.str + s->st_name, (void *)(uintptr_t)l.val[i]);
        }
        pthread_mutex_unlock(&jit->lock);
        if (bad) { /* (the names put stay: this data is never freed) */
            free(e);
            r = -1;
            kj_set_error(KJIT_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (unsigned i = 0; i < nsec; i++)
        if (allocated(&l, i) && strcmp(sec_name(&l, i), ".eh_frame") == 0) {
            void (*reg)(void *) = frame_fn("__register_frame");
            if (reg) {
                eh_frame = X(&l, l.off[i]);
                reg(eh_frame);
            }
        }
    *e = (kj_elf){mem != MAP_FAILED ? mem : NULL, len, a, eh_frame, NULL, 0};
    mirror(jit, &l, e);
    *out = e;
    if (addr) *addr = entry;
    mem = MAP_FAILED;
    a = NULL;
    eh_frame = NULL;
    r = 1;
out:
    if (eh_frame) {
        void (*dereg)(void *) = frame_fn("__deregister_frame");
        if (dereg) dereg(eh_frame);
    }
    if (mem != MAP_FAILED) munmap(mem, len);
    if (a) arena_release(jit, a);
    free(l.off);
    free(l.val);
    free(l.got);
    free(l.stub);
    free(l.gotc);
    return r;
}

#else /* not x86-64: ORC links every object */

void kj_elf_arenas_free(kjit *jit) { (void)jit; }
void kj_elf_fork_child(kjit *jit) { (void)jit; } /* (ORC's memory is private) */

int kj_elf_link(kjit *jit, const char *obj, size_t size, const char *symbol, kj_elf **out,
                void **addr, kj_perf_syms *perf, uint64_t *perf_addr) {
    (void)jit, (void)obj, (void)size, (void)symbol, (void)perf, (void)perf_addr;
    (void)syms_put; /* (the names of data objects: x86-64's links only) */
    *out = NULL;
    if (addr) *addr = NULL;
    return 0;
}

#endif

void kj_elf_free(kjit *jit, kj_elf *e) {
    if (!e) return;
    if (e->nmirrored && !jit->tearing_down) { /* (else the functions are gone) */
        pthread_mutex_lock(&jit->mirror_lock);
        for (size_t i = 0; i < e->nmirrored; i++) kj_fn_unmirror(e->mirrored[i], e);
        pthread_mutex_unlock(&jit->mirror_lock);
    }
    free(e->mirrored);
    void (*dereg)(void *) = e->eh_frame ? frame_fn("__deregister_frame") : NULL;
    if (dereg) dereg(e->eh_frame);
#if defined(__x86_64__)
    if (e->arena) arena_release(jit, e->arena);
#endif
    if (e->mem) munmap(e->mem, e->len);
    free(e);
}
