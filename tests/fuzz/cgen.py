#!/usr/bin/env python3
"""cgen.py — seeded generator of C and C++ programs for what csmith lacks.

Each seed gives one program (a bundle of files, see bundle()) using one to
three of these features, each in a function of its own whose results main
prints:

  fnptr   two modules: a table of function pointers in lib.c called from
          main.c, main.c's static functions passed to lib.c as callbacks,
          function addresses compared across the modules
  cgoto   a bytecode interpreter dispatching with `goto *` through a static
          label table and through one built per call
  vla     variable-length arrays (1-D, 2-D passed to a VLA parameter, one
          declared in a loop body)
  alloca  alloca in a loop, every block read after the loop
  setjmp  longjmp out of a random depth of recursion, to main's level and
          to a nested setjmp that jumps on
  threads pthreads computing into their own slots, a mutex-protected
          counter; main prints after joining (threads never print)
  cxx     C++ exceptions of several types through frames with RAII guards
          that log their destruction, caught by base class, rethrown

All arithmetic is on uint32_t (wrapping is defined, shifts are masked,
divisors forced odd), every loop has a constant bound: the programs are
free of undefined behaviour and terminate, so a native build at any -O
level prints the same.

reload_program(seed, variant) is the reload fuzzer's program: main calls
f in a bounded loop and prints its results, prints `phase`, waits for a
line on stdin, then goes on calling f.  Variant 0 is the original, 1 and 2
two mutants: f (and the helpers it calls) get different bodies, the same
signatures; main and everything else is the same text.

Usage: cgen.py SEED [reload VARIANT]   (prints the bundle)
"""
import random
import sys

FEATURES = ["fnptr", "cgoto", "vla", "alloca", "setjmp", "threads", "cxx"]

HEADER = """#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef uint32_t u32;
"""


def bundle(files):
    """Files [(name, text)] as one text: `//@@ NAME` lines start each file."""
    return "".join("//@@ %s\n%s" % (n, t if t.endswith("\n") else t + "\n") for n, t in files)


def unbundle(text):
    """The [(name, text)] of a bundle (the inverse of bundle)."""
    files = []
    for line in text.splitlines(keepends=True):
        if line.startswith("//@@ "):
            files.append([line[5:].strip(), ""])
        elif files:
            files[-1][1] += line
    return [(n, t) for n, t in files]


class Expr:
    """Random u32 expressions over given variables, free of UB."""

    def __init__(self, r):
        self.r = r

    def const(self):
        r = self.r
        return "%du" % r.choice([0, 1, 2, 3, 7, 31, 255, 0x7fffffff, 0xffffffff, r.randrange(1 << 32),
                                  r.randrange(100)])

    def gen(self, vars, depth=3):
        r = self.r
        if depth <= 0 or r.random() < 0.2:
            return r.choice(vars) if vars and r.random() < 0.7 else self.const()
        a, b = self.gen(vars, depth - 1), self.gen(vars, depth - 1)
        k = r.randrange(11)
        if k <= 5:
            return "(%s %s %s)" % (a, "+-*^&|"[k], b)
        if k == 6:
            return "(%s >> (%s & 31u))" % (a, b)
        if k == 7:
            return "(%s << (%s & 31u))" % (a, b)
        if k == 8:
            return "(%s / (%s | 1u))" % (a, b)
        if k == 9:
            return "(%s %% (%s | 1u))" % (a, b)
        return "(%s < %s ? %s : %s)" % (a, b, self.gen(vars, depth - 1), self.gen(vars, depth - 1))


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.e = Expr(self.r)
        self.seed = seed

    def expr(self, vars, depth=3):
        return self.e.gen(vars, depth)

    # Each feature returns (main-module text, {extra module: text}, main's call lines).
    def fnptr(self, p):
        r = self.r
        n, m = r.randint(2, 5), r.randint(1, 4)
        lib = [HEADER]
        for k in range(n):
            lib.append("__attribute__((noinline)) u32 %s_lf%d(u32 x) { return %s; }\n" % (p, k, self.expr(["x"])))
        lib.append("static u32 %s_lstatic(u32 x) { return %s; }\n" % (p, self.expr(["x"])))
        lib.append("u32 (*%s_table[%d])(u32) = { %s };\n" % (p, n, ", ".join("%s_lf%d" % (p, k) for k in range(n))))
        lib.append("u32 (*%s_lib_static_addr(void))(u32) { return %s_lstatic; }\n" % (p, p))
        lib.append("u32 (*%s_pick(u32 i))(u32) { return %s_table[i %% %du]; }\n" % (p, p, n))
        lib.append("u32 %s_apply(u32 (*cb)(u32), u32 x, int times) {\n"
                   "    for (int i = 0; i < times; i++) x = cb(x) ^ (x >> 3);\n    return x;\n}\n" % p)
        decl = ("extern u32 (*%s_table[%d])(u32);\nu32 (*%s_lib_static_addr(void))(u32);\n"
                "u32 (*%s_pick(u32 i))(u32);\nu32 %s_apply(u32 (*cb)(u32), u32 x, int times);\n"
                % (p, n, p, p, p))
        decl += "".join("u32 %s_lf%d(u32 x);\n" % (p, k) for k in range(n))
        body = [decl]
        for k in range(m):
            body.append("static u32 %s_g%d(u32 x) { return %s; }\n" % (p, k, self.expr(["x"])))
        body.append("static u32 (*%s_mine[%d])(u32) = { %s };\n" % (p, m, ", ".join("%s_g%d" % (p, k) for k in range(m))))
        iters = r.randint(10, 3000)
        body.append("""static void %s_run(void) {
    u32 acc = %s;
    for (u32 i = 0; i < %du; i++) {
        acc = acc * 31u + %s_table[i %% %du](acc ^ i);
        acc += %s_apply(%s_mine[i %% %du], acc, (int)(i %% 4u));
        acc ^= %s_pick(i)(i);
    }
    u32 (*s)(u32) = %s_lib_static_addr();
    printf("%s: acc %%u same %%d %%d %%d static %%u\\n", acc, %s_pick(1) == %s_table[1 %% %du],
           %s_table[0] == %s_lf0, (void *)s != (void *)%s_lf0, s(acc));
}
""" % (p, self.const(), iters, p, n, p, p, m, p, p, p, p, p, n, p, p, p))
        return "".join(body), {"lib.c": "".join(lib)}, ["%s_run();" % p]

    def const(self):
        return self.e.const()

    def cgoto(self, p):
        r = self.r
        # ops: 0 halt, 1 addi r imm, 2 muli r imm, 3 xorr r1 r2, 4 shr r imm, 5 loop(counter r3) target,
        #      6 mix r1 r2 (r1 = r1 * 31 + r2)
        code = [(1, 3, r.randint(1, 60))]  # r3 = loop counter
        start = len(code)
        for _ in range(r.randint(2, 12)):
            k = r.choice([1, 2, 3, 4, 6])
            a, b = r.randrange(3), r.randrange(3)
            imm = r.randrange(1 << 16) if k in (1, 2) else r.randrange(32)
            code.append((k, a, b if k in (3, 6) else imm))
        code.append((5, 3, start))
        code.append((0, 0, 0))
        flat = ", ".join("{%d, %d, %du}" % c for c in code)
        text = """struct %s_ins { unsigned char op, a; u32 b; };
static const struct %s_ins %s_code[] = { %s };
static u32 %s_vm(u32 seed, int local) {
    static const void *const table[] = { &&halt, &&addi, &&muli, &&xorr, &&shr, &&loop, &&mix };
    const void *ltable[] = { &&halt, &&addi, &&muli, &&xorr, &&shr, &&loop, &&mix };
    const void *const *t = local ? ltable : table;
    u32 r[4] = { seed, seed ^ 0x9e3779b9u, 7u, 0u };
    const struct %s_ins *pc = %s_code;
#define NEXT goto *t[pc->op]
    NEXT;
addi: r[pc->a] += pc->b; pc++; NEXT;
muli: r[pc->a] *= pc->b; pc++; NEXT;
xorr: r[pc->a] ^= r[pc->b]; pc++; NEXT;
shr: r[pc->a] >>= pc->b; pc++; NEXT;
mix: r[pc->a] = r[pc->a] * 31u + r[pc->b]; pc++; NEXT;
loop: if (--r[pc->a]) pc = %s_code + pc->b; else pc++; NEXT;
#undef NEXT
halt:
    return r[0] ^ r[1] ^ r[2];
}
static void %s_run(void) {
    u32 acc = 0;
    for (u32 i = 0; i < %du; i++) acc = acc * 33u + %s_vm(i, (int)(i & 1u));
    printf("%s: %%u\\n", acc);
}
""" % (p, p, p, flat, p, p, p, p, p, r.randint(1, 400), p, p)
        return text, {}, ["%s_run();" % p]

    def vla(self, p):
        r = self.r
        cols = r.randint(1, 6)
        return """#ifdef __cplusplus
#define %s_AT(i, j) a[(i) * m + (j)]
static u32 %s_sum2(int n, int m, const u32 *a) {
#else
#define %s_AT(i, j) a[i][j]
static u32 %s_sum2(int n, int m, u32 a[n][m]) {
#endif
    u32 s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) s = s * 7u + %s_AT(i, j);
    return s;
}
static u32 %s_one(int n, u32 x) {
    u32 a[n];
    for (int i = 0; i < n; i++) a[i] = %s;
    u32 s = 0;
    for (int i = n - 1; i >= 0; i--) s = (s ^ a[i]) * 3u + (u32)i;
    u32 m[n][%d];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < %d; j++) m[i][j] = a[i] + (u32)j * x;
#ifdef __cplusplus
    return s + %s_sum2(n, %d, &m[0][0]);
#else
    return s + %s_sum2(n, %d, m);
#endif
}
static void %s_run(void) {
    u32 acc = 0;
    for (int k = 1; k <= %d; k++) {
        acc += %s_one(k %% %d + 1, acc);
        for (int j = 0; j < 3; j++) {
            u32 tmp[k %% 5 + 1];
            for (int q = 0; q < k %% 5 + 1; q++) tmp[q] = acc + (u32)q;
            acc ^= tmp[k %% 5];
        }
    }
    printf("%s: %%u\\n", acc);
}
""" % (p, p, p, p, p, p, self.expr(["x", "(u32)i"]), cols, cols, p, cols, p, cols, p, r.randint(1, 300), p, r.randint(2, 64), p), \
            {}, ["%s_run();" % p]

    def alloca(self, p):
        r = self.r
        blocks = r.randint(1, 20)
        return """static u32 %s_blocks(u32 seed, int nb) {
    u32 *ptrs[%d];
    int sizes[%d];
    for (int b = 0; b < nb; b++) {
        sizes[b] = (int)((seed + (u32)b * 5u) %% 17u) + 1;
        ptrs[b] = (u32 *)__builtin_alloca((unsigned long)sizes[b] * sizeof(u32));
        for (int i = 0; i < sizes[b]; i++) { u32 x = seed + (u32)(b * 31 + i); ptrs[b][i] = %s; }
    }
    u32 s = 0;
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < sizes[b]; i++) s = s * 5u + ptrs[b][i];
    return s;
}
static void %s_run(void) {
    u32 acc = 0;
    for (u32 i = 0; i < %du; i++) acc ^= %s_blocks(acc + i, (int)(i %% %du) + 1);
    printf("%s: %%u\\n", acc);
}
""" % (p, blocks, blocks, self.expr(["x"]), p, r.randint(1, 500), p, blocks, p), {}, ["%s_run();" % p]

    def setjmp(self, p):
        r = self.r
        return """#include <setjmp.h>
static jmp_buf %s_outer;
static u32 %s_trace;
__attribute__((noinline)) static u32 %s_rec(int d, int target, int val, u32 x) {
    u32 local = %s;
    %s_trace = %s_trace * 3u + local;
    if (d == target) longjmp(%s_outer, val);
    if (d == target / 2 && (x & 1u)) {
        jmp_buf inner;
        volatile int hops = 0;
        int v = setjmp(inner);
        if (v == 0) {
            hops++;
            if (x & 2u) longjmp(inner, 5);
        } else {
            hops += v;
        }
        %s_trace += (u32)hops;
    }
    return %s_rec(d + 1, target, val, local) + 1u;
}
static void %s_run(void) {
    volatile u32 acc = 0;
    for (int k = 0; k < %d; k++) {
        volatile int tries = 0;
        int v = setjmp(%s_outer);
        tries++;
        if (v == 0) acc += %s_rec(0, (k * %d) %% %d + 1, k %% 7, acc + (u32)k);
        else acc = acc * 17u + (u32)v + (u32)tries;
    }
    printf("%s: %%u %%u\\n", (u32)acc, %s_trace);
}
""" % (p, p, p, self.expr(["x", "(u32)d"]), p, p, p, p, p, p, r.randint(1, 200), p, p, r.randint(1, 13),
             r.randint(2, 40), p, p), {}, ["%s_run();" % p]

    def threads(self, p):
        r = self.r
        nt = r.randint(2, 6)
        return """#include <pthread.h>
static u32 %s_res[%d];
static u32 %s_shared;
static pthread_mutex_t %s_mu = PTHREAD_MUTEX_INITIALIZER;
static void *%s_worker(void *arg) {
    u32 t = (u32)(uintptr_t)arg, acc = t;
    for (u32 i = 0; i < %du; i++) {
        u32 x = acc ^ i;
        acc = %s;
        if ((i & 15u) == 0) { pthread_mutex_lock(&%s_mu); %s_shared += (acc & 255u); pthread_mutex_unlock(&%s_mu); }
    }
    %s_res[t] = acc;
    return 0;
}
static void %s_run(void) {
    pthread_t th[%d];
    for (int t = 0; t < %d; t++) pthread_create(&th[t], 0, %s_worker, (void *)(uintptr_t)t);
    for (int t = 0; t < %d; t++) pthread_join(th[t], 0);
    u32 acc = 0;
    for (int t = 0; t < %d; t++) acc = acc * 31u + %s_res[t];
    printf("%s: %%u %%u\\n", acc, %s_shared);
}
""" % (p, nt, p, p, p, r.randint(1, 20000), self.expr(["x", "t", "i"]), p, p, p, p, p, nt, nt, p, nt, nt, p,
             p, p), {}, ["%s_run();" % p]

    def cxx(self, p):
        r = self.r
        depth = r.randint(1, 12)
        return """#include <stdexcept>
#include <string>
static std::string %s_log;
struct %s_Guard {
    char c;
    explicit %s_Guard(char c) : c(c) {}
    ~%s_Guard() { %s_log += c; }
};
struct %s_Base { u32 v; explicit %s_Base(u32 v) : v(v) {} virtual ~%s_Base() {} virtual u32 get() const { return v; } };
struct %s_Derived : %s_Base { explicit %s_Derived(u32 v) : %s_Base(v) {} u32 get() const override { return v * 3u; } };
__attribute__((noinline)) static u32 %s_rec(int d, int kind, u32 x) {
    %s_Guard g((char)('a' + d %% 26));
    if (d == 0) {
        switch (kind %% 5) {
        case 0: throw (int)(x & 255u);
        case 1: throw %s_Base(x);
        case 2: throw %s_Derived(x);
        case 3: throw std::runtime_error("rt");
        default: return %s;
        }
    }
    if (d == %d && (kind & 1)) {
        try { return %s_rec(d - 1, kind, x + 1u); }
        catch (%s_Base &b) { %s_log += '!'; throw; }
    }
    return %s_rec(d - 1, kind, x * 3u) + 1u;
}
static void %s_run() {
    u32 acc = 0;
    for (int k = 0; k < %d; k++) {
        try { acc += %s_rec(k %% %d, k, acc); }
        catch (int i) { acc = acc * 5u + (u32)i; %s_log += 'I'; }
        catch (const %s_Base &b) { acc = acc * 7u + b.get(); %s_log += 'B'; }
        catch (...) { acc += 11u; %s_log += 'X'; }
    }
    printf("%s: %%u %%s\\n", acc, %s_log.c_str());
}
""" % ((p,) * 13 + (p, p, p, self.expr(["x"]), depth // 2, p, p, p, p, p, r.randint(1, 100), p, depth + 1,
                    p, p, p, p, p, p)), {}, ["%s_run();" % p]


def generate(seed):
    """(bundle text, features) of the program of seed.  Built with
    -DFUZZ_PLANT, its first line differs (the self-check's planted
    divergence)."""
    g = Gen(seed)
    r = g.r
    feats = r.sample(FEATURES, r.randint(1, 3))
    cxx = "cxx" in feats
    main_parts, extra, calls = [HEADER], {}, []
    for i, f in enumerate(feats):
        text, files, c = getattr(g, f)("%s%d" % (f, i))
        main_parts.append(text)
        extra.update(files)
        calls += c
    main_parts.append("int main(void) {\n    u32 planted = 0;\n#ifdef FUZZ_PLANT\n    planted = 1;\n#endif\n"
                      "    printf(\"cgen seed %d%%s\\n\", planted ? \" (planted)\" : \"\");\n" % seed)
    main_parts += ["    %s\n" % c for c in calls]
    main_parts.append("    return 0;\n}\n")
    ext = ".cpp" if cxx else ".c"
    files = [("main" + ext, "".join(main_parts))]
    for name, text in sorted(extra.items()):
        files.append((name.replace(".c", ext), text))
    return bundle(files), set(feats)


def reload_program(seed, variant):
    """The reload fuzzer's program of seed: variant 0 the original, 1 and 2
    mutants (f and its helpers different, same signatures)."""
    shape = random.Random(seed)
    n1, n2, inner = shape.randint(2, 8), shape.randint(2, 8), shape.choice([1, 10, 3000])
    nh = shape.randint(0, 3)
    g = Gen(seed * 1000 + variant)
    r = g.r
    parts = [HEADER, "#include <string.h>\n"]
    for k in range(nh):
        parts.append("__attribute__((noinline)) u32 h%d(u32 x) { return %s; }\n" % (k, g.expr(["x"])))
    helpers = ["h%d(x)" % k for k in range(nh)]
    if variant and r.random() < 0.5:   # a function the original does not have
        parts.append("__attribute__((noinline)) u32 added%d(u32 x) { return %s; }\n" % (variant, g.expr(["x"])))
        helpers.append("added%d(x)" % variant)
    loop = r.random() < 0.5
    body = "    u32 y = %s;\n" % g.expr(["x"] + helpers)
    if loop:
        body += "    for (u32 i = 0; i < (x & 15u); i++) y = %s;\n" % g.expr(["x", "y", "i"])
    # f reads a volatile zero (and uses x with it): clang -O2 can then neither fold its result
    # into main (a constant return, `returned`, a dead argument) nor treat it as pure, so
    # main's IR stays the same in every variant (cfuzz checks it).
    parts.append("volatile u32 vzero;\n")
    parts.append("__attribute__((noinline)) u32 f(u32 x) {\n%s    return y ^ (vzero & x);\n}\n" % body)
    parts.append("""int main(void) {
    char line[32];
#ifdef FUZZ_PLANT
    printf("planted\\n");
#endif
    for (u32 i = 0; i < %du; i++) {
        u32 s = 0;
        for (u32 j = 0; j < %du; j++) s = s * 3u + f(i * %du + j);
        printf("%%u\\n", s);
    }
    printf("phase\\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 2;
    for (u32 i = %du; i < %du; i++) {
        u32 s = 0;
        for (u32 j = 0; j < %du; j++) s = s * 3u + f(i * %du + j);
        printf("%%u\\n", s);
    }
    return 0;
}
""" % (n1, inner, inner, n1, n1 + n2, inner, inner))
    return bundle([("main.c", "".join(parts))]), {"reload", "loop" if loop else "noloop"}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "reload":
        sys.stdout.write(reload_program(int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)[0])
    else:
        sys.stdout.write(generate(int(sys.argv[1]))[0])
