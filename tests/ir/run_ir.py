#!/usr/bin/env python3
"""run_ir.py — kjit's own C and C++ feature programs (tests/ir), run as IR.

Each program is a file here (NAME.c, NAME.cpp) or a directory of them (all
its .c/.cpp files are the modules of one program, main.c or main.cpp first,
in that order on the native link line and on kjit's).  For each one it builds,
with clang-19 or clang++-19 by extension, into the work directory:

  O0, O2    one bitcode file per source (-c -emit-llvm)
  ll        the O0 bitcode as text IR (-S -emit-llvm)
  native    the O2 bitcode compiled and linked: the oracle

then runs `kjit --jit=MODE FILES... -- ARGS` for every mode and bitcode
level, the .ll files once in the default mode, and the O2 bitcode once more
in tiered mode with every tier transition at the first call (--hot=1
--tier-sync).  A run passes when its stdout, its stderr and its exit status
are exactly the native run's.

    run_ir.py --kjit build/kjit [--work DIR] [--jobs N] [--modes tiered,lazy]
              [--levels O0,O2] [--programs varargs,multi-static] [--timeout S]
              [--run-hanging] [-v] [--slowest N] [--list]

Prints a FAIL line with a diff for each failing run, XFAIL for a failure
KNOWN_FAILURES expects (a kjit bug, with its reason), and exits 1 when any
run failed unexpectedly, else 0.
"""
import argparse
import concurrent.futures
import difflib
import fnmatch
import hashlib
import os
import re
import signal
import shlex
import shutil
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["tiered", "lazy", "lazy-ir", "eager", "interp"]
LEVELS = ["O0", "O2"]

# Variants some programs run in besides the common ones: (name, kjit
# options) in the default mode, each on the O0 and the O2 bitcode
# (NAME-LEVEL).  T1's code generated at -O0 for every function, at the -O
# level for functions with a loop, and for every one (the default for IR is
# at the -O level for main and the first 8 with a loop), with compiling
# ahead on (off by default), and interrupt
# polls (which C programs get only with --timeout) on top of T1's counters.
T1_VARIANTS = [("t1fast", ["--t1=fast"]), ("t1loops", ["--t1=loops"]),
               ("t1full", ["--t1=full"]), ("ahead", ["--ahead=on"]),
               ("timeout", ["--timeout=60"])]

# What a program gets besides its files: arguments after `--`, whether its
# stderr goes into the same pipe as its stdout (so the interleaving is
# compared too), the exit status its native build must have (a check of
# the oracle itself), and variants of its own.  Every program gets the
# environment of ENV.
CONFIG = {
    "argv_env": {"args": ["alpha", "", "two words", "--", "-O0", "--jit=eager"], "status": 47},
    "exit_stdio": {"merge": True, "status": 7},
    "segv_handler": {"status": 3},
    "exit_nested": {"status": 9},
    "exit_errx": {"merge": True, "status": 5},
    # (ASan's runtime warns of the program's swapcontext, in the sanitizer
    # build: not kjit's output)
    "other_stacks": {"ignore_stderr": rb"^==\d+==WARNING: ASan doesn't fully support "
                                      rb"makecontext/swapcontext.*\n"},
    "osr_loops": {"variants": [("osr-hot1", ["--t1=fast", "--hot=1", "--tier-sync"]),
                               ("osr-sync", ["--t1=fast", "--tier-sync"])]},
    "vla": {"variants": T1_VARIANTS},
    "vla_loop": {"variants": T1_VARIANTS},
    "alloca_loop": {"variants": T1_VARIANTS},
    # functions made hot again and again while a timer's handler compiles
    "signal_hot": {"variants": [("hot2", ["--hot=2"])]},
}
# KJIT_VERIFY=2: LLVM's verifier also checks the IR after kjit's own changes
# (polls, T1's counters), so that invalid IR is an error, not a crash in
# LLVM or wrong code (issue K1).
# The code cache is off in every run but the cache variant's, which gives
# it a directory of its own.
# No run starts a kjit --cache-finish after it (KJIT_CACHE_FINISH=0).
ENV = {"KJIT_IR_TEST": "value with spaces=and=equals", "LC_ALL": "C", "KJIT_VERIFY": "2",
       "KJIT_CACHE": "off", "KJIT_CACHE_FINISH": "0"}

# Runs expected to fail because of a kjit bug: (programs, variants, reason,
# how).  Programs and variants are shell-style patterns, variants a
# comma-separated list of them; a variant is MODE-LEVEL (tiered-O2), ll, or
# hot1-O2.  How the bug shows:
#   "fails"      every time: the run prints XFAIL when it fails, and XPASS
#                when it passes (the bug is fixed: take the entry out)
#   "sometimes"  not every time: XFAIL when it fails, nothing when it passes
#   "hangs"      kjit does not finish: the run is skipped (SKIP), unless
#                --run-hanging is given, so as not to wait for its timeout
# Known failures run with a timeout of at most KNOWN_TIMEOUT seconds.  None of
# them fails the suite.
KNOWN_TIMEOUT = 5
KNOWN_FAILURES = [
    ("multi-weak", "*", "kjit bug: a weak variable defined in an earlier module wins over a "
     "strong definition in a later module, for every reference (the native link and lli-19 "
     "take the strong one; weak functions are replaced since 061669b)", "fails"),
]

CFLAGS = ["-std=gnu17", "-Wall", "-I", HERE]
CXXFLAGS = ["-std=c++17", "-Wall", "-I", HERE]
LIBS = ["-lpthread", "-lm"]
RECIPE = 2  # bump when build() makes its files differently


def discover():
    """{name: [source files]}: NAME.c / NAME.cpp here, and directories."""
    progs = {}
    for entry in sorted(os.listdir(HERE)):
        path = os.path.join(HERE, entry)
        if os.path.isdir(path):
            # main.c or main.cpp first, then the others in name order: the
            # order of the modules on both command lines (it decides which of
            # two weak definitions wins).
            srcs = sorted((os.path.join(path, f) for f in os.listdir(path) if is_source(f)),
                          key=lambda s: (not os.path.basename(s).startswith("main."), s))
            if srcs:
                progs[entry] = srcs
        elif is_source(entry):
            progs[os.path.splitext(entry)[0]] = [path]
    return progs


def is_source(f):
    return f.endswith((".c", ".cpp"))


def is_cxx(f):
    return f.endswith(".cpp")


def compiler(f):
    return (["clang++-19"] + CXXFLAGS) if is_cxx(f) else (["clang-19"] + CFLAGS)


def stamp_of(srcs):
    """A hash of everything a build depends on: sources, headers, flags."""
    h = hashlib.sha256(repr((RECIPE, CFLAGS, CXXFLAGS, LIBS, srcs)).encode())
    dirs = {os.path.dirname(s) for s in srcs} | {HERE}
    deps = set(srcs)
    for d in dirs:
        deps |= {os.path.join(d, f) for f in os.listdir(d) if f.endswith((".h", ".hpp"))}
    for f in sorted(deps):
        h.update(f.encode())
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def sh(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:  # no clang-19: `make deps` installs it
        raise RuntimeError("%s: %s" % (cmd[0], e))
    if p.returncode != 0:
        raise RuntimeError("%s\n%s" % (" ".join(map(shlex.quote, cmd)),
                                       p.stdout.decode("utf-8", "replace")))
    return p.stdout.decode("utf-8", "replace")


def build(work, name, srcs):
    """Builds the program (when its sources changed) and returns its files:
    {"native": exe, "O0": [bc...], "O2": [bc...], "ll": [ll...]}."""
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    base = [os.path.splitext(os.path.basename(s))[0] for s in srcs]
    files = {
        "native": os.path.join(d, name + ".exe"),
        "O0": [os.path.join(d, b + ".O0.bc") for b in base],
        "O2": [os.path.join(d, b + ".O2.bc") for b in base],
        "ll": [os.path.join(d, b + ".O0.ll") for b in base],
    }
    stamp = stamp_of(srcs)
    stamp_file = os.path.join(d, "stamp")
    try:
        with open(stamp_file) as f:
            if f.read() == stamp:
                return files
    except OSError:
        pass
    if os.path.exists(stamp_file):
        os.remove(stamp_file)
    warnings = ""
    for src, o0, o2, ll in zip(srcs, files["O0"], files["O2"], files["ll"]):
        warnings += sh(compiler(src) + ["-O0", "-c", "-emit-llvm", src, "-o", o0])
        sh(compiler(src) + ["-O2", "-c", "-emit-llvm", src, "-o", o2])
        # The text form of the O0 bitcode, without parsing the source again.
        sh(["clang-19", "-O0", "-S", "-emit-llvm", o0, "-o", ll])
    # The oracle: the O2 bitcode made native (clang++ links the C++ library).
    driver = "clang++-19" if any(is_cxx(s) for s in srcs) else "clang-19"
    sh([driver, "-O2"] + files["O2"] + ["-o", files["native"]] + LIBS)
    if warnings.strip():
        print("%s: compiler warnings:\n%s" % (name, warnings.rstrip()))
    with open(stamp_file, "w") as f:
        f.write(stamp)
    return files


def environment(extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("KJIT_"):
            del env[k]  # KJIT_TRACE, KJIT_PERF: not in these runs
    env.update(ENV)
    if os.environ.get("KJIT_CACHE") == "on" and os.environ.get("KJIT_CACHE_DIR"):
        # The whole suite with the cache (tests/CMakeLists.txt, KJIT_TEST_CACHE).
        env.update({k: os.environ[k] for k in ("KJIT_CACHE", "KJIT_CACHE_DIR")})
    env.update(extra or {})
    return env


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(cmd, cwd, merge, timeout, extra=None):
    """(stdout, stderr, status, seconds); status is "timeout" or "signal N"
    where there is no exit status."""
    t = time.monotonic()
    # A process group of its own, killed whole at the end: a program that
    # forks (fork.c) may leave children behind, which a hang would leave
    # spinning through the rest of the suite.
    p = subprocess.Popen(cmd, cwd=cwd, env=environment(extra), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
        status = "signal %d" % -rc if rc < 0 else rc
    except subprocess.TimeoutExpired:
        kill_group(p.pid)
        out, err = p.communicate()
        status = "timeout"
    kill_group(p.pid)
    out, err = out or b"", err or b""
    return (out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), status,
            time.monotonic() - t)


def variants(modes, levels):
    """(variant name, kjit options, which files)."""
    vs = [("%s-%s" % (m, l), ["--jit=" + m], l) for m in modes for l in levels]
    vs.append(("ll", [], "ll"))
    if "O2" in levels:
        vs.append(("hot1-O2", ["--jit=tiered", "--hot=1", "--tier-sync"], "O2"))
        # T1 code that counts (a small program's loops get the -O level's
        # code generation at T1, which does not), every function hot at
        # once: a loop entered before its T2 body was made moves into the
        # body's continuation at its header (OSR of C frames, kj_osr.c).
        vs.append(("osr-O2", ["--jit=tiered", "--t1=fast", "--hot=1", "--tier-sync"], "O2"))
        # The code cache: a run that fills an empty cache, then one served
        # from it (issue K2); both must match the native build.
        vs.append(("cache-O2", [], "O2"))
        # And with kjit --cache-finish between them: the warm run starts
        # what the cold one compiled at T2, from the cache.
        vs.append(("cache-finish-O2", [], "O2"))
    return vs


def own_variants(name, modes, levels):
    """The program's own variants (CONFIG "variants"), as variants() gives them.  They
    run in the default mode, so only when tiered is one of the modes."""
    if "tiered" not in modes:
        return []
    return [("%s-%s" % (v, l), opts, l) for v, opts in CONFIG.get(name, {}).get("variants", [])
            for l in levels]


def known(name, variant):
    """(reason, how) of the first KNOWN_FAILURES entry for the run, or None."""
    for progs, variants, reason, how in KNOWN_FAILURES:
        if any(fnmatch.fnmatchcase(name, p) for p in progs.split(",")) and any(
                fnmatch.fnmatchcase(variant, v) for v in variants.split(",")):
            return reason, how
    return None


def diff(a, b, what):
    lines = list(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                      "native " + what, "kjit " + what, n=2))
    if len(lines) > 40:
        lines = lines[:40] + ["... (%d more lines)\n" % (len(lines) - 40)]
    return "".join(l if l.endswith("\n") else l + "\n\\ no newline\n" for l in lines)


def report(label, cmd, native, got):
    """The command that failed and how its output differs from the native."""
    env = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in ENV.items())
    text = "%s (%.2f s): %s %s\n" % (label, got[3], env, " ".join(map(shlex.quote, cmd)))
    if native[0] != got[0]:
        text += diff(native[0], got[0], "stdout")
    if native[1] != got[1]:
        text += diff(native[1], got[1], "stderr")
    if native[2] != got[2]:
        text += "status: native %s, kjit %s\n" % (native[2], got[2])
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kjit", required=True)
    ap.add_argument("--work", default=os.path.join(os.getcwd(), "ir-work"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--levels", default=",".join(LEVELS))
    ap.add_argument("--programs", default="", help="comma-separated names (default: all)")
    ap.add_argument("--timeout", type=float, default=30,
                    help="seconds a run may take (default 30; each takes well under 2, but up to 4 s of CPU in the sanitizer build, which gives 120)")
    ap.add_argument("--run-hanging", action="store_true",
                    help="run the known failures that hang too (with their short timeout)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the diff of expected failures too")
    ap.add_argument("--shard", default="1/1", metavar="K/N",
                    help="run the K-th of N shares of the (program, variant) runs, "
                         "chosen by a hash of the pair (the sanitizer build runs half)")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    ap.add_argument("--slowest", type=int, default=0, metavar="N",
                    help="print the N slowest runs")
    a = ap.parse_args()
    start = time.monotonic()
    kjit = os.path.abspath(a.kjit)
    if not os.access(kjit, os.X_OK):
        print("run_ir: %s is not an executable kjit" % a.kjit)
        return 2
    work = os.path.abspath(a.work)
    progs = discover()
    if a.list:
        for name, srcs in progs.items():
            print(name, " ".join(os.path.relpath(s, HERE) for s in srcs))
        return 0
    if a.programs:
        unknown = [p for p in a.programs.split(",") if p not in progs]
        if unknown:
            print("run_ir: no program %s (see --list)" % ", ".join(unknown))
            return 2
        progs = {p: progs[p] for p in a.programs.split(",")}
    os.makedirs(work, exist_ok=True)
    modes, levels = a.modes.split(","), a.levels.split(",")
    vs = variants(modes, levels)
    try:
        shard_k, shard_n = (int(x) for x in a.shard.split("/"))
        if not 1 <= shard_k <= shard_n:
            raise ValueError
    except ValueError:
        print("run_ir: --shard wants K/N with 1 <= K <= N, not %r" % a.shard)
        return 2

    failed, xfail, xpass, total, passed = [], [], [], 0, 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        # Build and run natively first: each program's oracle.
        def prepare(name):
            files = build(work, name, progs[name])
            cfg = CONFIG.get(name, {})
            native = run([files["native"]] + cfg.get("args", []), os.path.join(work, name),
                         cfg.get("merge", False), a.timeout)
            return files, native

        prepared = {}
        for name, fut in [(n, ex.submit(prepare, n)) for n in progs]:
            try:
                prepared[name] = fut.result()
            except RuntimeError as e:
                failed.append(name)
                print("FAIL %s: cannot build:\n%s" % (name, e))
                continue
            out, err, status, _ = prepared[name][1]
            want = CONFIG.get(name, {}).get("status", 0)
            if status != want or "CHECK FAILED" in out + err:
                failed.append(name)
                print("FAIL %s: the native build itself fails (status %s, want %s):\n%s%s"
                      % (name, status, want, out, err))
                del prepared[name]

        def check(name, variant, opts, which):
            files, native = prepared[name]
            cfg = CONFIG.get(name, {})

            def run_here(*args):  # (less what the config says is not kjit's)
                g = run(*args)
                pat = cfg.get("ignore_stderr")
                if pat and isinstance(g[1], str):
                    pat = pat.decode()
                return g if not pat else (g[0], re.sub(pat, pat[:0], g[1], flags=re.M), g[2], g[3])
            cmd = [kjit] + opts + files[which]
            cmd += ["--"] + cfg["args"] if cfg.get("args") else []
            timeout = min(a.timeout, KNOWN_TIMEOUT) if known(name, variant) else a.timeout
            cwd, merge = os.path.join(work, name), cfg.get("merge", False)
            if variant.startswith("cache"):
                cache = os.path.join(cwd, variant + ".cache")
                shutil.rmtree(cache, ignore_errors=True)
                extra = {"KJIT_CACHE": "on", "KJIT_CACHE_DIR": cache}
                got = run_here(cmd, cwd, merge, timeout, extra)  # cold: fills the cache
                if native[:3] == got[:3]:
                    if not os.listdir(cache):
                        got = (got[0], got[1] + "\n(the cold run left the cache empty)",
                               got[2], got[3])
                    else:  # warm: from the cache
                        if variant.startswith("cache-finish"):
                            fin = run_here([kjit, "--cache-finish"] + cmd[1:], cwd, merge, timeout, extra)
                            if fin[2] != 0:
                                return name, variant, cmd, native, (
                                    fin[0], fin[1] + "\n(kjit --cache-finish failed)", fin[2], fin[3])
                        got = run_here(cmd, cwd, merge, timeout, extra)
                return name, variant, cmd, native, got
            got = run_here(cmd, cwd, merge, timeout)
            return name, variant, cmd, native, got

        built = time.monotonic()
        times, skipped = [], []
        futs = []
        for name in prepared:
            for v in vs + own_variants(name, modes, levels):
                if zlib.crc32(("%s %s" % (name, v[0])).encode()) % shard_n != shard_k - 1:
                    continue
                kf = known(name, v[0])
                if kf and kf[1] == "hangs" and not a.run_hanging:
                    skipped.append("%s %s" % (name, v[0]))
                    print("SKIP %s %s: hangs: %s" % (name, v[0], kf[0]))
                else:
                    futs.append(ex.submit(check, name, *v))
        for fut in futs:
            name, variant, cmd, native, got = fut.result()
            total += 1
            times.append((got[3], name, variant))
            same = native[:3] == got[:3]
            passed += same
            kf = known(name, variant)
            label = "%s %s" % (name, variant)
            if same and kf and kf[1] != "sometimes":
                xpass.append(label)
                print("XPASS %s: passes, but KNOWN_FAILURES expects it to fail (%s)"
                      % (label, kf[0]))
            elif not same and kf:
                xfail.append(label)
                print("XFAIL %s: %s" % (label, kf[0]))
                if a.verbose:
                    print(report(label, cmd, native, got), end="")
            elif not same:
                failed.append(label)
                print("FAIL " + report(label, cmd, native, got), end="", flush=True)

    for t, name, variant in sorted(times, reverse=True)[:a.slowest]:
        print("  %6.2f s  %s %s" % (t, name, variant))
    print("ir: %d of %d runs passed (%d programs, %d variants each and their own), "
          "%d expected failures, "
          "%d unexpected passes, %d skipped (known to hang), %d failures; %.1f s (%.1f s "
          "building and running natively)"
          % (passed, total, len(progs), len(vs), len(xfail), len(xpass), len(skipped),
             len(failed), time.monotonic() - start, built - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
