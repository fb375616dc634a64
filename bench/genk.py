#!/usr/bin/env python3
"""Generate a large Kaleidoscope program (in the spirit of LLVM's genk-timing).

  genk.py N M F W [SEED]

N functions f0..f{N-1} of two parameters; each body chains M random
operations (+ - * on the parameters and constants), and with probability 0.3
adds a call to one of the 50 functions defined just before it (so the code
reachable from any function stays small).  Every F definitions, a top-level
expression prints the value of the next function of the "called" set, a
random fraction W of all functions (at least one).  Functions are called only
after their definition.  Deterministic for a given SEED.
"""
import random
import sys

n, m, f, w = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)

called = sorted(rng.sample(range(n), max(1, int(round(w * n)))))
out = ["extern printd(x);"]
pending = iter(called)
nxt = next(pending, None)


def body(k):
    e = "x"
    for _ in range(m):
        op = rng.choice("+-*")
        term = rng.choice(["x", "y", f"{rng.randint(0, 9)}.{rng.randint(1, 9)}"])
        if op == "*":  # keep magnitudes tame: multiply by something near 1
            term = f"0.{rng.randint(5, 9)}{rng.randint(1, 9)}"
        e = f"({e} {op} {term})"
    if k > 0 and rng.random() < 0.3:
        j = rng.randint(max(0, k - 50), k - 1)
        e = f"{e} + f{j}(y, x) * 0.5"
    return e


for k in range(n):
    out.append(f"def f{k}(x y) {body(k)};")
    if (k + 1) % f == 0 or k == n - 1:
        # Print every called function defined so far that was not printed yet.
        while nxt is not None and nxt <= k:
            out.append(f"printd(f{nxt}(1.5, 2.5));")
            nxt = next(pending, None)
print("\n".join(out))
