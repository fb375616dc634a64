#!/usr/bin/env python3
"""On-stack replacement of C frames (kj_osr.c): what it gives, and what its
points cost T1 code when it never fires.

  bench/osr.py KJIT [RUNS]          (default RUNS: 7)

Programs: bench/osr/kernel.c (main's loop and a kernel, each entered once,
in a program of 57 functions), and Lua's fib.lua (../shared/lua, built as
bench/k1.py builds it).  Variants, interleaved, KJIT_CACHE=off (first runs):
native (clang-19 -O2), kjit, KJIT_OSR_C=0 (no OSR), KJIT_OSR_C=polls (the
points in T1 code, never moving).  Every output is checked against the
native one first; reported: medians, and ratios to native and to no OSR.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k1  # noqa: E402


def run(cmd, env, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t, p


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    kjit = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    tmp = tempfile.mkdtemp(prefix="kjit-osr-")
    src = os.path.join(HERE, "osr", "kernel.c")
    kbc, kexe = os.path.join(tmp, "kernel.bc"), os.path.join(tmp, "kernel")
    k1.sh(["clang-19", "-O2", "-emit-llvm", "-c", src, "-o", kbc])
    k1.sh(["clang-19", "-O2", src, "-o", kexe])
    progs = [("kernel", kbc, kexe, [], tmp)]
    lua = k1.lua_program(k1.cache_dir())
    if lua:
        p = lua[0]
        progs.append(("lua fib.lua", p["bc"], p["exe"], p["args"], os.path.dirname(p["args"][0])))
    base = dict(os.environ, KJIT_CACHE="off", KJIT_CACHE_FINISH="0")
    variants = [("native", None, {}), ("kjit", [], {}), ("no OSR", [], {"KJIT_OSR_C": "0"}),
                ("polls only", [], {"KJIT_OSR_C": "polls"})]
    print("| program | native | kjit | no OSR | polls only | kjit / native | kjit / no OSR "
          "| polls only / no OSR |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, bc, exe, args, cwd in progs:
        cmds = []
        for vname, extra, env in variants:
            cmd = [exe] + args if extra is None else [kjit] + extra + [bc, "--"] + args
            cmds.append((vname, cmd, dict(base, **env)))
        _, ref = run([exe] + args, base, cwd)
        for vname, cmd, env in cmds:
            _, p = run(cmd, env, cwd)
            if p.returncode != 0 or p.stdout != ref.stdout:
                sys.exit("osr.py: %s, %s: wrong output (status %d)\n%s" %
                         (name, vname, p.returncode, p.stderr[-1000:]))
        times = {v: [] for v, _, _ in cmds}
        for _ in range(runs):
            for vname, cmd, env in cmds:
                times[vname].append(run(cmd, env, cwd)[0])
        med = {v: statistics.median(t) for v, t in times.items()}
        print("| %s | %.3f s | %.3f s | %.3f s | %.3f s | %.2fx | %.2fx | %.2fx |" %
              (name, med["native"], med["kjit"], med["no OSR"], med["polls only"],
               med["kjit"] / med["native"], med["kjit"] / med["no OSR"],
               med["polls only"] / med["no OSR"]), flush=True)


if __name__ == "__main__":
    main()
