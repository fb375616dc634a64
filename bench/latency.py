#!/usr/bin/env python3
"""latency.py [KJIT] [EDITS]: edit-to-running latency of `kjit --watch`
(issue L): from the moment an edited source is in place (renamed over the
old one, as editors save) to the moment the running program's output shows
the new code ran (read here from its stdout pipe).  Medians over EDITS
edits (default 5), each edit a new return value of one function.

  1. a 100-line C file: value() called in main's loop every 0.1 ms;
  2. Lua 5.4 built from its separate files (../shared/lua, 33 sources):
     lmathlib.c's math_abs edited while a Lua script calls math.abs(-1) in
     a loop (skipped with a message where ../shared/lua is absent).

Also the Lua program's first start (clang on every source, a clang per
core) and its second (nothing edited since: the bitcode from the code
cache, here a directory of the run's own).  Also prints each reload's own figure (kjit's "reloaded ... (N ms)": read,
compare, compile the changed function, swap) and the compile by clang.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KJIT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "kjit"))
EDITS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
LUA = os.path.join(HERE, "..", "..", "shared", "lua")


def c_program(value):
    lines = ["#include <stdio.h>", "#include <unistd.h>", ""]
    for i in range(40):  # padding functions: a 100-line file
        lines.append("static int pad%d(int x) { return x * %d + %d; }" % (i, i + 1, i))
    lines.append("int pads(int x) {")
    lines.append("    int s = 0;")
    for i in range(40):
        lines.append("    s += pad%d(x);" % i) if i % 2 == 0 else None
    lines.append("    return s;")
    lines.append("}")
    lines.append("static int value(void) { return %d; }" % value)
    lines.append("int main(void) {")
    lines.append("    int last = -1;")
    lines.append("    for (;;) {")
    lines.append("        int v = value();")
    lines.append("        if (v != last) { printf(\"value %d\\n\", v); fflush(stdout); last = v; }")
    lines.append("        usleep(100);")
    lines.append("    }")
    lines.append("}")
    while len(lines) < 100:
        lines.append("/* padding */")
    return "\n".join(lines) + "\n"


class Runner:
    """A watched program; lines of its stdout with their arrival times."""

    def __init__(self, argv, cwd, env=None):
        self.p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1, env=env)
        self.lines = []
        self.err = []
        self.cv = threading.Condition()
        threading.Thread(target=self.read, args=(self.p.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self.read, args=(self.p.stderr, self.err), daemon=True).start()

    def read(self, f, into):
        for line in f:
            t = time.monotonic()
            with self.cv:
                into.append((t, line.rstrip("\n")))
                self.cv.notify_all()

    def wait(self, into, pred, timeout=60):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for t, l in into:
                    if pred(l):
                        return t
                left = end - time.monotonic()
                if left <= 0:
                    raise SystemExit("latency.py: timed out; stderr:\n" +
                                     "\n".join(l for _, l in self.err[-20:]))
                self.cv.wait(left)

    def stop(self):
        self.p.kill()
        self.p.wait()


def place(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    t = time.monotonic()
    os.replace(tmp, path)
    return t


def reload_ms(err, n):
    ms = [float(m.group(1)) for _, l in err
          for m in [re.search(r"reloaded .*\(([0-9.]+) ms\)", l)] if m]
    return ms[-n:]


def c_file(d):
    src = os.path.join(d, "edit.c")
    with open(src, "w") as f:
        f.write(c_program(0))
    r = Runner([KJIT, "--watch", "edit.c"], d,
               dict(os.environ, KJIT_CACHE="on", KJIT_CACHE_DIR=os.path.join(d, "cache")))
    r.wait(r.lines, lambda l: l == "value 0")
    lat = []
    for k in range(1, EDITS + 1):
        time.sleep(0.3)
        t = place(src, c_program(k))
        lat.append((r.wait(r.lines, lambda l, k=k: l == "value %d" % k) - t) * 1e3)
    r.stop()
    return lat, reload_ms(r.err, EDITS)


def lua(d):
    if not os.path.isdir(LUA):
        print("lua: skipped: %s is absent" % LUA)
        return None
    srcs = sorted(f for f in os.listdir(LUA)
                  if f.endswith(".c") and f not in ("onelua.c", "luac.c", "ltests.c"))
    for f in os.listdir(LUA):
        if f.endswith(".c") or f.endswith(".h"):
            with open(os.path.join(LUA, f), "rb") as a, open(os.path.join(d, f), "wb") as b:
                b.write(a.read())
    orig = open(os.path.join(d, "lmathlib.c")).read()
    needle = "    lua_pushinteger(L, n);\n  }\n  else\n    lua_pushnumber(L, l_mathop(fabs)"
    if needle not in orig:
        print("lua: skipped: math_abs is not as expected")
        return None
    with open(os.path.join(d, "loop.lua"), "w") as f:
        f.write("local last\nwhile true do\n  local v = math.abs(-1)\n"
                "  if v ~= last then io.write('abs ', v, '\\n'); io.flush(); last = v end\nend\n")
    env = dict(os.environ, KJIT_CACHE="on", KJIT_CACHE_DIR=os.path.join(d, "cache"))
    argv = [KJIT, "--watch", "-DLUA_USE_LINUX"] + srcs + ["--", "loop.lua"]
    t0 = time.monotonic()
    r = Runner(argv, d, env)
    r.wait(r.lines, lambda l: l == "abs 1")
    start = (time.monotonic() - t0) * 1e3
    lat = []
    for k in range(2, EDITS + 2):
        time.sleep(0.3)
        text = orig.replace(needle, needle.replace("lua_pushinteger(L, n);",
                                                   "lua_pushinteger(L, n * %d);" % k))
        t = place(os.path.join(d, "lmathlib.c"), text)
        lat.append((r.wait(r.lines, lambda l, k=k: l == "abs %d" % k) - t) * 1e3)
    r.stop()
    rl = reload_ms(r.err, EDITS)
    # Started again, nothing edited since: the bitcode comes from the cache.
    t0 = time.monotonic()
    r = Runner(argv, d, env)
    r.wait(r.lines, lambda l: l == "abs %d" % (EDITS + 1))
    again = (time.monotonic() - t0) * 1e3
    r.stop()
    return lat, rl, start, again, len(srcs)


def fmt(v):
    return "median %.1f ms (min %.1f, max %.1f)" % (statistics.median(v), min(v), max(v))


with tempfile.TemporaryDirectory() as d:
    lat, rl = c_file(d)
    print("100-line C file: edit to running: %s; kjit's reload: %s" % (fmt(lat), fmt(rl)))
with tempfile.TemporaryDirectory() as d:
    res = lua(d)
    if res:
        lat, rl, start, again, n = res
        print("Lua, %d sources (lmathlib.c edited): edit to running: %s; kjit's reload: %s; "
              "first start (clang on every source): %.0f ms; second start (their bitcode from "
              "the cache): %.0f ms" % (n, fmt(lat), fmt(rl), start, again))
