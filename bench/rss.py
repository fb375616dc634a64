#!/usr/bin/env python3
"""Memory over many top-level expressions: does kjit's RSS stay flat?

Generates a program of N top-level expressions (each compiled, run and freed
by kjit), runs it, and samples the process's resident set size (VmRSS from
/proc/PID/status) every 0.2 s.  Progress is read from the program's own
output: every expression prints one line, counted as they arrive.  Reports
RSS at 10 % (after warm-up), 50 % and 100 % of the expressions, and the
growth from 10 % to the end.  The program's output is checked: every value
must be the one Python computes.

usage: bench/rss.py [KJIT] [N]      (defaults: build/kjit, 100000)
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

kjit = sys.argv[1] if len(sys.argv) > 1 else "build/kjit"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000

lines = ["def f(x) x*2+1;"]
expect = []
for i in range(n):
    lines.append(f"f({i}) + {i % 97}.5;")
    expect.append(i * 2 + 1 + (i % 97) + 0.5)
src = tempfile.NamedTemporaryFile("w", suffix=".ks", delete=False)
src.write("\n".join(lines) + "\n")
src.close()

proc = subprocess.Popen([kjit, src.name], stdout=subprocess.PIPE, text=True)
done = 0
samples = []  # (expressions done, rss kB)


def sample():
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        samples.append((done, int(line.split()[1])))
        except OSError:
            break
        time.sleep(0.2)


t = threading.Thread(target=sample)
t.start()
bad = 0
for line in proc.stdout:
    if float(line) != expect[done]:
        bad += 1
    done += 1
proc.wait()
t.join()
os.unlink(src.name)
if bad or done != n or proc.returncode != 0:
    sys.exit(f"rss.py: output check failed: {done}/{n} lines, {bad} wrong, exit {proc.returncode}")


def rss_at(frac):
    target = frac * n
    best = min(samples, key=lambda s: abs(s[0] - target))
    return best[1]


r10, r50, r100 = rss_at(0.1), rss_at(0.5), max(s[1] for s in samples if s[0] >= 0.1 * n)
print(f"expressions: {n}, output checked")
print(f"RSS after 10%: {r10} kB, at 50%: {r50} kB, max after warm-up: {r100} kB")
print(f"growth after warm-up: {100.0 * (r100 - r10) / r10:+.1f}%")
