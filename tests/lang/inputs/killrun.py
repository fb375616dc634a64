#!/usr/bin/env python3
"""killrun.py SIG "COMMAND...": run COMMAND, wait for its first line of
output, send it SIG (TERM, HUP, ...), and print that line and how it ended
("status: -N" when the signal N ended it, as Python reports)."""
import shlex
import signal
import subprocess
import sys

sig = getattr(signal, "SIG" + sys.argv[1])
p = subprocess.Popen(shlex.split(sys.argv[2]), stdout=subprocess.PIPE, text=True)
line = p.stdout.readline()
p.send_signal(sig)
rc = p.wait()
print("first line:", line.strip())
print("status:", rc, "signal" if rc == -sig else "")
