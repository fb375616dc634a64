#!/usr/bin/env python3
"""ksfuzz.py — kjit's differential fuzzer.

For each generated program it runs kjit in every configuration of a table
(every --jit mode, tiered also with --hot=1 --tier-sync so that every tier
transition happens, each at -O0..-O3) and checks that all give the stdout,
stderr and exit status of a reference configuration; it checks that the
whole-program module of --emit=llvm, run by lli-19, prints the same stdout;
where the chapter 7 toy (tests/oracle/build-oracle.sh) is built and the
program uses only what the toy knows, it checks the toy prints the same too.
Then it mutates the program into bad ones and checks the robustness
invariants: exit status 0 or 1 (never a signal, never >1), no hang under
--check, a `FILE:LINE:COL: error: ...` diagnostic (line, caret) for every
error and nothing else on stderr.  A failure is minimised (delta debugging
over top-level items, then tokens, keeping the same failure category) and
saved in the output directory with a note.

The subject is pluggable.  Everything that knows Kaleidoscope is in
KaleidoscopeSubject: how to generate a program, the table of configurations
(a new mode or tier is one MODES entry), which configuration is the
reference, the extra comparisons (lli, oracle), how to mutate, which
divergences are known bugs.  Fuzz() only drives a Subject.  The C-program
subject (--subject c: csmith and cgen.py programs, clang-19 bitcode run by
kjit against a native clang-19 build, and the --watch reload fuzzer) is
CSubject in cfuzz.py, which also has its own command line (see
tests/fuzz/README.md).

Usage: ksfuzz.py --kjit build/kjit [--subject ks|c] [--seconds N | --programs N] [--seed S]
                 [--out DIR] [--mutants M] [--jobs J] [--quick]
Exit status: 0 if nothing but known bugs was found, 1 otherwise, 2 for usage.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ksgen  # noqa: E402
import ksmutate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# --- configurations -------------------------------------------------------
# One entry per way of running a program; a new mode or tier is one line.
# (name, kjit arguments).  Every mode is crossed with every -O level.
MODES = [
    ("lazy", ["--jit=lazy"]),
    ("lazy-ir", ["--jit=lazy-ir"]),
    ("lazy-ir-callees", ["--jit=lazy-ir", "--partition=callees"]),
    ("eager", ["--jit=eager"]),
    ("tiered", ["--jit=tiered"]),
    ("tiered-hot1", ["--jit=tiered", "--hot=1", "--tier-sync"]),
    # T2 compiles racing the program: the output must not depend on when
    # they are installed.
    ("tiered-hot1-async", ["--jit=tiered", "--hot=1"]),
    ("interp", ["--jit=interp"]),
]
OPT_LEVELS = ["-O0", "-O1", "-O2", "-O3"]
# The sanitizer build is ~10x slower: --quick keeps one -O level per mode,
# still covering every mode and every level.
QUICK = {"lazy": "-O0", "lazy-ir": "-O1", "lazy-ir-callees": "-O3", "eager": "-O2",
         "tiered": "-O2", "tiered-hot1": "-O3", "tiered-hot1-async": "-O1", "interp": "-O0"}


# --- known bugs -----------------------------------------------------------
# Known bugs: (signature, predicate(subject, case, kind, ref, other)) of
# divergences to count apart without failing a run, while a fix is under
# way elsewhere.  Empty: issue G's three (libcalls the optimiser writes,
# --emit=llvm's value format, compare.sh's repr) are fixed, and the fuzzer
# now checks those fixes.
KNOWN_BUGS = []


# --- running things -------------------------------------------------------
class Result:
    """What one execution did: status (negative: killed by that signal;
    None: timed out), stdout and stderr (bytes)."""

    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err

    def describe(self):
        s = "timeout" if self.status is None else "status %d" % self.status
        return "%s\n--- stdout\n%s--- stderr\n%s" % (
            s, self.out.decode(errors="replace"), self.err.decode(errors="replace"))


def execute(argv, timeout, stdin=None):
    try:
        p = subprocess.run(argv, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        return Result(None, e.stdout or b"", e.stderr or b"")


class Case:
    """One program under test: its bytes, features, seed, and file."""

    def __init__(self, data, features, seed, path):
        self.data, self.features, self.seed, self.path = data, features, seed, path


class Divergence:
    """A failure: its kind (diverge-stdout, mutant-signal, ...), where it
    showed (a configuration, "lli", "toy7", "check"), the reference result
    (None for mutants) and the failing one."""

    def __init__(self, kind, where, ref, other, note=""):
        self.kind, self.where, self.ref, self.other, self.note = kind, where, ref, other, note

    def category(self):
        return self.kind + ":" + self.where


# --- subjects -------------------------------------------------------------
class Subject:
    """What the fuzzer fuzzes.  Subclasses provide the methods below."""
    name = "?"
    suffix = ".txt"
    REF = "reference"

    def configs(self):
        """[(name, argv)] — every configuration to compare."""
        raise NotImplementedError

    def configs_for(self, case):
        """The configurations of one case (by default all of configs())."""
        return self.configs()

    def run(self, argv, path):
        """The Result of one configuration's argv on the program at path."""
        raise NotImplementedError

    def skip(self, case, ref):
        """A reason not to compare this case (e.g. the reference timed
        out: a program too slow, not a failure), or None."""
        return None

    def extra_of(self, where):
        """The `only` of divergences() that repeats the extra comparison
        that failed at where, or None if where is a configuration."""
        return {"lli": "emit", "emit": "emit", "toy7": "oracle"}.get(where)

    def generator(self, case):
        """The name of the generator of a case (for the summary)."""
        return self.name

    # Is a divergence at where planted by a self-check (expected, counted
    # apart, never a failure)?
    def planted(self, where):
        return False

    # Whether mutate() makes bad programs to run (--mutants).
    mutants = True

    def finish(self, fuzz):
        """Called at the end with the Fuzz: True if the round failed for a
        reason of the subject's own (a self-check not met)."""
        return False

    def generate(self, seed):
        """(bytes, features) of the program of seed."""
        raise NotImplementedError

    def reference(self, path):
        """The Result every configuration must reproduce."""
        raise NotImplementedError

    def extra(self, case, ref, only=None):
        """(divergences, executions) of the comparisons other than the
        configuration table ("emit" or "oracle" alone if only says so)."""
        return [], 0

    def mutant_runs(self, r):
        """[(where, argv, check_mode)]: how to run one bad program."""
        return []

    def check_mutant(self, path, res, check_mode):
        """The robustness invariant a run of a bad program broke, or None."""
        return None

    # Signatures of known bugs: [(name, predicate(subject, case, kind, ref, other))].
    known_bugs = []

    def mutate(self, data, r):
        """A bad program made from data (bytes) with the Random r."""
        return ksmutate.mutate(data, r)

    def items(self, data):
        """data cut into top-level items (the minimiser's first pass)."""
        return ksmutate.items(data)

    def tokens(self, data):
        """data cut into tokens (the minimiser's second pass)."""
        return ksmutate.tokens(data)


class KaleidoscopeSubject(Subject):
    name = "ks"
    suffix = ".ks"
    REF = "lazy-O0"
    known_bugs = KNOWN_BUGS

    def __init__(self, args):
        self.kjit = os.path.abspath(args.kjit)
        self.timeout = args.timeout
        self.quick = args.quick
        self.gen_settings = {"max_fns": args.max_fns, "budget": args.budget}
        self.lli = args.lli
        if not self.lli or not os.access(self.lli, os.X_OK):
            self.lli = shutil.which("lli-19") or "/usr/lib/llvm-19/bin/lli"
        if not os.access(self.lli, os.X_OK):
            print("ksfuzz: lli-19 not found: skipping the --emit=llvm comparison")
            self.lli = None
        self.oracle = os.path.join(args.oracle_dir, "toy7-exact")
        if not os.access(self.oracle, os.X_OK):
            print("ksfuzz: no %s (tests/oracle/build-oracle.sh %s builds it): "
                  "skipping the toy oracle comparison" % (self.oracle, args.oracle_dir))
            self.oracle = None
        self.oracle_dir = args.oracle_dir

    def configs(self):
        out = []
        for mode, argv in MODES:
            for o in OPT_LEVELS:
                if not self.quick or QUICK.get(mode, "-O2") == o:
                    out.append(("%s%s" % (mode, o), [self.kjit] + argv + [o]))
        return out

    def generate(self, seed):
        p = ksgen.generate(seed, **self.gen_settings)
        return p.text.encode(), p.features

    def run(self, argv, path):
        return execute(argv + [path], self.timeout)

    def reference(self, path):
        return self.run([self.kjit, "--jit=lazy", "-O0"], path)

    def extra(self, case, ref, only=None):
        divs, n = [], 0
        # lli cannot hold two bodies of one name: --emit=llvm rejects a
        # redefinition, so such programs are not compared.
        if self.lli and "redefine" not in case.features and only in (None, "emit"):
            emit = execute([self.kjit, "--emit=llvm", case.path], self.timeout)
            n += 1
            if emit.status != 0:
                divs.append(Divergence("emit-failed", "emit", ref, emit))
            else:
                lli = execute([self.lli, "-"], self.timeout, stdin=emit.out)
                n += 1
                if lli.status != ref.status:
                    divs.append(Divergence("emit-lli-status", "lli", ref, lli))
                elif lli.out != ref.out:
                    divs.append(Divergence("emit-lli-stdout", "lli", ref, lli))
        if self.oracle and not (case.features & TOY_LACKS) and only in (None, "oracle"):
            env = dict(os.environ, ORACLE_DIR=self.oracle_dir)
            n += 1
            try:
                p = subprocess.run(["sh", os.path.join(HERE, "..", "oracle", "compare.sh"), case.path],
                                   capture_output=True, timeout=self.timeout, env=env,
                                   stdin=subprocess.DEVNULL)
                toy = Result(p.returncode, p.stdout, p.stderr)
            except subprocess.TimeoutExpired:
                toy = Result(None, b"", b"")
            if toy.out != ref.out:
                divs.append(Divergence("oracle-stdout", "toy7", ref, toy))
        return divs, n

    # -- robustness invariants of bad programs --
    def mutant_runs(self, r):
        """[(where, argv, check_mode)] for one mutant: --check (nothing runs,
        so it must never hang) and one configuration picked at random."""
        name, argv = r.choice(self.configs())
        return [("check", [self.kjit, "--check"], True), (name, argv, False)]

    def check_mutant(self, path, res, check_mode):
        """The invariant violated by one run of a mutant, or None."""
        if res.status is None:
            # A mutant may be a genuine endless loop when run; under --check
            # nothing runs, so a hang there is a bug.
            return "mutant-hang" if check_mode else "inconclusive-run-timeout"
        if res.status < 0:
            return "mutant-signal"
        if res.status > 1:
            return "mutant-status"
        if b"Sanitizer" in res.err or b"runtime error:" in res.err:
            return "mutant-sanitizer"
        n = diagnostics(res.err, path)
        if n is None:
            return "mutant-bad-stderr"
        if res.status == 1 and n == 0:
            return "mutant-no-diagnostic"
        if res.status == 0 and n > 0:
            return "mutant-diagnostic-but-exit-0"
        return None


# Features of ksgen programs the chapter 7 toy lacks.
TOY_LACKS = {"div", "printlf", "forward", "global", "redefine"}


def diagnostics(err, path):
    """How many diagnostics err holds, or None if it holds anything else.
    Each is docs/DIAGNOSTICS.md's three lines: `PATH:LINE:COL: error: MSG`,
    the source line, and a caret line (front-end and run-time errors alike);
    a run-time error may be followed by its chain of frames, one a line
    (`  in F at PATH:L:C`, `  from PATH:L:C`, `  ... the same N more times`,
    `  ... N more frames`), each position a line of the file.
    LINE must be a line of the file (or the one after its end); where the
    source line is short enough to be shown whole, the line shown and the
    caret's column must be exactly what the file says.  A run stopped after
    20 errors ends with the line that says so, after exactly 20; a file of
    binary data is the one line that says so."""
    with open(path, "rb") as f:
        src = f.read().split(b"\n")
    lines = err.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    # (A mutant short enough that its junk bytes make it binary data.)
    if lines == [b"kjit: error: " + path.encode() +
                 b": not LLVM IR (bitcode or text) nor Kaleidoscope: binary data"]:
        return 1
    stopped = bool(lines) and lines[-1] == b"kjit: error: too many errors (20 shown), stopping now"
    if stopped:
        lines.pop()
    head = re.compile(re.escape(path.encode()) + rb":([1-9][0-9]*):([1-9][0-9]*): error: [^ ].*")
    caret = re.compile(rb"[ \t]*\^")
    where = rb"(?: at " + re.escape(path.encode()) + rb":([1-9][0-9]*)(?::[1-9][0-9]*)?)?"
    frame = re.compile(rb"  (?:in [^ ]+" + where + rb"|from (?:top-level code|" +
                       re.escape(path.encode()) + rb":([1-9][0-9]*)(?::[1-9][0-9]*)?))"
                       rb"|  \.\.\. the same [1-9][0-9]* more times?|  \.\.\. [1-9][0-9]* more frames")
    n, i = 0, 0
    while i < len(lines):
        if i + 2 >= len(lines):
            return None
        m = head.fullmatch(lines[i])
        if not m or not caret.fullmatch(lines[i + 2]):
            return None
        line, col = int(m.group(1)), int(m.group(2))
        if line > len(src):
            return None
        text = src[line - 1]
        # Up to column 61 the line is shown from its start (120 bytes at
        # most, then "..."); further right, as a window around the column.
        if col - 1 <= 60 and col - 1 <= len(text):
            seg, cut = text[:120], len(text) > 120
            if not cut and seg.endswith(b"\r"):
                seg = seg[:-1]
            shown = bytes(c if c == 9 or 0x20 <= c < 0x7f else 0x3f for c in seg) + (b"..." if cut else b"")
            mark = bytes(9 if c == 9 else 0x20 for c in text[:col - 1]) + b"^"
            if lines[i + 1] != shown or lines[i + 2] != mark:
                return None
        n, i = n + 1, i + 3
        while i < len(lines) and frame.fullmatch(lines[i]):
            for g in frame.fullmatch(lines[i]).groups():
                if g is not None and int(g) > len(src):
                    return None
            i += 1
    return None if stopped and n != 20 else n


def _c_subject(args):
    import cfuzz  # tests/fuzz/cfuzz.py: C programs (csmith, cgen.py, reload)
    return cfuzz.CSubject(args)


SUBJECTS = {"ks": KaleidoscopeSubject, "c": _c_subject}


# --- the driver -----------------------------------------------------------
class Fuzz:
    """Drives a Subject: programs from consecutive seeds, their comparisons
    and mutants, counts, minimising and saving failures."""

    def __init__(self, subject, args):
        self.s = subject
        self.args = args
        self.out = args.out
        self.tmp = tempfile.mkdtemp(prefix="ksfuzz.")
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
        self.programs = self.execs = self.mutants = 0
        self.failures = {}     # category -> count
        self.known = {}        # signature -> [count, first seed]
        self.inconclusive = {}
        self.saved = 0
        self.skipped = {}      # reason -> count
        self.per_config = {}   # configuration -> runs
        self.per_gen = {}      # generator -> [programs, failing programs]
        self.planted = {}      # where -> planted divergences detected

    # Compare every configuration of a case with the reference.
    def divergences(self, case, only=None):
        ref = self.s.reference(case.path)
        self.execs += 1
        divs = []
        why = self.s.skip(case, ref)
        if why:
            return [Divergence("skip", why, ref, ref)]
        if ref.status != 0 or ref.err or b"Sanitizer" in ref.err:
            # Generated programs are valid and terminate: the reference must
            # run them cleanly.
            divs.append(Divergence("reference-failed", self.s.REF, Result(0, b"", b""), ref))
            return divs
        configs = [c for c in self.s.configs_for(case) if only is None or c[0] == only]
        results = list(self.pool.map(lambda c: (c[0], self.s.run(c[1], case.path)), configs))
        self.execs += len(results)
        for name, res in results:
            self.per_config[name] = self.per_config.get(name, 0) + 1
            if res.status is None:
                divs.append(Divergence("timeout", name, ref, res))
            elif res.status < 0 or res.status > 1:
                divs.append(Divergence("crash", name, ref, res))
            elif res.status != ref.status:
                divs.append(Divergence("diverge-status", name, ref, res))
            elif res.out != ref.out:
                divs.append(Divergence("diverge-stdout", name, ref, res))
            elif res.err != ref.err:
                divs.append(Divergence("diverge-stderr", name, ref, res))
        if only is None or not any(c[0] == only for c in self.s.configs_for(case)):
            extra, n = self.s.extra(case, ref, only)
            self.execs += n
            divs += extra
        return divs

    def known_bug(self, case, d):
        if self.args.no_known_bugs:
            return None
        for sig, pred in self.s.known_bugs:
            if pred(self.s, case, d.kind, d.ref, d.other):
                return sig
        return None

    def write(self, data, name="prog"):
        path = os.path.join(self.tmp, name + self.s.suffix)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def one_program(self, seed):
        data, features = self.s.generate(seed)
        case = Case(data, features, seed, self.write(data))
        self.programs += 1
        gen = self.per_gen.setdefault(self.s.generator(case), [0, 0])
        gen[0] += 1
        minimised = set()
        divs = self.divergences(case)
        if divs and divs[0].kind == "skip":
            self.skipped[divs[0].where] = self.skipped.get(divs[0].where, 0) + 1
            print("skip seed %d: %s" % (seed, divs[0].where), flush=True)
            return
        if any(not self.s.planted(d.where) for d in divs):
            gen[1] += 1
        for d in divs:
            if self.s.planted(d.where):
                self.planted[d.where] = self.planted.get(d.where, 0) + 1
                continue
            sig = self.known_bug(case, d)
            if sig:
                k = self.known.setdefault(sig, [0, seed])
                k[0] += 1
                continue
            # One bug often shows in many configurations: minimise the first
            # of each kind, count the others.
            if d.kind in minimised:
                self.failures[d.kind] = self.failures.get(d.kind, 0) + 1
                print("FAIL seed %d: %s (same kind as above, not minimised)" % (seed, d.category()), flush=True)
                continue
            minimised.add(d.kind)
            self.fail(case, d, lambda c, d=d: self.same_divergence(c, d))
        r = random.Random(seed * 7919 + 1)
        for m in range(self.args.mutants if self.s.mutants else 0):
            bad = self.s.mutate(data, r)
            path = self.write(bad, "mutant")
            mcase = Case(bad, features, seed, path)
            self.mutants += 1
            for where, run_argv, check_mode in self.s.mutant_runs(r):
                res = execute(run_argv + [path], self.args.mutant_timeout)
                self.execs += 1
                cat = self.s.check_mutant(path, res, check_mode)
                if cat and cat.startswith("inconclusive"):
                    self.inconclusive[cat] = self.inconclusive.get(cat, 0) + 1
                elif cat in minimised:
                    self.failures[cat] = self.failures.get(cat, 0) + 1
                    print("FAIL seed %d: %s:%s (same kind as above, not minimised)" % (seed, cat, where),
                          flush=True)
                elif cat:
                    minimised.add(cat)
                    d = Divergence(cat, where, None, res, " ".join(run_argv))
                    self.fail(mcase, d, lambda c, a=run_argv, cm=check_mode, cat=cat:
                              self.s.check_mutant(c.path, execute(a + [c.path], self.args.mutant_timeout), cm) == cat)

    def same_divergence(self, case, d):
        only = self.s.extra_of(d.where) or d.where
        if d.kind == "reference-failed":
            ref = self.s.reference(case.path)
            return ref.status != 0 or bool(ref.err)
        return any(x.kind == d.kind and x.where == d.where and not self.known_bug(case, x)
                   for x in self.divergences(case, only))

    def fail(self, case, d, still_fails):
        cat = d.category()
        self.failures[d.kind] = self.failures.get(d.kind, 0) + 1
        print("FAIL seed %d: %s" % (case.seed, cat), flush=True)
        steps = self.args.min_steps
        if d.kind in ("timeout", "mutant-hang"):
            steps //= 10   # each test waits for the whole timeout
        small = minimise(self.s, case, still_fails, self.write, steps)
        self.save(case, small, d)

    def save(self, case, small, d):
        os.makedirs(self.out, exist_ok=True)
        self.saved += 1
        base = os.path.join(self.out, "%s-seed%d-%d" % (d.category().replace(":", "-"), case.seed, self.saved))
        with open(base + ".orig" + self.s.suffix, "wb") as f:
            f.write(case.data)
        with open(base + self.s.suffix, "wb") as f:
            f.write(small)
        with open(base + ".txt", "w") as f:
            f.write("category: %s\nseed: %d\nfeatures: %s\n%s\n" % (
                d.category(), case.seed, " ".join(sorted(case.features)), d.note))
            if d.ref is not None:
                f.write("=== reference (%s) on the original\n%s\n" % (self.s.REF, d.ref.describe()))
            f.write("=== %s on the original\n%s\n" % (d.where, d.other.describe()))
        print("  saved %s%s (%d -> %d bytes)" % (base, self.s.suffix, len(case.data), len(small)), flush=True)

    def status_line(self, t0):
        fails = sum(self.failures.values())
        known = sum(k[0] for k in self.known.values())
        return ("[%4ds] programs %d  mutants %d  executions %d  failures %d  known %d" %
                (time.time() - t0, self.programs, self.mutants, self.execs, fails, known))

    def loop(self):
        a = self.args
        t0 = time.time()
        last = t0
        seed = a.seed
        while True:
            if a.programs is not None and self.programs >= a.programs:
                break
            if a.programs is None and time.time() - t0 >= a.seconds:
                break
            self.one_program(seed)
            seed += 1
            if time.time() - last >= a.report_every:
                print(self.status_line(t0), flush=True)
                last = time.time()
        elapsed = time.time() - t0
        print(self.status_line(t0))
        print("summary: %d programs (seeds %d..%d), %d mutants, %d executions in %.1f s "
              "(%.0f programs/min, %.0f executions/min)" % (
                  self.programs, a.seed, seed - 1, self.mutants, self.execs, elapsed,
                  60 * self.programs / max(elapsed, 1e-9), 60 * self.execs / max(elapsed, 1e-9)))
        for k, v in sorted(self.failures.items()):
            print("  FAILURE %-32s %d" % (k, v))
        for k, (v, s) in sorted(self.known.items()):
            print("  known   %-40s %d (first seed %d; not a failure until main's fix is merged)" % (k, v, s))
        for k, v in sorted(self.inconclusive.items()):
            print("  inconclusive %-27s %d (a mutant may legitimately loop for ever)" % (k, v))
        for k, v in sorted(self.skipped.items()):
            print("  skipped %-32s %d" % (k, v))
        if len(self.per_gen) > 1 or self.s.name != "ks":
            for k, (v, f) in sorted(self.per_gen.items()):
                print("  generator %-30s %d programs, %d with a failure" % (k, v, f))
            for k, v in sorted(self.per_config.items()):
                print("  config %-33s %d runs" % (k, v))
        for k, v in sorted(self.planted.items()):
            print("  planted %-32s %d detected (self-check)" % (k, v))
        if not self.failures:
            print("  no divergence")
        bad = self.s.finish(self)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.pool.shutdown()
        return 1 if self.failures or bad else 0


def ddmin(chunks, test, budget):
    """Delta debugging: a smaller list of chunks for which test still holds.
    budget is a list holding the number of tests left (shared by stages)."""
    n = 2
    while len(chunks) >= 2 and budget[0] > 0:
        size = max(1, len(chunks) // n)
        reduced = False
        for start in range(0, len(chunks), size):
            if budget[0] <= 0:
                break
            rest = chunks[:start] + chunks[start + size:]
            budget[0] -= 1
            if rest and test(rest):
                chunks, n, reduced = rest, max(n - 1, 2), True
                break
        if not reduced:
            if size == 1:
                break
            n = min(len(chunks), n * 2)
    return chunks


def minimise(subject, case, still_fails, write, steps):
    """case.data made smaller by removing top-level items, then tokens,
    while still_fails(Case) keeps holding (the same failure category)."""
    budget = [steps]

    def test(chunks):
        data = b"".join(chunks)
        c = Case(data, case.features, case.seed, write(data, "min"))
        return still_fails(c)

    chunks = ddmin(subject.items(case.data), test, budget)
    toks = ddmin(subject.tokens(b"".join(chunks)), test, budget)
    return b"".join(toks)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kjit", required=True, help="the kjit binary under test")
    p.add_argument("--subject", default="ks", choices=sorted(SUBJECTS))
    p.add_argument("--seed", type=int, default=1, help="first seed (then seed+1, ...)")
    p.add_argument("--seconds", type=float, default=60, help="run for this long")
    p.add_argument("--programs", type=int, help="run this many programs instead")
    p.add_argument("--mutants", type=int, default=2, help="mutants per program")
    p.add_argument("--out", default="fuzz-out", help="where failures are saved")
    p.add_argument("--jobs", type=int, default=1, help="configurations run at once")
    p.add_argument("--quick", action="store_true", help="one -O level per mode (sanitizer build)")
    p.add_argument("--timeout", type=float, default=20, help="seconds per run of a valid program")
    p.add_argument("--mutant-timeout", type=float, default=5, help="seconds per run of a mutant")
    p.add_argument("--min-steps", type=int, default=150, help="tests the minimiser may run")
    p.add_argument("--max-fns", type=int, default=6, help="ksgen: at most this many functions")
    p.add_argument("--budget", type=int, default=4000, help="ksgen: worst-case work of a top-level item")
    p.add_argument("--lli", help="lli-19 (default: found on PATH)")
    p.add_argument("--oracle-dir", default=os.environ.get("ORACLE_DIR", "/tmp/oracle"))
    p.add_argument("--no-known-bugs", action="store_true", help="count known bugs as failures")
    p.add_argument("--report-every", type=float, default=10, help="seconds between status lines")
    args = p.parse_args(argv)
    if not os.access(args.kjit, os.X_OK):
        p.error("no executable kjit at %s" % args.kjit)
    subject = SUBJECTS[args.subject](args)
    return Fuzz(subject, args).loop()


if __name__ == "__main__":
    sys.exit(main())
