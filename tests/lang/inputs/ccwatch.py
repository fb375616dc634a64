#!/usr/bin/env python3
"""ccwatch.py "KJIT..." DIR STEP...: a C program under `kjit --watch prog.c`,
edited while it runs.

The program (written here into DIR with its header val.h) calls value() and
offset() in main's loop until the file DIR/go exists, printing "value N"
(value() + offset()) each time it changes.  At -O2 clang would inline both
into main, which never returns.  Each STEP edits a file and waits for what
it must lead to:
  value=N    prog.c's value() returns N; wait for "value N+offset" on stdout
  offset=N   val.h's OFFSET is N (prog.c includes it); wait for the value
  error      a syntax error in prog.c; wait for "did not compile" on stderr
  delete     prog.c removed; wait for the warning on stderr
  main       main's own body changed (its pause); wait for the warning that
             the running main will not see it
Then DIR/go is made, and the program's stdout and "exit: N" go to DIR/out,
its stderr to DIR/err.  A wait gives up after 20 s (the check then fails).
"""
import os
import shlex
import subprocess
import sys
import time

kjit, d, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(d, exist_ok=True)
for f in ("go", "out", "err"):
    if os.path.exists(os.path.join(d, f)):
        os.remove(os.path.join(d, f))
PROG = """#include <stdio.h>
#include <unistd.h>
#include "val.h"
static int value(void) { return %d; }
static int offset(void) { return OFFSET; }
int main(int argc, char **argv) {
    int last = -1;
    for (;;) {
        int v = value() + offset();
        if (v != last) { printf("value %%d\\n", v); fflush(stdout); last = v; }
        if (access(argv[1], F_OK) == 0) break;
        usleep(%d);
    }
    printf("last %%d\\n", last);
    return 0;
}
"""
state = {"value": 1, "offset": 0, "pause": 1000}


def write(name, text):
    tmp = os.path.join(d, name + ".new")  # written whole, then renamed in
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(d, name))


def wait_for(name, text):
    end = time.time() + 20
    while time.time() < end:
        try:
            with open(os.path.join(d, name)) as f:
                if text in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


write("prog.c", PROG % (state["value"], state["pause"]))
write("val.h", "#define OFFSET %d\n" % state["offset"])
out = open(os.path.join(d, "out"), "w")
err = open(os.path.join(d, "err"), "w")
p = subprocess.Popen(shlex.split(kjit) + ["--watch", "prog.c", "--", os.path.join(d, "go")],
                     cwd=d, stdout=out, stderr=err)
wait_for("out", "value 1\n")
for s in steps:
    if s.startswith("value="):
        state["value"] = int(s[6:])
        write("prog.c", PROG % (state["value"], state["pause"]))
        wait_for("out", "value %d\n" % (state["value"] + state["offset"]))
    elif s.startswith("offset="):
        state["offset"] = int(s[7:])
        write("val.h", "#define OFFSET %d\n" % state["offset"])
        wait_for("out", "value %d\n" % (state["value"] + state["offset"]))
    elif s == "error":
        write("prog.c", (PROG % (state["value"], state["pause"])).replace("return 0;", "return 0"))
        wait_for("err", "did not compile")
    elif s == "main":
        state["pause"] -= 1
        write("prog.c", PROG % (state["value"], state["pause"]))
        wait_for("err", "main() changed")
    elif s == "delete":
        os.remove(os.path.join(d, "prog.c"))
        wait_for("err", "deleted or renamed")
    else:
        sys.exit("ccwatch.py: unknown step " + s)
open(os.path.join(d, "go"), "w").close()
rc = p.wait()
out.close()
with open(os.path.join(d, "out"), "a") as f:
    f.write("exit: %d\n" % rc)
