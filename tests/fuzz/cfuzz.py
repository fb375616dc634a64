#!/usr/bin/env python3
"""cfuzz.py — kjit's differential fuzzer for C and C++ programs.

The C subject of ksfuzz.py's runner (its Fuzz drives it: comparisons,
minimising, the summary and the failure categories are ksfuzz's).  Each
seed is one program, from one of three generators (by seed, see GENERATORS):

  csmith  csmith 2.3.0 (Debian's csmith and libcsmith-dev), kept small; it
          prints a checksum
  cgen    tests/fuzz/cgen.py: what csmith lacks (function pointers across
          two modules, computed goto, VLAs, alloca, setjmp/longjmp,
          pthreads, C++ exceptions)
  reload  cgen.py's reload program, also run under `kjit --watch` with its
          function f replaced while it runs (see reload_run)

A program is a bundle: one text holding its files, each after a
`//@@ NAME` line (cgen.bundle).  It is built with clang-19 (clang++-19 if
it has a .cpp file) into a native executable at -O0 and at -O2 and into
bitcode at -O0 and -O2 (modules linked by llvm-link-19 into one .bc).  The
native -O2 run is the reference; a native timeout or a native -O0 run that
differs from -O2 (undefined behaviour, say) skips the program.  Every kjit
configuration (every --jit mode, and tiered with --hot=1 --tier-sync, on
the -O0 and the -O2 bitcode; two-module programs also given to kjit as two
.bc files) must give the reference's exit status, stdout and stderr.  kjit
runs with KJIT_VERIFY=2.

--self-check plants a divergence in every program (a configuration
running bitcode built with -DFUZZ_PLANT -DNOT_PRINT_CHECKSUM, which changes
the first line of a cgen program and drops csmith's checksum; a reload run
whose expected output is another mutant's) and fails unless every one is
detected.

Usage: cfuzz.py --kjit build/kjit [--seconds N | --programs N] [--seed S]
                [--out DIR] [--quick] [--self-check] [--generators csmith,cgen,reload]
Exit status: 0 if nothing failed, 1 otherwise, 2 for usage.
"""
import argparse
import hashlib
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cgen  # noqa: E402
import ksfuzz  # noqa: E402
from ksfuzz import Divergence, Result, execute  # noqa: E402

# (name, kjit arguments): every configuration runs on the -O0 and -O2 bitcode.
MODES = [
    ("tiered", ["--jit=tiered"]),
    ("tiered-hot1", ["--jit=tiered", "--hot=1", "--tier-sync"]),
    ("lazy", ["--jit=lazy"]),
    ("lazy-ir", ["--jit=lazy-ir"]),
    ("eager", ["--jit=eager"]),
    ("interp", ["--jit=interp"]),
    # Run twice with the build's own code cache: the first run fills it,
    # the second (the one compared) links its objects and starts what got
    # hot at T2 (issue K2: cached code behaves exactly like fresh code).
    ("warm-hot1", ["--jit=tiered", "--hot=1", "--tier-sync"]),
    # Run, then kjit --cache-finish (every function the run compiled at T1
    # compiled at T2 and kept), then the run compared: it starts them at T2
    # from the cache.
    ("warm-finish", ["--jit=tiered"]),
]
WARM = {"warm-hot1", "warm-finish"}
LEVELS = ["O0", "O2"]
QUICK = {"tiered": "O2", "tiered-hot1": "O2", "lazy": "O0", "lazy-ir": "O2", "eager": "O0", "interp": "O2",
         "warm-hot1": "O0", "warm-finish": "O2"}

# Seed % 10 -> generator: csmith 4 in 10, cgen 4, reload 2.
GENERATORS = ["csmith", "cgen", "reload", "csmith", "cgen", "csmith", "cgen", "reload", "csmith", "cgen"]
CSMITH_ARGS = ["--max-funcs", "4", "--max-block-depth", "3", "--max-expr-complexity", "6",
               "--max-array-dim", "2", "--max-array-len-per-dim", "8"]
CSMITH_INC = "/usr/include/csmith"
PLANT = ["-DFUZZ_PLANT", "-DNOT_PRINT_CHECKSUM"]
STDIN = b"go\n"   # what a reload program reads between its phases


class Build:
    """The files of one bundle, built: natives {level: exe}, bitcode
    {level: linked .bc}, modules {level: [.bc per file]} (None when one
    file), the mutants' bitcode and natives of a reload program, or error."""
    error = None


class CSubject(ksfuzz.Subject):
    name = "c"
    suffix = ".c"
    REF = "native-O2"
    mutants = False

    def __init__(self, args):
        self.kjit = os.path.abspath(args.kjit)
        self.timeout = args.timeout
        self.native_timeout = getattr(args, "native_timeout", 5.0)
        self.quick = args.quick
        self.self_check = getattr(args, "self_check", False)
        self.gens = (getattr(args, "generators", None) or "csmith,cgen,reload").split(",")
        self.csmith = shutil.which("csmith")
        if "csmith" in self.gens and not self.csmith:
            print("cfuzz: csmith not found (`make deps` installs csmith and libcsmith-dev): "
                  "its seeds are skipped, the other generators run", flush=True)
        elif "csmith" in self.gens and not os.path.exists(os.path.join(CSMITH_INC, "csmith.h")):
            print("cfuzz: no %s/csmith.h (libcsmith-dev): csmith seeds are skipped" % CSMITH_INC, flush=True)
            self.csmith = None
        self.tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cfuzz.%d" % os.getpid())
        os.makedirs(self.tmp, exist_ok=True)
        self.builds = {}       # sha1 -> Build (the last few)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KJIT_")}
        # The other modes run with the cache on, as users do, in a directory
        # of the fuzzer's own (removed at the end): cold runs, but stored.
        # No run starts a kjit --cache-finish of its own (KJIT_CACHE_FINISH=0).
        self.env.update(KJIT_VERIFY="2", LC_ALL="C", KJIT_CACHE_DIR=os.path.join(self.tmp, "cache"),
                        KJIT_CACHE_FINISH="0")
        self.warm = {"runs": 0, "empty": 0}   # warm runs; of them, with nothing cached
        self.reload_runs = {}  # reload configuration -> runs
        self.mains = {}        # (bitcode, mutant's) -> main's IR the same

    # -- programs --
    def gen_of(self, seed):
        g = GENERATORS[seed % len(GENERATORS)]
        if g not in self.gens:   # a generator left out: the next one in
            g = self.gens[seed % len(self.gens)]
        return g

    def generate(self, seed):
        g = self.gen_of(seed)
        if g == "csmith":
            if not self.csmith:
                return cgen.bundle([("main.c", "/* csmith absent */\n")]).encode(), {"gen:csmith", "absent"}
            p = subprocess.run([self.csmith, "--seed", str(seed)] + CSMITH_ARGS, capture_output=True,
                               cwd=self.tmp)   # it writes platform.info there
            return cgen.bundle([("main.c", p.stdout.decode(errors="replace"))]).encode(), {"gen:csmith"}
        if g == "reload":
            orig, feats = cgen.reload_program(seed, 0)
            m1, _ = cgen.reload_program(seed, 1)
            m2, _ = cgen.reload_program(seed, 2)
            files = (cgen.unbundle(orig) + [("mutant/main.c", cgen.unbundle(m1)[0][1]),
                                            ("mutant2/main.c", cgen.unbundle(m2)[0][1])])
            return cgen.bundle(files).encode(), feats | {"gen:reload"}
        text, feats = cgen.generate(seed)
        return text.encode(), feats | {"gen:cgen"}

    def generator(self, case):
        return next(f[4:] for f in case.features if f.startswith("gen:"))

    # -- building --
    def sh(self, argv):
        p = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("%s\n%s" % (" ".join(argv), p.stderr.decode(errors="replace")[-3000:]))

    def build(self, path):
        with open(path, "rb") as f:
            data = f.read()
        key = hashlib.sha1(data + (b"plant" if self.self_check else b"")).hexdigest()[:16]
        if key in self.builds:
            return self.builds[key]
        if len(self.builds) >= 6:   # keep the disk small: the oldest goes
            old = next(iter(self.builds))
            shutil.rmtree(os.path.join(self.tmp, old), ignore_errors=True)
            del self.builds[old]
        d = os.path.join(self.tmp, key)
        shutil.rmtree(d, ignore_errors=True)
        b = Build()
        try:
            b.dir = d
            groups = {}
            for name, text in cgen.unbundle(data.decode(errors="replace")):
                sub, _, base = name.rpartition("/")
                os.makedirs(os.path.join(d, sub), exist_ok=True)
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
                groups.setdefault(sub, []).append(os.path.join(d, name))
            if "" not in groups:
                raise RuntimeError("no files")
            b.natives, b.bitcode, b.modules = self.build_group(d, "", groups[""])
            b.mutants = {}
            for sub in sorted(g for g in groups if g):
                b.mutants[sub] = self.build_group(d, sub, groups[sub], modules=False)
            if self.self_check:
                _, b.planted, _ = self.build_group(d, "plant", groups[""], native=False, modules=False,
                                                   levels=["O2"], extra=PLANT)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            b.error = str(e)
        self.builds[key] = b
        return b

    def build_group(self, d, sub, srcs, native=True, modules=True, levels=LEVELS, extra=()):
        cxx = any(s.endswith(".cpp") for s in srcs)
        cc = ["clang++-19" if cxx else "clang-19", "-w", "-I" + CSMITH_INC] + list(extra)
        out = os.path.join(d, (sub or "main").replace("/", "_"))
        natives, bitcode, mods = {}, {}, {}
        for lvl in levels:
            # --quick: no native -O0 build (nor its check in skip())
            if native and not (self.quick and lvl != "O2"):
                natives[lvl] = "%s.%s.exe" % (out, lvl)
                self.sh(cc + ["-" + lvl] + srcs + ["-o", natives[lvl], "-lpthread", "-lm"])
            bcs = []
            for s in srcs:
                bcs.append("%s.%s%s.bc" % (s, lvl, "".join(extra).replace("-D", ".")))
                self.sh(cc + ["-" + lvl, "-c", "-emit-llvm", s, "-o", bcs[-1]])
            if len(bcs) == 1:
                bitcode[lvl] = bcs[0]
            else:
                bitcode[lvl] = "%s.%s.linked.bc" % (out, lvl)
                self.sh(["llvm-link-19"] + bcs + ["-o", bitcode[lvl]])
                if modules:
                    mods[lvl] = bcs
        return natives, bitcode, mods

    # -- configurations --
    def configs(self):
        out = []
        for mode, argv in MODES:
            for lvl in LEVELS:
                if not self.quick or QUICK[mode] == lvl:
                    layout = ("finish" if mode == "warm-finish" else "warm") if mode in WARM else "linked"
                    out.append(("%s-%s" % (mode, lvl), (argv, lvl, layout)))
        return out

    def configs_for(self, case):
        out = self.configs()
        b = self.build(case.path)
        if b.error is None and b.modules:
            out += [(n + "-mods", (a, lvl, "modules")) for n, (a, lvl, layout) in self.configs()
                    if layout not in ("warm", "finish")]   # (the same arguments as others')
        if self.self_check:
            out.append(("planted-O2", (MODES[0][1], "O2", "planted")))
        return out

    def run(self, spec, path):
        argv, lvl, layout = spec
        b = self.build(path)
        if b.error is not None:
            return Result(125, b"", b.error.encode())
        files = {"linked": lambda: [b.bitcode[lvl]], "modules": lambda: b.modules[lvl],
                 "planted": lambda: [b.planted[lvl]], "warm": lambda: [b.bitcode[lvl]],
                 "finish": lambda: [b.bitcode[lvl]]}[layout]()
        if layout in ("warm", "finish"):
            cache = os.path.join(b.dir, "cache-%s-%s" % (layout, lvl))   # this build's, removed with it
            shutil.rmtree(cache, ignore_errors=True)
            argv = argv + ["--cache-dir=" + cache]
            self.execute([self.kjit] + argv + files)
            if layout == "finish":
                f = self.execute([self.kjit, "--cache-finish"] + argv + files)
                if f.status != 0:
                    return Result(f.status, f.out, f.err + b"\n(kjit --cache-finish failed)")
            self.warm["runs"] += 1
            if not any(f.endswith(".kjc") for _, _, fs in os.walk(cache) for f in fs):
                self.warm["empty"] += 1
        return self.execute([self.kjit] + argv + files)

    def execute(self, argv, timeout=None):
        try:
            p = subprocess.run(argv, input=STDIN, capture_output=True, timeout=timeout or self.timeout,
                               env=self.env)
            return Result(p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired as e:
            return Result(None, e.stdout or b"", e.stderr or b"")

    def reference(self, path):
        b = self.build(path)
        if b.error is not None:
            return Result(125, b"", ("build failed: " + b.error).encode())
        return self.execute([b.natives["O2"]], self.native_timeout)

    def skip(self, case, ref):
        if "absent" in case.features:
            return "csmith-absent"
        if ref.status is None:
            return "native-timeout"
        b = self.build(case.path)
        if b.error is None and ref.status == 0 and "O0" in b.natives:
            o0 = self.execute([b.natives["O0"]], self.native_timeout)
            if o0.status is None:
                return "native-timeout"
            if (o0.status, o0.out) != (ref.status, ref.out):
                return "native-O0-differs-from-O2"
        return None

    # -- the reload fuzzer --
    def extra_of(self, where):
        return where if where.startswith("reload-") else None

    def planted(self, where):
        return where.startswith("planted") or where.endswith("-planted")

    def reload_configs(self):
        out = []
        for name, (argv, lvl, layout) in self.configs():
            if layout not in ("warm", "finish"):   # the same arguments as others'
                out.append(("reload-" + name, (argv, lvl)))
        if self.self_check:
            out.append(("reload-tiered-O0-planted", (MODES[0][1], "O0")))
        return out

    def extra(self, case, ref, only=None):
        if "reload" not in case.features:
            return [], 0
        b = self.build(case.path)
        if b.error is not None or set(b.mutants) != {"mutant", "mutant2"}:
            return [Divergence("reload-build", "reload", ref, Result(125, b"", (b.error or "").encode()))], 0
        divs, n = [], 0
        nat = {}
        for sub in ("mutant", "mutant2"):
            nat[sub] = self.execute([b.mutants[sub][0]["O2"]], self.native_timeout)
            n += 1
        if any(r.status != 0 or r.out.count(b"phase\n") != 1 for r in nat.values()):
            return [Divergence("reload-mutant-failed", "reload", ref, nat["mutant"])], n
        before = ref.out.split(b"phase\n")[0] + b"phase\n"
        for name, (argv, lvl) in self.reload_configs():
            if only is not None and name != only:
                continue
            if not self.same_main(b.bitcode[lvl], b.mutants["mutant"][1][lvl]):
                # clang's interprocedural passes used what they inferred of
                # f (say `returned`, so main no longer calls it): main,
                # running, keeps its old code, as documented.  Not comparable.
                self.reload_runs[name + " skipped (main differs)"] = \
                    self.reload_runs.get(name + " skipped (main differs)", 0) + 1
                continue
            expect_from = "mutant2" if name.endswith("-planted") else "mutant"
            expected = Result(0, before + nat[expect_from].out.split(b"phase\n")[1], b"")
            got, note = self.reload_run(argv, b.bitcode[lvl], b.mutants["mutant"][1][lvl])
            n += 1
            self.reload_runs[name] = self.reload_runs.get(name, 0) + 1
            if got.status is None:
                kind = "reload-timeout"
            elif note:
                kind = note
            elif got.status != 0:
                kind = "reload-status"
            elif got.out != expected.out:
                kind = "reload-stdout"
            elif got.err:
                kind = "reload-stderr"
            else:
                continue
            divs.append(Divergence(kind, name, expected, got))
        return divs, n

    def main_ir(self, bc):
        """main's IR in bc, without attribute groups and metadata."""
        p = subprocess.run(["llvm-dis-19", bc, "-o", "-"], capture_output=True, text=True)
        m = re.search(r"^define [^\n]*@main\(.*?^}$", p.stdout, re.S | re.M)
        return re.sub(r"#\d+|, !\S+ !\d+|!\S+ !\d+", "", m.group(0)) if m else None

    def same_main(self, a, b):
        key = (a, b)
        if key not in self.mains:
            ia = self.main_ir(a)
            self.mains[key] = ia is not None and ia == self.main_ir(b)
        return self.mains[key]

    def reload_run(self, argv, orig_bc, new_bc):
        """Run orig_bc under `kjit --watch`; when it has printed `phase`,
        replace the file by new_bc, wait for kjit's `kjit: reloaded` line
        on stderr, then let the program go on (a line on its stdin).
        (Result with the `kjit: reloaded` line taken out of stderr, a
        failure kind or None)."""
        d = os.path.join(self.tmp, "reload-%d" % threading.get_ident())
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        watched = os.path.join(d, "prog.bc")
        shutil.copyfile(orig_bc, watched)
        p = subprocess.Popen([self.kjit, "--watch"] + argv + [watched], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        lines = queue.Queue()
        out, err = [], []

        def reader(stream, acc, tag):
            for line in iter(stream.readline, b""):
                acc.append(line)
                lines.put((tag, line))
            lines.put((tag, None))

        ts = [threading.Thread(target=reader, args=(p.stdout, out, "out"), daemon=True),
              threading.Thread(target=reader, args=(p.stderr, err, "err"), daemon=True)]
        for t in ts:
            t.start()
        deadline = time.time() + self.timeout
        note, stage, reloaded = None, "phase", None
        try:
            while stage != "done":
                left = deadline - time.time()
                if left <= 0:
                    raise subprocess.TimeoutExpired(argv, self.timeout)
                try:
                    tag, line = lines.get(timeout=left)
                except queue.Empty:
                    continue
                if line is None:       # the program ended before the reload
                    note = "reload-ended-early"
                    break
                if stage == "phase" and tag == "out" and line == b"phase\n":
                    tmp = watched + ".new"
                    shutil.copyfile(new_bc, tmp)
                    os.replace(tmp, watched)   # a new inode: the watcher sees it
                    stage = "reload"
                elif tag == "err" and line.startswith(b"kjit: reload"):
                    if stage != "reload":
                        note = "reload-unexpected"
                        break
                    reloaded = line
                    if not line.startswith(b"kjit: reloaded ") or b", 0 refused" not in line:
                        note = "reload-refused"
                    p.stdin.write(STDIN)
                    p.stdin.close()
                    stage = "done"
            if stage != "done":
                p.kill()
            p.wait(timeout=max(1.0, deadline - time.time()))
            for t in ts:
                t.join(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            for t in ts:
                t.join(timeout=5)
            return Result(None, b"".join(out), b"".join(err)), None
        stderr = b"".join(line for line in err if line is not reloaded)
        return Result(p.returncode, b"".join(out), stderr), note

    # -- the minimiser's cuts: top-level items of the files, then lines --
    def items(self, data):
        chunks, cur, depth = [], b"", 0
        for line in data.splitlines(keepends=True):
            if line.startswith(b"//@@ "):
                if cur:
                    chunks.append(cur)
                chunks.append(line)
                cur, depth = b"", 0
                continue
            cur += line
            depth += line.count(b"{") - line.count(b"}")
            if depth <= 0 and (line.rstrip().endswith((b"}", b";")) or line.startswith(b"#")):
                chunks.append(cur)
                cur, depth = b"", 0
        if cur:
            chunks.append(cur)
        return chunks

    def tokens(self, data):
        return data.splitlines(keepends=True)

    def finish(self, fuzz):
        for k, v in sorted(self.reload_runs.items()):
            print("  config %-33s %d runs" % (k, v))
        print("  warm runs %d (%d found nothing cached)" % (self.warm["runs"], self.warm["empty"]))
        shutil.rmtree(self.tmp, ignore_errors=True)
        if not self.self_check:
            return False
        compared = fuzz.programs - sum(fuzz.skipped.values())
        want = compared
        got = fuzz.planted.get("planted-O2", 0)
        bad = got != want
        print("self-check: planted divergence detected in %d of %d programs compared" % (got, want))
        reloads = fuzz.per_gen.get("reload", [0, 0])[0]
        if reloads:
            rgot = fuzz.planted.get("reload-tiered-O0-planted", 0)
            print("self-check: planted reload divergence detected in %d reload programs" % rgot)
            bad = bad or rgot == 0
        if want == 0:
            print("self-check: no program was compared")
            bad = True
        if bad:
            print("self-check FAILED: a planted divergence went undetected")
        return bad


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kjit", required=True, help="the kjit binary under test")
    p.add_argument("--seed", type=int, default=1, help="first seed (then seed+1, ...)")
    p.add_argument("--seconds", type=float, default=60, help="run for this long")
    p.add_argument("--programs", type=int, help="run this many programs instead")
    p.add_argument("--out", default="cfuzz-out", help="where failures are saved")
    p.add_argument("--jobs", type=int, default=1, help="configurations run at once")
    p.add_argument("--quick", action="store_true", help="one -O level per mode")
    p.add_argument("--timeout", type=float, default=30, help="seconds per kjit run")
    p.add_argument("--native-timeout", type=float, default=5,
                   help="seconds per native run (a timeout skips the program)")
    p.add_argument("--min-steps", type=int, default=60, help="tests the minimiser may run")
    p.add_argument("--generators", default="csmith,cgen,reload")
    p.add_argument("--self-check", action="store_true",
                   help="plant a divergence in every program and fail unless each is found")
    p.add_argument("--report-every", type=float, default=60, help="seconds between status lines")
    args = p.parse_args(argv)
    if not os.access(args.kjit, os.X_OK):
        p.error("no executable kjit at %s" % args.kjit)
    for g in args.generators.split(","):
        if g not in ("csmith", "cgen", "reload"):
            p.error("no generator %s" % g)
    # What ksfuzz's Fuzz reads and C programs do not use.
    args.mutants, args.mutant_timeout, args.no_known_bugs = 0, 5, False
    subject = CSubject(args)
    return ksfuzz.Fuzz(subject, args).loop()


if __name__ == "__main__":
    sys.exit(main())
