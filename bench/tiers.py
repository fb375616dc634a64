#!/usr/bin/env python3
"""Tiering benchmark (issue 4): kernels in Kaleidoscope against their C
(clang-19 -O2) and LuaJIT twins, and the generated large programs.

  bench/tiers.py [KJIT] [RUNS]          (defaults: build/kjit, 5)

Each kernel runs its work REPS times in one process.  For every variant the
runner first checks that it prints what the C twin prints, then takes the
median wall time of RUNS runs at REPS=1 and at REPS=R, and reports:
  - one run: the time of a whole program doing the work once;
  - steady: (T(R) - T(1)) / (R - 1), the cost of one more repetition once
    everything is warm (for tiered kjit: at T2).
Ratios are to clang -O2.  For tiered kjit it also reports, from --stats,
the T2 compiles, their total time on the background thread, and the mean
queue latency (from the hot call to the stub repointed).
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
R = 6
KERNELS = ["fib", "mandel", "loop", "calls"]
LUAJIT = shutil.which("luajit")


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"tiers.py: {' '.join(cmd)} failed ({p.returncode}): {p.stderr[:500]}")
    return dt, p.stdout, p.stderr


def median_time(cmd):
    return statistics.median(timed(cmd)[0] for _ in range(RUNS))


def main():
    tmp = tempfile.mkdtemp(prefix="kjit-tiers-")
    rows, notes = [], []
    for k in KERNELS:
        exe = os.path.join(tmp, k)
        subprocess.run(["clang-19", "-O2", "-march=native", "-ffp-contract=off", "-w", "-o", exe,
                        os.path.join(HERE, "kernels", k + ".c"), "-lm"], check=True)
        src = open(os.path.join(HERE, "kernels", k + ".ks")).read()
        progs = {}
        for reps in (1, R):
            progs[reps] = os.path.join(tmp, f"{k}-{reps}.ks")
            with open(progs[reps], "w") as f:
                f.write(src.replace("REPS", str(reps)))
        variants = {
            "kjit tiered": lambda n: [KJIT, "-q", "--jit=tiered", progs[n]],
            "kjit lazy (T1 only)": lambda n: [KJIT, "-q", "--jit=lazy", "-O0", progs[n]],
            "kjit eager -O2": lambda n: [KJIT, "-q", "--jit=eager", "-O2", progs[n]],
            "clang -O2": lambda n: [exe, str(n)],
        }
        if LUAJIT:
            variants["luajit"] = lambda n: [LUAJIT, os.path.join(HERE, "kernels", k + ".lua"), str(n)]
        want = timed(variants["clang -O2"](1))[1]
        for name, cmd in variants.items():
            for n in (1, R):
                out = timed(cmd(n))[1]
                if out != want:
                    sys.exit(f"tiers.py: {k}: {name} printed {out!r}, C printed {want!r}")
        res = {}
        for name, cmd in variants.items():
            one, many = median_time(cmd(1)), median_time(cmd(R))
            res[name] = (one, (many - one) / (R - 1))
        _, _, err = timed([KJIT, "-q", "--jit=tiered", "--stats", progs[R]])
        st = json.loads(err.strip().splitlines()[-1])
        q = st["t2_queue_us"] / st["compiled_t2"] if st["compiled_t2"] else 0
        notes.append(f"{k}: tiered compiled {st['compiled_t1']} T1 / {st['compiled_t2']} T2 "
                     f"bodies; T2 compile time {st['t2_us'] / 1000:.1f} ms in all; mean "
                     f"queue latency {q / 1000:.1f} ms")
        rows.append((k, res))
    shutil.rmtree(tmp)

    names = list(rows[0][1].keys())
    print(f"median of {RUNS} runs; outputs checked against C; steady = (T({R} reps) - T(1)) / {R - 1}")
    print("| kernel | measure | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for k, res in rows:
        c1, cs = res["clang -O2"]
        print(f"| {k} | one run s | " + " | ".join(
            f"{res[n][0]:.3f} ({res[n][0] / c1:.2f}x)" for n in names) + " |")
        print(f"| {k} | steady s | " + " | ".join(
            f"{res[n][1]:.3f} ({res[n][1] / cs:.2f}x)" for n in names) + " |")
    print()
    for n in notes:
        print(n)
    ratios = [res["kjit tiered"][1] / res["clang -O2"][1] for k, res in rows]
    if all(r > 0 for r in ratios):
        geo = 1.0
        for r in ratios:
            geo *= r
        print(f"geometric mean of tiered steady / clang -O2: {geo ** (1 / len(ratios)):.2f}x")
    else:
        print("steady times too small to compare (a negative difference): raise the work")
    generated()
    hot_sweep()


def genk(tmp, n, m, f, w):
    path = os.path.join(tmp, f"genk-{n}-{m}-{f}-{w}.ks")
    with open(path, "w") as out:
        subprocess.run([sys.executable, os.path.join(HERE, "genk.py"), str(n), str(m), str(f),
                        str(w)], stdout=out, check=True)
    return path


def generated():
    """The generated programs of bench/lazy.py, as whole runs."""
    tmp = tempfile.mkdtemp(prefix="kjit-tiers-")
    print()
    print("generated programs (genk.py), whole run, median s:")
    print("| N | M | F | W | tiered | lazy (T1 only) | lazy -O2 | eager -O2 |")
    print("|---|---|---|---|---|---|---|---|")
    for n, m, f, w in [(10000, 10, 1000, 0.001), (5000, 10, 100, 0.1)]:
        ks = genk(tmp, n, m, f, w)
        cmds = [[KJIT, "-q", "--jit=tiered", ks], [KJIT, "-q", "--jit=lazy", "-O0", ks],
                [KJIT, "-q", "--jit=lazy", "-O2", ks], [KJIT, "-q", "--jit=eager", "-O2", ks]]
        outs = {timed(c)[1] for c in cmds}
        if len(outs) != 1:
            sys.exit(f"tiers.py: modes disagree on {ks}")
        t = [median_time(c) for c in cmds]
        print(f"| {n} | {m} | {f} | {w:g} | " + " | ".join(f"{x:.3f}" for x in t) + " |")
    shutil.rmtree(tmp)


def hot_sweep():
    """Whole-run time of tiered kjit for several hot thresholds."""
    tmp = tempfile.mkdtemp(prefix="kjit-tiers-")
    progs = []
    for k in KERNELS:
        p = os.path.join(tmp, k + ".ks")
        with open(p, "w") as f:
            f.write(open(os.path.join(HERE, "kernels", k + ".ks")).read().replace("REPS", "3"))
        progs.append((k + " x3", p))
    progs.append(("genk 5000/10/100/0.1", genk(tmp, 5000, 10, 100, 0.1)))
    hots = [10, 100, 1000, 10000, 100000]
    print()
    print("tiered whole-run time (median s) by --hot:")
    print("| program | " + " | ".join(f"--hot={h}" for h in hots) + " |")
    print("|---|" + "---|" * len(hots))
    for name, p in progs:
        t = [median_time([KJIT, "-q", "--jit=tiered", f"--hot={h}", p]) for h in hots]
        best = min(t)
        print(f"| {name} | " + " | ".join(f"{x:.3f}" + (" *" if x == best else "") for x in t) + " |")
    shutil.rmtree(tmp)


main()
