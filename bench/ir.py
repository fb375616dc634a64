#!/usr/bin/env python3
"""IR-module benchmark (issue E1): C programs as bitcode, run by kjit, by
lli-19 (--jit-kind=orc, eager) and natively (clang-19 -O2).

  bench/ir.py [KJIT] [RUNS] [--quick]     (defaults: build/kjit, 3)

All from clang-19 -O2 bitcode, whole-process wall time, median of RUNS:
  - the 24 programs of ../shared/corpus-c: each runner's output is first
    checked against the reference (tests/corpus/corpus.py's rule), then
    timed; sums and ratios, and the worst program against lli;
  - hello world;
  - Lua's fib.lua (the interpreter from onelua.c);
  - what copying one function out of the Lua module costs (bench_extract,
    beside KJIT).
Skips with a message where ../shared is absent.
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "corpus"))
import corpus  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
KJIT = os.path.abspath(args[0] if args else "build/kjit")
RUNS = int(args[1]) if len(args) > 1 else 3
QUICK = "--quick" in sys.argv


def median_time(cmd, want=None, tol=0.0):
    out, _ = corpus.run(cmd)
    if want is not None and not corpus.same(out, want, tol):
        sys.exit("ir.py: wrong output from %s:\n%s" % (" ".join(cmd), out[-500:]))
    return statistics.median(corpus.run(cmd)[1] for _ in range(RUNS))


def main():
    shared = corpus.shared_dir()
    if not shared:
        print("ir.py: skipped: ../shared is not there")
        return 0
    cdir = os.path.join(shared, "corpus-c")
    work = os.path.join(os.getcwd(), "bench-ir-work")
    os.makedirs(work, exist_ok=True)
    names = corpus.programs(cdir)[:4] if QUICK else corpus.programs(cdir)
    rows = []
    for name in names:
        bc = corpus.build(cdir, work, name, "O2")
        exe = corpus.build(cdir, work, name, "O2", native=True)
        _, ref = corpus.flags(cdir, name)
        with open(ref) as f:
            want = f.read()
        tol = corpus.tolerance(name)
        t = {"native": median_time([exe], want, tol),
             "lli": median_time(["lli-19", "--jit-kind=orc", bc], want, tol),
             "kjit": median_time([KJIT, bc], want, tol)}
        rows.append((name, t))
        print("%-28s native %6.3f  lli %6.3f  kjit %6.3f  kjit/lli %5.2f  kjit/native %5.2f"
              % (name, t["native"], t["lli"], t["kjit"], t["kjit"] / t["lli"],
                 t["kjit"] / t["native"]), flush=True)
    total = {k: sum(t[k] for _, t in rows) for k in ("native", "lli", "kjit")}
    worst = max(rows, key=lambda r: r[1]["kjit"] / r[1]["lli"])
    print("corpus sum: native %.2f s, lli orc %.2f s, kjit tiered %.2f s: kjit/lli %.2f, "
          "kjit/native %.2f; worst kjit/lli %.2f (%s)"
          % (total["native"], total["lli"], total["kjit"], total["kjit"] / total["lli"],
             total["kjit"] / total["native"], worst[1]["kjit"] / worst[1]["lli"], worst[0]))

    # Hello world.
    src = os.path.join(work, "hello.c")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n')
    subprocess.run(["clang-19", "-O2", "-c", "-emit-llvm", src, "-o", src + ".bc"], check=True)
    subprocess.run(["clang-19", "-O2", src, "-o", src + ".exe"], check=True)
    hello = "hello, world\nexit 0\n"
    h = {"native": median_time([src + ".exe"], hello),
         "lli": median_time(["lli-19", "--jit-kind=orc", src + ".bc"], hello),
         "kjit": median_time([KJIT, src + ".bc"], hello)}
    print("hello world: native %.1f ms, lli orc %.1f ms, kjit %.1f ms"
          % (h["native"] * 1e3, h["lli"] * 1e3, h["kjit"] * 1e3))

    # Lua.
    lua = corpus.build_lua(shared, work, ["O2"])
    fib = os.path.join(shared, "lua", "fib.lua")
    want, _ = corpus.run([lua["native"], fib])
    lt = {"native": median_time([lua["native"], fib], want),
          "lli": median_time(["lli-19", "--jit-kind=orc", lua["O2"], fib], want),
          "kjit": median_time([KJIT, lua["O2"], "--", fib], want)}
    print("lua fib.lua: native %.2f s, lli orc %.2f s (%.1fx), kjit tiered %.2f s (%.1fx)"
          % (lt["native"], lt["lli"], lt["lli"] / lt["native"], lt["kjit"],
             lt["kjit"] / lt["native"]))

    ext = os.path.join(os.path.dirname(KJIT), "bench_extract")
    if os.path.exists(ext):
        r = json.loads(subprocess.run([ext, lua["O2"], str(max(RUNS, 3))], check=True,
                                      capture_output=True, text=True).stdout)
        print("extraction on Lua (%d functions): %.3f ms per function (adding the module: "
              "%.0f ms without copies, %.0f ms copying every function)"
              % (r["functions"], r["per_function_ms"], r["add_lazy_ms"], r["add_lazy_ir_ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
