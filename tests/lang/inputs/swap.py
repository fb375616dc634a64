#!/usr/bin/env python3
"""swap.py "KJIT..." DIR FILE NEW TEXT: run DIR/FILE under kjit --watch with
the argument DIR/go, once it has printed a line put DIR/NEW in FILE's
place, wait (20 s at most) for TEXT on its stderr, then make DIR/go (the
program ends when it exists).  Its stdout goes to DIR/out, stderr to
DIR/err."""
import os
import shlex
import subprocess
import sys
import time

kjit, d, name, new, text = sys.argv[1:6]
go = os.path.join(d, "go")
if os.path.exists(go):
    os.remove(go)
out = open(os.path.join(d, "out"), "w")
err = open(os.path.join(d, "err"), "w")
p = subprocess.Popen(shlex.split(kjit) + ["--watch", os.path.join(d, name), "--", go],
                     stdout=out, stderr=err)


def wait_for(path, what):
    end = time.time() + 20
    while time.time() < end:
        with open(path) as f:
            if what in f.read():
                return
        time.sleep(0.02)


wait_for(os.path.join(d, "out"), "\n")
os.replace(os.path.join(d, new), os.path.join(d, name))
wait_for(os.path.join(d, "err"), text)
open(go, "w").close()
sys.exit(p.wait())
