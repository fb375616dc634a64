#!/usr/bin/env python3
"""sigint_driver.py SECONDS CMD... -- run CMD, send it SIGINT after SECONDS,
and print what it wrote (stdout, then stderr) and 'exit: N' (N its status;
128+signal if a signal killed it).  Exits 0; 124 if CMD is still running 20
seconds after the SIGINT."""
import signal
import subprocess
import sys
import time

delay, cmd = float(sys.argv[1]), sys.argv[2:]
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(delay)
p.send_signal(signal.SIGINT)
try:
    out, err = p.communicate(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    print("sigint_driver: still running 20 s after SIGINT", file=sys.stderr)
    sys.exit(124)
sys.stdout.write(out.decode(errors="replace"))
sys.stdout.write(err.decode(errors="replace"))
print("exit: %d" % (p.returncode if p.returncode >= 0 else 128 - p.returncode))
