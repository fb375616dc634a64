#!/usr/bin/env python3
"""Zero-stall figures (issue D): what T0, OSR and loading LLVM lazily buy.

  bench/t0.py [BUILD] [RUNS]          (defaults: build, 5)

For each measure every variant's output is first checked against a
reference (kjit's lazy mode, or the C twin), then the median wall time (and
peak RSS, from wait4) of RUNS runs is reported with its ratio to the
baseline measured in the same invocation:
  - generated programs (genk.py) in tiered, interp and lazy mode against
    --check (parsing and checking only); per retained definition, the time
    and memory beyond --check;
  - `kjit -e 1`, whole process;
  - fib(40) as one program against its clang-19 -O2 twin;
  - first calls of fresh functions through the API (bench_first_call).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
KJIT = os.path.join(BUILD, "kjit")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def measure(cmd):
    """Median seconds of RUNS direct runs, the peak RSS (kB) of one more run
    under GNU time (a child forked from Python would count Python's pages
    from before its exec), and the output."""
    times, out = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f"t0.py: {' '.join(cmd)} failed")
        out = p.stdout
    with tempfile.NamedTemporaryFile("r") as tf:
        subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        rss = int(tf.read().split()[-1])
    return statistics.median(times), rss, out


def genk(tmp, n, m, f, w):
    path = os.path.join(tmp, f"genk-{n}-{m}-{f}-{w}.ks")
    with open(path, "w") as out:
        subprocess.run([sys.executable, os.path.join(HERE, "genk.py"), str(n), str(m), str(f),
                        str(w)], stdout=out, check=True)
    return path


def generated(tmp):
    print("generated programs (genk.py N M F W), median wall s and peak RSS MB; "
          "ratio to --check")
    print("| N M F W | --check | tiered | interp | lazy -O2 | tiered beyond --check, "
          "per definition |")
    print("|---|---|---|---|---|---|")
    for n, m, f, w in [(2000, 10, 1, 1.0), (5000, 10, 100, 0.1), (10000, 10, 1000, 0.001)]:
        ks = genk(tmp, n, m, f, w)
        want = measure([KJIT, "-q", "--jit=lazy", ks])
        got = {mode: measure([KJIT, "-q", "--jit=" + mode, ks]) for mode in ("tiered", "interp")}
        for mode, r in got.items():
            if r[2] != want[2]:
                sys.exit(f"t0.py: {mode} prints other values than lazy on {ks}")
        chk = measure([KJIT, "-q", "--check", ks])
        cells = [f"{chk[0]:.3f} s {chk[1] / 1024:.1f} MB"]
        for r in (got["tiered"], got["interp"], want):
            cells.append(f"{r[0]:.3f} s ({r[0] / chk[0]:.2f}x) {r[1] / 1024:.1f} MB "
                         f"({r[1] / chk[1]:.2f}x)")
        t = got["tiered"]
        per = f"{(t[0] - chk[0]) / n * 1e6:.1f} us, {(t[1] - chk[1]) * 1024 / n:.0f} B"
        print(f"| {n} {m} {f} {w:g} | " + " | ".join(cells) + f" | {per} |")


def startup():
    global RUNS
    print()
    print("`kjit MODE -e 1`, whole process, median of", max(RUNS, 11), "runs")
    print("| mode | wall ms | peak RSS MB |")
    print("|---|---|---|")
    saved, RUNS = RUNS, max(RUNS, 11)
    for mode in ("tiered", "interp", "lazy"):
        t, rss, out = measure([KJIT, "--jit=" + mode, "-e", "1"])
        if out != "1\n":
            sys.exit(f"t0.py: -e 1 printed {out!r}")
        print(f"| {mode} | {t * 1000:.1f} | {rss / 1024:.1f} |")
    RUNS = saved


def fib40(tmp):
    ks = os.path.join(tmp, "fib40.ks")
    c = os.path.join(tmp, "fib40.c")
    with open(ks, "w") as f:
        f.write("extern printd(x);\ndef fib(n) if n < 2 then n else fib(n - 1) + fib(n - 2);\n"
                "printd(fib(40));\n")
    with open(c, "w") as f:
        f.write("#include <stdio.h>\nstatic double fib(double n) { return n < 2 ? n : "
                "fib(n - 1) + fib(n - 2); }\nint main(void) { printf(\"%f\\n\", fib(40)); "
                "printf(\"0\\n\"); return 0; }\n")
    exe = os.path.join(tmp, "fib40")
    subprocess.run(["clang-19", "-O2", "-o", exe, c], check=True)
    ct, _, cout = measure([exe])
    print()
    print("fib(40) as one program, whole process, median wall s (ratio to clang -O2)")
    print("| clang -O2 | kjit tiered | kjit lazy -O2 | kjit eager -O2 |")
    print("|---|---|---|---|")
    cells = [f"{ct:.3f}"]
    for mode in ("tiered", "lazy", "eager"):
        t, _, out = measure([KJIT, "--jit=" + mode, ks])
        if out != cout:
            sys.exit(f"t0.py: fib40 {mode} printed {out!r}, C {cout!r}")
        cells.append(f"{t:.3f} ({t / ct:.2f}x)")
    print("| " + " | ".join(cells) + " |")


def first_call():
    exe = os.path.join(BUILD, "bench_first_call")
    print()
    print("first call of a fresh 10-operation function through the API (bench_first_call 500)")
    p = subprocess.run([exe, "500"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"t0.py: bench_first_call failed: {p.stderr}")
    for line in p.stdout.splitlines():
        print("    " + line)


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-t0-")
    generated(tmp)
    startup()
    fib40(tmp)
    first_call()
    subprocess.run(["rm", "-rf", tmp])


main()
