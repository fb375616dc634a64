#!/usr/bin/env python3
"""realtime.py [BUILD] [RUNS] [RELOADS]: a real-time callback during reloads
(issue L item 3).  Runs BUILD/tests/api_test_realtime (a callback every
1.33 ms calls a DSP-like function while RELOADS reloads, default 1000,
replace it), with a baseline as long as the reloads (KJIT_RT_BASE: the
callbacks the reloads took in a first run) and the callback at SCHED_FIFO
where the system allows it (KJIT_RT_FIFO=1), as an audio callback runs.
Prints, per mode, the medians over RUNS runs (default 3) of the worst
callback and of its 99.9th percentile, before and during the reloads, and
their ratios.  The test's own checks (no compile on the callback, wait_us 0
after its first calls, gains in order) must pass in every run."""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build"))
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
RELOADS = sys.argv[3] if len(sys.argv) > 3 else "1000"
TEST = os.path.join(BUILD, "tests", "api_test_realtime")
LINE = re.compile(r"(lazy|tiered): \d+ reloads, \d+ callbacks \((\d+) before, (\d+) during\)"
                  r"( at SCHED_FIFO)?, worst callback (\d+) us before, (\d+) us during; "
                  r"99.9th percentile ([0-9.]+) us before, ([0-9.]+) us during")


def run(base):
    env = dict(os.environ, KJIT_RT_RELOADS=RELOADS, KJIT_RT_FIFO="1", KJIT_RT_BASE=str(base),
               KJIT_CACHE="off")  # (each reload compiles: none from the code cache)
    p = subprocess.run([TEST], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("realtime.py: the test failed:\n" + p.stdout + p.stderr)
    out = {}
    for m in LINE.finditer(p.stdout):
        out[m.group(1)] = dict(before=int(m.group(2)), during=int(m.group(3)),
                               fifo=bool(m.group(4)), worst=(float(m.group(5)), float(m.group(6))),
                               p999=(float(m.group(7)), float(m.group(8))))
    if set(out) != {"lazy", "tiered"}:
        sys.exit("realtime.py: unexpected output:\n" + p.stdout)
    return out


first = run(200)
base = max(first["lazy"]["during"], first["tiered"]["during"])
runs = [run(base) for _ in range(RUNS)]
for mode in ("lazy", "tiered"):
    rs = [r[mode] for r in runs]
    med = lambda f: statistics.median(f(r) for r in rs)
    wb, wd = med(lambda r: r["worst"][0]), med(lambda r: r["worst"][1])
    pb, pd = med(lambda r: r["p999"][0]), med(lambda r: r["p999"][1])
    print("%s%s: %s reloads, %d callbacks before and %d during; worst %.0f us before, %.0f us "
          "during (%.2fx); 99.9th percentile %.1f us before, %.1f us during (%.2fx)"
          % (mode, " (SCHED_FIFO)" if rs[0]["fifo"] else "", RELOADS, med(lambda r: r["before"]),
             med(lambda r: r["during"]), wb, wd, wd / wb if wb else 0, pb, pd,
             pd / pb if pb else 0))
