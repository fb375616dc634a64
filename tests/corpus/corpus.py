#!/usr/bin/env python3
"""corpus.py — the C corpus of ../shared/corpus-c, run by kjit.

Compiles each program with clang-19 to bitcode (at -O0 and -O2, with the
flags ../shared/corpus-c/README.md gives), runs it with `kjit --jit=MODE`,
and compares its output (stdout and stderr, then "exit N") with the
reference: exactly, or else token by token with numbers allowed to differ
by the program's FP_TOLERANCE.

    corpus.py --kjit build/kjit [--modes tiered,lazy] [--levels O0,O2]
              [--programs A,B] [--jobs N] [--work DIR] [--shared DIR]

Exit status 0 when every run passed; 77 (ctest's "skipped") with a message
when ../shared/corpus-c is not there.  bench/corpus.py imports it for the
timings.  The programs are never copied into the repository; the one header
one of them needs and ../shared lacks, simple_hash.h, is ours (beside this
file).
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODES = ["tiered", "lazy", "lazy-ir", "eager", "interp"]
LEVELS = ["O0", "O2"]
SKIP = 77


def shared_dir(arg=None):
    for d in [arg, os.environ.get("KJIT_SHARED"), os.path.join(ROOT, "..", "shared")]:
        if d and os.path.isdir(os.path.join(d, "corpus-c")):
            return os.path.abspath(d)
    return None


def programs(corpus):
    with open(os.path.join(corpus, "PROGRAMS")) as f:
        return [line.strip() for line in f if line.strip()]


def flags(corpus, name):
    """clang flags and the reference file of one program, as the README says."""
    fl = ["-w", "-fno-strict-aliasing",
          # clang 16 made these errors; the programs are older than that.
          "-Wno-error=implicit-int", "-Wno-error=implicit-function-declaration",
          "-I", HERE]
    if name == "Linpack-linpack-pc":
        fl += ["-ffp-contract=off", "-DFMA_DISABLED=1"]
    ref = os.path.join(corpus, name + ".reference_output")
    extra = os.path.join(corpus, name + ".flags")
    if os.path.exists(extra):
        with open(extra) as f:
            fl += f.read().split()
        ref += ".small"
    return fl, ref


def tolerance(name):
    if name.startswith(("Misc-", "McGill-", "Stanford-")):
        return 0.001
    if name.startswith("Linpack-"):
        return 0.0001
    return 0.0


def build(corpus, work, name, level, native=False):
    """The program's bitcode (or native executable), made once into work."""
    fl, _ = flags(corpus, name)
    out = os.path.join(work, "%s.%s.%s" % (name, level, "exe" if native else "bc"))
    src = os.path.join(corpus, name + ".c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        cmd = ["clang-19", "-" + level] + fl + [src, "-o", out + ".tmp"]
        cmd += ["-lm"] if native else ["-c", "-emit-llvm"]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        os.replace(out + ".tmp", out)
    return out


NUM = re.compile(r"^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|nan|inf)$", re.I)


def same(out, ref, tol):
    """The README's rule: exact, else token by token within tol."""
    if out == ref:
        return True
    a, b = out.split(), ref.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if not (NUM.match(x) and NUM.match(y)):
            return False
        fx, fy = float(x), float(y)
        if fx == fy:
            continue
        if abs(fx - fy) > tol and abs(fx - fy) > tol * max(abs(fx), abs(fy)):
            return False
    return True


def run(cmd, timeout=300):
    """Output (stdout and stderr together, then "exit N") and wall time."""
    t = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace"), "timeout"
    dt = time.monotonic() - t
    if out and not out.endswith("\n"):
        out += "\n"
    return out + "exit %s\n" % rc, dt


def check_one(kjit, corpus, work, name, level, mode):
    bc = build(corpus, work, name, level)
    _, ref = flags(corpus, name)
    with open(ref) as f:
        want = f.read()
    got, dt = run([kjit, "--jit=" + mode, bc])
    return name, level, mode, same(got, want, tolerance(name)), got, dt


def build_lua(shared, work, levels):
    """The Lua interpreter (one module, computed goto) as bitcode at each
    level, and natively: the oracle."""
    src = os.path.join(shared, "lua", "onelua.c")
    out = {}
    for level in levels + ["native"]:
        path = os.path.join(work, "lua.%s" % ("native" if level == "native" else level + ".bc"))
        cmd = ["-O2", "-lm"] if level == "native" else ["-" + level, "-c", "-emit-llvm"]
        if not os.path.exists(path):
            subprocess.run(["clang-19", "-w"] + cmd + [src, "-o", path + ".tmp"], check=True)
            os.replace(path + ".tmp", path)
        out[level] = path
    return out


def check_lua(kjit, shared, lua, level, mode):
    fib = os.path.join(shared, "lua", "fib.lua")
    want, _ = run([lua["native"], fib])
    got, dt = run([kjit, "--jit=" + mode, lua[level], "--", fib])
    return "lua fib.lua", level, mode, got == want, got, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kjit", required=True)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--levels", default=",".join(LEVELS))
    ap.add_argument("--programs", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work", default=os.path.join(os.getcwd(), "corpus-work"))
    ap.add_argument("--shared")
    ap.add_argument("--lua", action="store_true", help="also fib.lua on ../shared/lua")
    a = ap.parse_args()
    shared = shared_dir(a.shared)
    if not shared:
        print("corpus: skipped: ../shared/corpus-c is not there (set KJIT_SHARED to its parent)")
        return SKIP
    corpus = os.path.join(shared, "corpus-c")
    os.makedirs(a.work, exist_ok=True)
    names = a.programs.split(",") if a.programs else programs(corpus)
    for name in names:  # build first, serially: clang errors are clear then
        for level in a.levels.split(","):
            build(corpus, a.work, name, level)
    jobs = [(name, level, mode) for name in names for level in a.levels.split(",")
            for mode in a.modes.split(",")]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(check_one, a.kjit, corpus, a.work, *j) for j in jobs]
        if a.lua:
            lua = [(level, mode) for level in a.levels.split(",") for mode in a.modes.split(",")]
            jobs += lua
            built = build_lua(shared, a.work, a.levels.split(","))
            futs += [ex.submit(check_lua, a.kjit, shared, built, *j) for j in lua]
        for f in futs:
            name, level, mode, ok, got, dt = f.result()
            if not ok:
                failed += 1
                tail = "\n".join(got.splitlines()[-6:])
                print("FAIL %s -%s --jit=%s (%.2f s):\n%s" % (name, level, mode, dt, tail))
    print("corpus: %d of %d runs passed (%d programs%s, modes %s, levels %s)"
          % (len(jobs) - failed, len(jobs), len(names), " and Lua" if a.lua else "",
             a.modes, a.levels))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
