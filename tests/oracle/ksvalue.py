"""ksvalue.py -- kjit's printed form of a double, in Python.

The rule of front/ks_value.c, written again independently so that scripts
(tests/oracle/compare.sh, the fuzzer, models in tests) can turn a number
into what kjit prints: among the texts "%.Ng" for N = 1..17 that read back as
the very same double, the shortest; on a tie in length the one without an
exponent; then the smallest N.  Every NaN is "nan"; infinities "inf"/"-inf";
negative zero "-0".  Python's repr is a different rule (100000.0 is
"100000.0" there, "1e+05" here).

Run as a script, it prints the form of each argument.
"""
import math
import struct
import sys


def _bits(v):
    return struct.pack("<d", v)


def format_value(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    best = None
    for n in range(1, 18):
        cand = "%.*g" % (n, v)
        if _bits(float(cand)) != _bits(v):
            continue
        if (best is None or len(cand) < len(best)
                or (len(cand) == len(best) and "e" in best and "e" not in cand)):
            best = cand
    return best


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(format_value(arg))
