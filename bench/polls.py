#!/usr/bin/env python3
"""Cost of the interrupt polls (issue F): steady state of the kernels with
and without them, in one invocation.

  bench/polls.py KJIT_WITHOUT_POLLS KJIT_WITH_POLLS [RUNS]

Both binaries run each kernel (bench/kernels/*.ks) in the default tiered
mode at REPS=1 and REPS=6; outputs are checked equal first.  Steady =
(T(6) - T(1)) / 5, medians of RUNS (default 7) runs, interleaved so that
load on the machine falls on both alike.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
A, B = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 7
R = 6


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, p.stdout


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-polls-")
    print(f"steady state per repetition, median of {RUNS} interleaved runs")
    print("| kernel | without polls s | with polls s | ratio |")
    print("|---|---|---|---|")
    ratios = []
    for k in ["fib", "mandel", "loop", "calls"]:
        src = open(os.path.join(HERE, "kernels", k + ".ks")).read()
        progs = {}
        for n in (1, R):
            progs[n] = os.path.join(tmp, f"{k}-{n}.ks")
            with open(progs[n], "w") as f:
                f.write(src.replace("REPS", str(n)))
        if run([A, "-q", progs[R]])[1] != run([B, "-q", progs[R]])[1]:
            sys.exit(f"polls.py: {k}: outputs differ")
        t = {(x, n): [] for x in (A, B) for n in (1, R)}
        for _ in range(RUNS):
            for x in (A, B):
                for n in (1, R):
                    t[(x, n)].append(run([x, "-q", progs[n]])[0])
        steady = {x: (statistics.median(t[(x, R)]) - statistics.median(t[(x, 1)])) / (R - 1)
                  for x in (A, B)}
        ratios.append(steady[B] / steady[A])
        print(f"| {k} | {steady[A]:.4f} | {steady[B]:.4f} | {ratios[-1]:.3f} |")
    geo = 1.0
    for r in ratios:
        geo *= r
    print(f"geometric mean: {geo ** (1 / len(ratios)):.3f}")


main()
