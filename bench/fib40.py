#!/usr/bin/env python3
"""fib(40)'s whole run (issue M5): kjit against clang-19 -O2, and where the
time goes.

    bench/fib40.py [KJIT] [RUNS] [KJIT_BEFORE]

The program is t0.py's (fib on doubles, `n < 2`, one top-level call).  Each
variant's output is checked against the C twin's first; then every variant
runs once per round, in turn, for RUNS rounds (default 9), and the medians
of wall and user+sys seconds are printed with their ratios to C measured in
the same invocation.  Variants: kjit tiered (the default), with
KJIT_NO_POLLS=1, lazy -O2, and KJIT_BEFORE if given.  Then the phases of
`--trace` (median of RUNS): when fib is queued for T2, when its IR is made
(LLVM loaded and set up by then), when the T2 body is installed, and the
T0 calls made meanwhile.  Last, `kjit -e 1` against `kjit --jit=lazy -e 1`:
the price of loading libLLVM.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

KJIT = sys.argv[1] if len(sys.argv) > 1 else "build/kjit"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 9
BEFORE = sys.argv[3] if len(sys.argv) > 3 else None

KS = ("extern printd(x);\ndef fib(n) if n < 2 then n else fib(n - 1) + fib(n - 2);\n"
      "printd(fib(40));\n")
C = ("#include <stdio.h>\nstatic double fib(double n) { return n < 2 ? n : "
     "fib(n - 1) + fib(n - 2); }\nint main(void) { printf(\"%f\\n\", fib(40)); "
     "printf(\"0\\n\"); return 0; }\n")


def run(cmd, env=None):
    """wall s, stdout, stderr"""
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return time.monotonic() - t, p.stdout, p.stderr


def timed(cmd, env=None):
    """wall s, user+sys s (the child's, as the kernel counted them), stdout, stderr"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, out, err = run(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out, err


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-fib40-")
    ks, c, exe = (os.path.join(tmp, n) for n in ("fib40.ks", "fib40.c", "fib40"))
    with open(ks, "w") as f:
        f.write(KS)
    with open(c, "w") as f:
        f.write(C)
    subprocess.run(["clang-19", "-O2", "-o", exe, c], check=True)
    nopolls = dict(os.environ, KJIT_NO_POLLS="1")
    variants = [("clang -O2", [exe], None), ("kjit tiered", [KJIT, ks], None),
                ("kjit tiered, no polls", [KJIT, ks], nopolls),
                ("kjit lazy -O2", [KJIT, "--jit=lazy", ks], None)]
    if BEFORE:
        variants.append(("before: kjit tiered", [BEFORE, ks], None))
    want = timed([exe])[2]
    for name, cmd, env in variants:
        out = timed(cmd, env)[2]
        if out != want:
            sys.exit(f"fib40.py: {name} printed {out!r}, C {want!r}")
    walls = {n: [] for n, _, _ in variants}
    cpus = {n: [] for n, _, _ in variants}
    for _ in range(RUNS):
        for name, cmd, env in variants:
            w, u, _, _ = timed(cmd, env)
            walls[name].append(w)
            cpus[name].append(u)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"fib(40), whole process, median of {RUNS} interleaved runs (load average {load})")
    print("| | wall s | ratio | user+sys s | ratio |")
    print("|---|---:|---:|---:|---:|")
    cw, cc = statistics.median(walls["clang -O2"]), statistics.median(cpus["clang -O2"])
    for name, _, _ in variants:
        w, u = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"| {name} | {w:.3f} | {w / cw:.2f}x | {u:.3f} | {u / cc:.2f}x |")

    phases = {"queued": [], "ir": [], "installed": [], "t2 compile": [], "T0 calls": []}
    for _ in range(RUNS):
        _, _, _, err = timed([KJIT, "--trace", "--stats=json", ks])
        for line in err.splitlines():
            m = re.match(r"trace\s+([\d.]+) ms\s+thread \d+\s+(\w+)\s+fib", line)
            if m and m.group(2) in phases:
                phases[m.group(2)].append(float(m.group(1)))
            elif line.startswith("{"):
                st = json.loads(line)
                phases["t2 compile"].append(st["t2_us"] / 1000)
                phases["T0 calls"].append(st["run_t0"])
    print()
    print(f"--trace, median of {RUNS}: ms from start (T0 calls: a count)")
    for k, v in phases.items():
        if v:
            print(f"    {k}: {statistics.median(v):.1f}")

    print()
    print(f"kjit -e 1, median of {RUNS} interleaved runs")
    e = {"tiered (no LLVM)": [], "lazy (loads LLVM)": []}
    for _ in range(RUNS):
        for name, cmd in (("tiered (no LLVM)", [KJIT, "-e", "1"]),
                          ("lazy (loads LLVM)", [KJIT, "--jit=lazy", "-e", "1"])):
            w, u, _, _ = timed(cmd)
            e[name].append((w, u))
    for name, v in e.items():
        print(f"    {name}: wall {statistics.median(x[0] for x in v) * 1000:.1f} ms, "
              f"user+sys {statistics.median(x[1] for x in v) * 1000:.1f} ms")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
