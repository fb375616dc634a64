"""test_ksvalue.py KJIT -- kjit's printed values against ksvalue.py.

Two independent writings of one rule (front/ks_value.c in C, ksvalue.py in
Python, which compare.sh and the fuzzer use) must agree.  Random doubles of
every magnitude, with few and with many significant digits, are written as
plain decimal literals (Kaleidoscope has no exponents), run through kjit in
one program, and each printed line is compared with ksvalue's form of the
literal as Python reads it.  Exits 1 on the first disagreement.
"""
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ksvalue import format_value  # noqa: E402


def literal(v):
    """A decimal literal without exponent that reads as exactly v."""
    for digits in range(0, 400):
        text = "%.*f" % (digits, v)
        if float(text) == v:
            return text
    raise AssertionError(v)


def values(rng, n):
    out = [10, 120, 3000, 100000, 1e6, 120000, 12000000, 0.1, 0.0001, 1e-5, 0.5, 1 / 3]
    while len(out) < n:
        mag = 10.0 ** rng.randint(-30, 30)
        digits = rng.choice([1, 2, 3, 6, 17])
        v = round(rng.random(), digits) * mag if digits < 17 else rng.random() * mag
        out.append(v)
    return out


def main():
    kjit = sys.argv[1]
    vals = values(random.Random(7), 2000)
    prog = "".join(literal(v) + ";\n" for v in vals)
    got = subprocess.run([kjit, "-"], input=prog, capture_output=True, text=True, check=True)
    lines = got.stdout.splitlines()
    if len(lines) != len(vals):
        print("kjit printed %d lines for %d values" % (len(lines), len(vals)))
        return 1
    for v, line in zip(vals, lines):
        if line != format_value(v):
            print("value %r: kjit prints %s, ksvalue.py says %s" % (v, line, format_value(v)))
            return 1
    print("%d values agree" % len(vals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
