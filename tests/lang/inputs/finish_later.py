"""finish_later.py KJIT CACHEDIR BITCODE HOT: run the program once with the
cache in CACHEDIR and KJIT_CACHE_FINISH unset, as a user would, and print
its exit status and output (it must come back without waiting for the kjit
--cache-finish it starts: that one's streams are not the run's).  Then
wait, at most 120 s, for that helper to have done its work: until a run
(with KJIT_CACHE_FINISH=0, while no helper of CACHEDIR is running: it may
not have started yet, at the lowest priority on a busy machine) starts HOT
functions at T2; print that run's --stats=json line, or the last one."""
import os
import re
import subprocess
import sys
import time

kjit, cache, bc, hot = sys.argv[1:5]
env = {k: v for k, v in os.environ.items() if k != "KJIT_CACHE_FINISH"}
env["KJIT_CACHE"] = "on"
p = subprocess.run([kjit, "--cache-dir=" + cache, bc], env=env, capture_output=True, text=True,
                   timeout=60)
print("exit", p.returncode, "output", p.stdout.strip())


def helper_running():
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return any("--cache-finish" in l and cache in l for l in out.splitlines())


env["KJIT_CACHE_FINISH"] = "0"
last, deadline = "", time.time() + 120
while time.time() < deadline:
    if helper_running():
        time.sleep(0.1)
        continue
    r = subprocess.run([kjit, "--cache-dir=" + cache, "--stats=json", bc], env=env,
                       capture_output=True, text=True, timeout=60)
    last = ([l for l in r.stderr.splitlines() if l.startswith("{")] or [""])[-1]
    if re.search(r'"cache_hot":%s,' % hot, last):
        break
    time.sleep(0.2)
print(last)
