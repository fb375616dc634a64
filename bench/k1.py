#!/usr/bin/env python3
"""First runs of C programs (issue K1): kjit against lli-19 and native code.

    bench/k1.py KJIT [RUNS] [--only=corpus,hello,lua,sql] [--variant NAME=ARGS ...]
                [--timeout=SECONDS]

Every program is clang-19 -O2 bitcode for kjit and lli-19, and the same
source built natively with clang-19 -O2:

  corpus  the programs of ../shared/corpus-c (tests/corpus/corpus.py's flags,
          reference outputs and tolerances); per program and their sum;
  hello   hello world;
  lua     ../shared/lua/onelua.c (-DLUA_USE_LINUX) running fib.lua;
  sql     SQLite's amalgamation (sqlite3.c of the npm package better-sqlite3,
          fetched with `npm pack` into the cache directory, never into the
          repository) with bench/sql/driver.c.

Runners: the native binary; lli-19 --jit-kind=mcjit, orc and orc-lazy ("lli"
is the fastest valid one of the three for each program, as the issue
defines it); and each kjit variant, by default one, "kjit", with no extra
arguments.  `--variant fast="--t1=fast"` adds one: its words (shlex) go before
the program file, except NAME=VALUE words with an upper-case NAME, which go
to its environment (`--variant noahead="KJIT_AHEAD=0"`); KJIT_BINARY=PATH
runs another build instead (`--variant before="KJIT_BINARY=old/kjit"`).  Every kjit run has
KJIT_CACHE=off and --stats=json: the median of wait_us as a share of the
run's wall time, and of compiled and compiled_ahead where the binary
reports them.

Rounds are interleaved (for each round, each program, each runner), so that
changes of load hit all alike.  In the first round every runner's stdout
and exit status is compared with the native binary's (corpus programs: with
the program's FP tolerance; the native output is also checked against the
reference); a mismatch, crash or timeout is reported loudly and marks that
runner's figure for that program invalid (it is not run again).  Figures
are medians of whole-process wall time (and user+sys CPU of the child) over
RUNS rounds (default 3).

Built programs are kept in $XDG_CACHE_HOME/kjit-bench (else
~/.cache/kjit-bench), keyed by the source's path and version and by the
clang version: compiling sqlite3.c takes about 20 s.
"""
import glob
import hashlib
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
import corpus  # noqa: E402

SECTIONS = ["corpus", "hello", "lua", "sql"]
LLI_KINDS = ["mcjit", "orc", "orc-lazy"]
SQL_FLAGS = ["-O2", "-w", "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION"]
LUA_FLAGS = ["-O2", "-w", "-DLUA_USE_LINUX"]
ENV_WORD = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def usage(msg):
    sys.exit("k1.py: %s\nusage: %s" % (msg, __doc__.split("\n")[2].strip()))


def parse_args(argv):
    pos, only, variants, timeout = [], SECTIONS, [("kjit", [], {})], 300.0
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--only", "--variant", "--timeout"):
            if i + 1 >= len(argv):
                usage("%s wants a value" % a)
            a, i = a + "=" + argv[i + 1], i + 1
        if a.startswith("--only="):
            only = [s for s in a[len("--only="):].split(",") if s]
            bad = [s for s in only if s not in SECTIONS]
            if bad or not only:
                usage("--only: unknown section %s (of %s)" % (",".join(bad), ",".join(SECTIONS)))
        elif a.startswith("--variant="):
            name, eq, spec = a[len("--variant="):].partition("=")
            if not name or not eq:
                usage("--variant wants NAME=ARGS")
            args, env = [], {}
            for w in shlex.split(spec):
                if ENV_WORD.match(w):
                    k, _, v = w.partition("=")
                    env[k] = v
                else:
                    args.append(w)
            variants = [v for v in variants if v[0] != name] + [(name, args, env)]
        elif a.startswith("--timeout="):
            timeout = float(a[len("--timeout="):])
        elif a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        elif a.startswith("--"):
            usage("unknown option %s" % a)
        else:
            pos.append(a)
        i += 1
    if not pos or len(pos) > 2:
        usage("KJIT is required")
    kjit = os.path.abspath(pos[0])
    if not os.access(kjit, os.X_OK):
        usage("%s is not an executable" % kjit)
    runs = int(pos[1]) if len(pos) > 1 else 3
    return kjit, runs, only, variants, timeout


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit("k1.py: failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    return p.stdout


def parallel(cmds):
    """Run build commands two at a time (the machine has two cores)."""
    procs = []
    for cmd in cmds:
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True)))
    for cmd, p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            sys.exit("k1.py: failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), err[-2000:]))


def key(*parts):
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.path.join(os.path.expanduser("~"), ".cache") if os.path.expanduser("~") != "~"
        else tempfile.gettempdir())
    d = os.path.join(base, "kjit-bench")
    os.makedirs(d, exist_ok=True)
    return d


CLANG = None


def clang_version():
    global CLANG
    if CLANG is None:
        CLANG = sh(["clang-19", "--version"]).splitlines()[0]
    return CLANG


def cached_build(cache, prefix, k, make):
    """cache/prefix-k holding what make(tmpdir) built; made once."""
    out = os.path.join(cache, "%s-%s" % (prefix, k))
    if not os.path.isdir(out):
        tmp = tempfile.mkdtemp(prefix=prefix + "-", dir=cache)
        try:
            make(tmp)
            os.rename(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- the programs ----------------------------------------------------------

def prog(section, name, bc, exe, args=(), tol=0.0, ref=None):
    return {"section": section, "name": name, "bc": bc, "exe": exe, "args": list(args),
            "tol": tol, "ref": ref}


def corpus_programs(cache):
    cdir = os.path.join(SHARED, "corpus-c")
    if not os.path.isdir(cdir):
        print("corpus: skipped: %s is absent" % cdir)
        return []
    work = os.path.join(cache, "corpus-" + key(clang_version()))
    os.makedirs(work, exist_ok=True)
    out = []
    names = corpus.programs(cdir)
    say("corpus: building %d programs (cached in %s)" % (len(names), work))
    for name in names:
        bc = corpus.build(cdir, work, name, "O2")
        exe = corpus.build(cdir, work, name, "O2", native=True)
        _, ref = corpus.flags(cdir, name)
        out.append(prog("corpus", name, bc, exe, tol=corpus.tolerance(name), ref=ref))
    return out


def hello_program(tmp):
    src = os.path.join(tmp, "hello.c")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n')
    bc, exe = os.path.join(tmp, "hello.bc"), os.path.join(tmp, "hello")
    sh(["clang-19", "-O2", "-emit-llvm", "-c", src, "-o", bc])
    sh(["clang-19", "-O2", src, "-o", exe])
    return [prog("hello", "hello world", bc, exe)]


def lua_program(cache):
    ldir = os.path.join(SHARED, "lua")
    src, fib = os.path.join(ldir, "onelua.c"), os.path.join(ldir, "fib.lua")
    if not (os.path.exists(src) and os.path.exists(fib)):
        print("lua: skipped: %s or fib.lua is absent" % src)
        return []
    stamp = max(os.path.getmtime(f) for f in glob.glob(os.path.join(ldir, "*.[ch]")))
    k = key(os.path.abspath(src), str(stamp), clang_version(), " ".join(LUA_FLAGS))

    def make(d):
        say("lua: building onelua.c (bitcode and native)")
        parallel([["clang-19"] + LUA_FLAGS + ["-emit-llvm", "-c", src, "-o",
                                              os.path.join(d, "lua.bc")],
                  ["clang-19"] + LUA_FLAGS + [src, "-o", os.path.join(d, "lua"), "-lm"]])
    d = cached_build(cache, "lua", k, make)
    return [prog("lua", "lua fib.lua", os.path.join(d, "lua.bc"), os.path.join(d, "lua"),
                 args=[fib])]


def sqlite_sources(cache):
    """Directory with sqlite3.c and sqlite3.h from better-sqlite3; fetched once."""
    have = glob.glob(os.path.join(cache, "better-sqlite3-*", "sqlite3.c"))
    if have:
        def ver(p):
            v = os.path.basename(os.path.dirname(p))[len("better-sqlite3-"):]
            return [int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", v)]
        return os.path.dirname(max(have, key=ver))
    if not shutil.which("npm"):
        print("sql: skipped: no sqlite3.c in %s and no npm to fetch it" % cache)
        return None
    tmp = tempfile.mkdtemp(prefix="npm-", dir=cache)
    try:
        say("sql: npm pack better-sqlite3 (into %s)" % cache)
        p = subprocess.run(["npm", "pack", "better-sqlite3"], cwd=tmp, capture_output=True,
                           text=True, timeout=600)
        tgz = p.stdout.strip().splitlines()[-1].strip() if p.stdout.strip() else ""
        if p.returncode != 0 or not tgz.endswith(".tgz"):
            print("sql: skipped: npm pack better-sqlite3 failed:\n" + p.stderr[-1000:])
            return None
        version = tgz[:-len(".tgz")]
        out = os.path.join(tmp, version)
        os.makedirs(out)
        with tarfile.open(os.path.join(tmp, tgz)) as t:
            for n in ("sqlite3.c", "sqlite3.h"):
                m = t.extractfile("package/deps/sqlite3/" + n)
                with open(os.path.join(out, n), "wb") as f:
                    shutil.copyfileobj(m, f)
        dest = os.path.join(cache, version)
        os.rename(out, dest)
        return dest
    except (KeyError, subprocess.TimeoutExpired, OSError) as e:
        print("sql: skipped: could not fetch sqlite3.c: %s" % e)
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sql_program(cache):
    src = sqlite_sources(cache)
    if not src:
        return []
    driver = os.path.join(HERE, "sql", "driver.c")
    with open(os.path.join(src, "sqlite3.h")) as f:
        m = re.search(r'#define SQLITE_VERSION\s+"([^"]+)"', f.read())
    version = m.group(1) if m else "?"
    with open(driver, "rb") as f:
        dhash = hashlib.sha256(f.read()).hexdigest()
    k = key(version, os.path.abspath(src), clang_version(), " ".join(SQL_FLAGS), dhash)
    fl = SQL_FLAGS + ["-I", src]

    def make(d):
        say("sql: building SQLite %s and the driver (bitcode and native, about a minute)"
            % version)
        o = lambda n: os.path.join(d, n)  # noqa: E731
        sq = os.path.join(src, "sqlite3.c")
        parallel([["clang-19"] + fl + ["-emit-llvm", "-c", sq, "-o", o("sqlite3.bc")],
                  ["clang-19"] + fl + ["-c", sq, "-o", o("sqlite3.o")]])
        parallel([["clang-19"] + fl + ["-emit-llvm", "-c", driver, "-o", o("driver.bc")],
                  ["clang-19"] + fl + ["-c", driver, "-o", o("driver.o")]])
        sh(["llvm-link-19", o("sqlite3.bc"), o("driver.bc"), "-o", o("sql.bc")])
        sh(["clang-19", o("sqlite3.o"), o("driver.o"), "-o", o("sql"), "-lm"])
        for n in ("sqlite3.bc", "driver.bc", "sqlite3.o", "driver.o"):
            os.remove(o(n))
    d = cached_build(cache, "sql", k, make)
    return [prog("sql", "sql (SQLite %s)" % version, os.path.join(d, "sql.bc"),
                 os.path.join(d, "sql"))]


# --- running ---------------------------------------------------------------

def timed(cmd, env, timeout):
    """wall s, user+sys s of the child, stdout, stderr, exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = e.stdout or b"", e.stderr or b"", "timeout"
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), rc


def runners(kjit, variants):
    """(name, kind, command of a program, environment)"""
    base = dict(os.environ)
    rs = [("native", "native", lambda p: [p["exe"]] + p["args"], base)]
    for k in LLI_KINDS:
        rs.append(("lli " + k, "lli",
                   lambda p, k=k: ["lli-19", "--jit-kind=" + k, p["bc"]] + p["args"], base))
    for name, args, env in variants:
        env = dict(env)
        exe = env.pop("KJIT_BINARY", kjit)  # another build: --variant before="KJIT_BINARY=..."
        rs.append((name, "kjit",
                   lambda p, a=args, x=exe: [x] + a + ["--stats=json", p["bc"]] +
                   (["--"] + p["args"] if p["args"] else []),
                   dict(base, KJIT_CACHE="off", **env)))
    return rs


def stats_of(err):
    for line in reversed(err.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def first_difference(got, want):
    a, b = got.splitlines(), want.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "line %d: %r, native %r" % (i + 1, x[:80], y[:80])
    return "%d lines, native %d" % (len(a), len(b))


def check(p, rname, out, rc, want, want_rc):
    """None if the output agrees with the native run's, else why not."""
    if rc == "timeout":
        return "timed out (--timeout, default 300 s)"
    if rc != want_rc:
        return "exit status %s (native %s)" % (rc, want_rc)
    if out == want:
        return None
    if p["tol"] and corpus.same(out, want, p["tol"]):
        return None
    return "stdout differs: " + first_difference(out, want)


def measure(progs, rs, runs, timeout):
    res = {(p["name"], r[0]): {"wall": [], "cpu": [], "wait": [], "compiled": [], "ahead": [],
                               "invalid": None, "note": None}
           for p in progs for r in rs}
    problems = []
    native = {}
    for rnd in range(runs):
        for p in progs:
            for rname, kind, cmd, env in rs:
                e = res[(p["name"], rname)]
                if e["invalid"]:
                    continue
                wall, cpu, out, err, rc = timed(cmd(p), env, timeout)
                if rnd == 0:
                    if kind == "native":
                        native[p["name"]] = (out, rc)
                        if p["ref"]:
                            with open(p["ref"]) as f:
                                ref = f.read()
                            got = out + err
                            got = (got if not got or got.endswith("\n") else got + "\n")
                            if not corpus.same(got + "exit %s\n" % rc, ref, p["tol"]):
                                msg = "native output differs from %s" % os.path.basename(p["ref"])
                                problems.append((p["name"], rname, msg))
                                say("*** %s: %s" % (p["name"], msg))
                        if rc != 0:
                            msg = "native exit status %s" % rc
                            problems.append((p["name"], rname, msg))
                            say("*** %s: %s" % (p["name"], msg))
                    else:
                        want, want_rc = native[p["name"]]
                        why = check(p, rname, out, rc, want, want_rc)
                        if why:
                            e["invalid"] = why
                            problems.append((p["name"], rname, why))
                            tail = "\n    ".join([x[:160] for x in err.strip().splitlines()
                                                if not x.startswith("{")][:3])
                            say("*** MISMATCH %s under %s: %s%s" % (
                                p["name"], rname, why, "\n    stderr: " + tail if tail else ""))
                            continue
                        if out != want:
                            e["note"] = "within tolerance"
                elif kind != "native" and rc != native[p["name"]][1]:
                    # Later rounds: a crash or a timeout still invalidates.
                    why = "round %d: %s" % (rnd + 1, "timed out" if rc == "timeout" else
                                            "exit status %s (native %s)"
                                            % (rc, native[p["name"]][1]))
                    e["invalid"] = why
                    problems.append((p["name"], rname, why))
                    say("*** MISMATCH %s under %s: %s" % (p["name"], rname, why))
                    continue
                e["wall"].append(wall)
                e["cpu"].append(cpu)
                if kind == "kjit":
                    st = stats_of(err)
                    if st:
                        if "wait_us" in st:
                            e["wait"].append(st["wait_us"] / 1e6 / wall)
                        if "compiled" in st:
                            e["compiled"].append(st["compiled"])
                        if "compiled_ahead" in st:
                            e["ahead"].append(st["compiled_ahead"])
                say("round %d/%d  %-28s %-10s %8.3f s wall %8.3f s cpu"
                    % (rnd + 1, runs, p["name"][:28], rname, wall, cpu))
    return res, problems


# --- the report ------------------------------------------------------------

def med(v):
    return statistics.median(v) if v else None


def fig(res, p, r, what="wall"):
    e = res[(p["name"], r)]
    return None if e["invalid"] else med(e[what])


def lli_best(res, p, what="wall"):
    """(seconds, kind) of the fastest valid lli kind, by wall time."""
    best = None
    for k in LLI_KINDS:
        w = fig(res, p, "lli " + k)
        if w is not None and (best is None or w < best[0]):
            best = (w, k)
    if best is None:
        return None, None
    return fig(res, p, "lli " + best[1], what), best[1]


def s(x):
    if x is None:
        return "invalid"
    return "%.2f" % x if x >= 10 else "%.3f" % x if x >= 0.1 else "%.4f" % x


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "n/a"


def table(section, progs, res, variants, what, runs):
    names = [v[0] for v in variants]
    label = "wall" if what == "wall" else "user+sys CPU"
    print()
    print("### %s: %s s, median of %d" % (section, label, runs))
    print()
    head = ["program", "native s", "mcjit s", "orc s", "orc-lazy s", "lli s (kind)"]
    for n in names:
        head += ["%s s" % n, "%s/lli" % n, "%s/native" % n]
        if what == "wall":
            head += ["%s wait %% of run" % n, "%s compiled (ahead)" % n]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    sums = {"native": 0.0, "lli": 0.0, "wait": {n: 0.0 for n in names}}
    sums.update({"lli " + k: 0.0 for k in LLI_KINDS})
    sums.update({n: 0.0 for n in names})
    for p in progs:
        nat = fig(res, p, "native", what)
        lli, kind = lli_best(res, p, what)
        row = [p["name"], s(nat)] + [s(fig(res, p, "lli " + k, what)) for k in LLI_KINDS]
        row.append("%s (%s)" % (s(lli), kind) if lli is not None else "invalid")
        for key_, v in [("native", nat), ("lli", lli)] + [("lli " + k, fig(res, p, "lli " + k, what))
                                                        for k in LLI_KINDS]:
            sums[key_] = None if v is None or sums[key_] is None else sums[key_] + v
        for n in names:
            e = res[(p["name"], n)]
            t = fig(res, p, n, what)
            sums[n] = None if t is None or sums[n] is None else sums[n] + t
            row += [s(t) + (" (tol)" if e["note"] and t is not None else ""),
                    ratio(t, lli), ratio(t, nat)]
            if what == "wall":
                w = med(e["wait"])
                if w is not None and t is not None and sums["wait"][n] is not None:
                    sums["wait"][n] += w * t
                else:
                    sums["wait"][n] = None
                c, a = med(e["compiled"]), med(e["ahead"])
                row += ["%.1f %%" % (w * 100) if w is not None and t is not None else "n/a",
                        ("%d (%s)" % (c, "%d" % a if a is not None else "n/a"))
                        if c is not None and t is not None else "n/a"]
        print("| " + " | ".join(row) + " |")
    if len(progs) > 1:
        row = ["**sum (%d programs)**" % len(progs), s(sums["native"])]
        row += [s(sums["lli " + k]) for k in LLI_KINDS]
        row.append("%s (fastest each)" % s(sums["lli"]))
        for n in names:
            row += [s(sums[n]), ratio(sums[n], sums["lli"]), ratio(sums[n], sums["native"])]
            if what == "wall":
                w = sums["wait"][n]
                row += ["%.1f %%" % (100 * w / sums[n]) if w is not None and sums[n] else "n/a", ""]
        print("| " + " | ".join(row) + " |")
    return sums


def goal(text, value, limit, percent=False):
    if value is None:
        shown, verdict = "n/a", "NOT met (invalid or not measured)"
    else:
        shown = "%.1f %%" % (value * 100) if percent else "%.2fx" % value
        verdict = "met" if value <= limit else "NOT met"
    print("- %s: %s: **%s**" % (text, shown, verdict))


def summary(by_section, res, variants):
    print()
    print("### the figures of issue K1")
    for n, _, _ in variants:
        print()
        print("%s:" % n)
        if "corpus" in by_section:
            progs, sums = by_section["corpus"]
            g = lambda a, b: a / b if a is not None and b else None  # noqa: E731
            goal("corpus sum <= 0.85x lli", g(sums[n], sums["lli"]), 0.85)
            goal("corpus sum <= 1.25x native", g(sums[n], sums["native"]), 1.25)
            above, bad = [], []
            for p in progs:
                t, (lli, _) = fig(res, p, n), lli_best(res, p)
                if t is None or lli is None:
                    bad.append(p["name"])
                elif t / lli > 1.0:
                    above.append("%s %.2fx" % (p["name"], t / lli))
            verdict = "met" if not above and not bad else "NOT met"
            print("- no corpus program above 1.0x lli: %s: **%s**" % (
                ", ".join(above + ["%s invalid" % b for b in bad]) or "none above", verdict))
        for sec, text, base, limit in (("sql", "SQL <= 0.1x lli", "lli", 0.1),
                                       ("lua", "Lua <= 2x native", "native", 2.0),
                                       ("hello", "hello <= 0.75x lli", "lli", 0.75)):
            if sec in by_section:
                p = by_section[sec][0][0]
                t = fig(res, p, n)
                b = lli_best(res, p)[0] if base == "lli" else fig(res, p, "native")
                goal(text, t / b if t is not None and b else None, limit)
        if "sql" in by_section:
            p = by_section["sql"][0][0]
            e = res[(p["name"], n)]
            goal("wait_us <= 25% of the SQL run", None if e["invalid"] else med(e["wait"]), 0.25,
                 percent=True)


def main():
    kjit, runs, only, variants, timeout = parse_args(sys.argv[1:])
    # A kjit binary copied out of its build tree finds no libkjit-llvm.so
    # beside it and loads libLLVM.so: hello world 0.88x lli against 0.48x.
    if not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(kjit)), "libkjit-llvm.so")):
        print("k1.py: note: no libkjit-llvm.so beside %s: it loads libLLVM.so "
              "(a slower start than the build tree's)" % kjit)
    cache = cache_dir()
    tmp = tempfile.mkdtemp(prefix="kjit-k1-")
    try:
        progs = []
        for sec in SECTIONS:
            if sec not in only:
                continue
            progs += {"corpus": lambda: corpus_programs(cache), "hello": lambda: hello_program(tmp),
                      "lua": lambda: lua_program(cache), "sql": lambda: sql_program(cache)}[sec]()
        if not progs:
            print("k1.py: nothing to run")
            return 0
        rs = runners(kjit, variants)
        res, problems = measure(progs, rs, runs, timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("## K1: first runs of C programs (%s, %d round%s, load average at the end %s)"
          % (kjit, runs, "" if runs == 1 else "s", load))
    print()
    print("kjit variants (each with KJIT_CACHE=off --stats=json): " + "; ".join(
        "%s = %s" % (n, " ".join(["%s=%s" % kv for kv in env.items()] + args) or "(no arguments)")
        for n, args, env in variants))
    if problems:
        print()
        print("**Outputs that differ from the native run's (figures marked invalid):**")
        for name, r, why in problems:
            print("- %s, %s: %s" % (name, r, why))
    by_section = {}
    for sec in SECTIONS:
        ps = [p for p in progs if p["section"] == sec]
        if ps:
            sums = table(sec, ps, res, variants, "wall", runs)
            table(sec, ps, res, variants, "cpu", runs)
            by_section[sec] = (ps, sums)
    print()
    print("(lli = the fastest valid of mcjit, orc and orc-lazy by wall time, for each program; "
          "the CPU table uses the same kind.  \"(tol)\": output equal to native's only within "
          "the program's FP tolerance.)")
    summary(by_section, res, variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
