#!/usr/bin/env python3
"""Laziness benchmark (issue 3): start-up and total time of large generated
programs in each kjit mode, against parse+check only and LLVM's own lli.

  bench/lazy.py [KJIT] [RUNS]          (defaults: build/kjit, 5)

For each configuration (N functions, M operations, a top-level call every F
definitions, fraction W called; see genk.py) it generates the program, runs
every variant once and checks that all print the same (lli runs kjit's
--emit=llvm output of the same program), then times RUNS runs of each and
reports the median wall time and its ratio to `--check` (parse + check only).
The lazy run's --stats gives the median first-call compile latency.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KJIT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/kjit")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
LLI = shutil.which("lli-19") or "/usr/lib/llvm-19/bin/lli"

CONFIGS = [  # (N, M, F, W, what the issue asks of it)
    (10000, 10, 1000, 10 / 10000, "lazy within 1.5x of --check"),
    (5000, 10, 100, 0.1, "lazy at least 5x faster than lli orc-lazy"),
]


def run(cmd, **kw):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"lazy.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[:2000]}")
    return dt, p.stdout, p.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-bench-")
    rows = []
    for n, m, f, w, goal in CONFIGS:
        ks = os.path.join(tmp, f"genk-{n}-{m}-{f}.ks")
        ll = ks[:-3] + ".ll"
        with open(ks, "w") as out:
            subprocess.run([sys.executable, os.path.join(HERE, "genk.py"), str(n), str(m),
                            str(f), str(w)], stdout=out, check=True)
        _, ir, _ = run([KJIT, "-q", "--emit=llvm", ks])
        with open(ll, "w") as out:
            out.write(ir)
        variants = [
            ("check", [KJIT, "--check", ks]),
            ("lazy", [KJIT, "-q", "--jit=lazy", ks]),
            ("lazy -O0", [KJIT, "-q", "--jit=lazy", "-O0", ks]),
            ("lazy-ir", [KJIT, "-q", "--jit=lazy-ir", ks]),
            ("eager", [KJIT, "-q", "--jit=eager", ks]),
            ("lli orc-lazy", [LLI, "--jit-kind=orc-lazy", ll]),
            ("lli orc", [LLI, "--jit-kind=orc", ll]),
        ]
        # Output check: every variant that runs the program prints the same.
        ref = None
        for name, cmd in variants[1:]:
            _, out, _ = run(cmd)
            if ref is None:
                ref = out
            elif out != ref:
                sys.exit(f"lazy.py: output of {name} differs from lazy on {ks}")
        if not ref.strip():
            sys.exit("lazy.py: the program printed nothing")
        _, _, err = run([KJIT, "-q", "--stats", ks])
        stats = json.loads(err.strip().splitlines()[-1])
        _, _, err = run([KJIT, "-q", "-O0", "--stats", ks])
        stats["median_O0"] = json.loads(err.strip().splitlines()[-1])["compile_us_median"]
        times = {}
        for name, cmd in variants:
            times[name] = statistics.median(run(cmd)[0] for _ in range(RUNS))
        rows.append((n, m, f, w, goal, times, stats, len(ref.splitlines())))
    shutil.rmtree(tmp)

    names = ["check", "lazy", "lazy -O0", "lazy-ir", "eager", "lli orc-lazy", "lli orc"]
    print(f"median of {RUNS} runs, wall seconds (ratio to --check); outputs checked equal")
    print("| N | M | F | W | " + " | ".join(names) + " |")
    print("|---" * (4 + len(names)) + "|")
    for n, m, f, w, goal, t, st, lines in rows:
        cells = [f"{t[x]:.3f} ({t[x] / t['check']:.2f}x)" for x in names]
        print(f"| {n} | {m} | {f} | {w:g} | " + " | ".join(cells) + " |")
    print()
    for n, m, f, w, goal, t, st, lines in rows:
        print(f"N={n} M={m} F={f} W={w:g}: {lines} lines printed; lazy compiled {st['compiled']} "
              f"of {st['defined'] - 3} functions; median first-call compile "
              f"{st['compile_us_median']} us (-O0: {st['median_O0']} us); lazy/check {t['lazy'] / t['check']:.2f}x; "
              f"lli orc-lazy/lazy {t['lli orc-lazy'] / t['lazy']:.2f}x  (goal: {goal})")


main()
