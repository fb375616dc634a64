#!/usr/bin/env python3
"""Cost of the interrupt polls (issue F): steady state of the kernels with
and without them, in one invocation, with one binary.

  bench/polls.py KJIT [RUNS] [REPS]

KJIT runs each kernel (bench/kernels/*.ks) in the default tiered mode at
REPS=1 and REPS=R (default 16), with KJIT_NO_POLLS=1 (compiled code without
polls) and without it; outputs are checked equal first.  Steady =
(T(R) - T(1)) / (R - 1), medians of RUNS (default 9) runs, interleaved so
that load on the machine falls on both alike.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KJIT = os.path.abspath(sys.argv[1])
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 9
R = int(sys.argv[3]) if len(sys.argv) > 3 else 16
ENV = {"without": dict(os.environ, KJIT_NO_POLLS="1"),
       "with": {k: v for k, v in os.environ.items() if k != "KJIT_NO_POLLS"}}


def run(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return time.perf_counter() - t0, p.stdout


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-polls-")
    print(f"steady state per repetition, median of {RUNS} interleaved runs, REPS 1 and {R}")
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
        if run([KJIT, "-q", progs[R]], ENV["without"])[1] != run([KJIT, "-q", progs[R]], ENV["with"])[1]:
            sys.exit(f"polls.py: {k}: outputs differ")
        t = {(x, n): [] for x in ENV for n in (1, R)}
        for _ in range(RUNS):
            for x in ENV:
                for n in (1, R):
                    t[(x, n)].append(run([KJIT, "-q", progs[n]], ENV[x])[0])
        steady = {x: (statistics.median(t[(x, R)]) - statistics.median(t[(x, 1)])) / (R - 1)
                  for x in ENV}
        ratios.append(steady["with"] / steady["without"])
        print(f"| {k} | {steady['without']:.4f} | {steady['with']:.4f} | {ratios[-1]:.3f} |")
    geo = 1.0
    for r in ratios:
        geo *= r
    print(f"geometric mean: {geo ** (1 / len(ratios)):.3f}")


main()
