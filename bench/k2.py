#!/usr/bin/env python3
"""Second runs (issue K2): kjit's code cache against native code and kjit
without the cache.

    bench/k2.py KJIT [RUNS] [--only=corpus,hello,lua,sql,ks] [--timeout=SECONDS]

Programs: k1.py's corpus (per program and their sum), hello, lua and sql,
from k1.py's own builders (imported; kept in $XDG_CACHE_HOME/kjit-bench), as
clang-19 -O2 bitcode and native; and ks: bench/kernels/fib.ks (REPS=8) and
mandel.ks (REPS=4) under kjit -q, against their C twins built as tiers.py
does (clang-19 -O2 -march=native -ffp-contract=off, REPS as argument); both
print printd's "%f" line, so ks too is checked against native.

Runners (kjit ones with --stats=json): native; nocache (KJIT_CACHE=off);
cold (KJIT_CACHE=on, KJIT_CACHE_DIR a fresh empty directory for every single
run, made and removed outside the timing: every compile plus the cache
writes); warm (KJIT_CACHE=on, KJIT_CACHE_DIR one directory per program,
filled by one untimed run before the rounds and reused by every timed warm
run, which may add to it: the cache is not frozen between rounds);
finished (the same, with a cache of its own filled by one untimed run and
then `kjit --cache-finish` on the program, untimed: what kjit starts by
itself at the lowest priority after a run that left work, waited for here;
not for ks, whose files are Kaleidoscope).  Every kjit run has
KJIT_CACHE_FINISH=0: none starts a --cache-finish that would run beside the
timed runs.

First each native binary runs once, untimed, for the reference output
(corpus: itself checked against the corpus's reference, as in k1.py), then
the warm directory's filling run, checked too.  Then RUNS rounds (default
3), interleaved (each round, each program, each runner).  Every kjit run's
stdout and exit status is compared with native's (k1.check: corpus within
the program's FP tolerance); a mismatch, crash or timeout is reported loudly
and marks that figure invalid (not run again).  Figures: medians of
whole-process wall time; for warm, from --stats=json (the last line of
stderr starting with '{'), medians of cache_hits, cache_misses, cache_hot,
cache_stored (cache_rejected), wait_us as a share of the run's wall time,
and in how many runs LLVM was loaded (llvm_setup_us > 0).
"""
import os
import re
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k1  # noqa: E402

SECTIONS = k1.SECTIONS + ["ks"]
KERNELS = [("fib", 8), ("mandel", 4)]
RUNNERS = ["native", "nocache", "cold", "warm", "finished"]
STATS = ["cache_hits", "cache_misses", "cache_hot", "cache_stored", "cache_rejected", "wait"]


def usage(msg):
    sys.exit("k2.py: %s\nusage: %s" % (msg, __doc__.split("\n")[3].strip()))


def parse_args(argv):
    opts, pos, it = {"only": ",".join(SECTIONS), "timeout": "300"}, [], iter(argv)
    for a in it:
        m = re.match(r"--(only|timeout)(=(.*))?$", a)
        if a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        elif m:
            opts[m.group(1)] = m.group(3) if m.group(2) else next(it, None)
            if opts[m.group(1)] is None:
                usage("%s wants a value" % a)
        elif a.startswith("--"):
            usage("unknown option %s" % a)
        else:
            pos.append(a)
    only = [s for s in opts["only"].split(",") if s]
    bad = [s for s in only if s not in SECTIONS]
    if bad or not only:
        usage("--only: unknown section %s (of %s)" % (",".join(bad), ",".join(SECTIONS)))
    if not pos or len(pos) > 2:
        usage("KJIT is required")
    kjit = os.path.abspath(pos[0])
    if not os.access(kjit, os.X_OK):
        usage("%s is not an executable" % kjit)
    return kjit, int(pos[1]) if len(pos) > 1 else 3, only, float(opts["timeout"])


def ks_programs(tmp):
    out = []
    for k, reps in KERNELS:
        exe, ks = os.path.join(tmp, k), os.path.join(tmp, "%s-%d.ks" % (k, reps))
        k1.sh(["clang-19", "-O2", "-march=native", "-ffp-contract=off", "-w", "-o", exe,
               os.path.join(HERE, "kernels", k + ".c"), "-lm"])
        with open(os.path.join(HERE, "kernels", k + ".ks")) as f, open(ks, "w") as g:
            g.write(f.read().replace("REPS", str(reps)))
        out.append(k1.prog("ks", "%s.ks REPS=%d" % (k, reps), ks, exe, args=[str(reps)]))
    return out


def run(kjit, p, rname, warm_dir, timeout):
    """k1.timed's (wall, cpu, stdout, stderr, status) of one run of p under rname."""
    if rname == "native":
        return k1.timed([p["exe"]] + p["args"], dict(os.environ), timeout)
    if p["section"] == "ks":  # the REPS are in the file; -q: only what printd prints
        cmd = [kjit, "-q", "--stats=json", p["bc"]]
    else:
        cmd = [kjit, "--stats=json", p["bc"]] + (["--"] + p["args"] if p["args"] else [])
    env = dict(os.environ, KJIT_CACHE="off" if rname == "nocache" else "on", KJIT_CACHE_FINISH="0")
    env.pop("KJIT_CACHE_DIR", None)
    fresh = tempfile.mkdtemp(prefix="kjit-k2-cold-") if rname == "cold" else None
    if rname != "nocache":
        env["KJIT_CACHE_DIR"] = fresh or warm_dir
    try:
        return k1.timed(cmd, env, timeout)
    finally:
        if fresh:
            shutil.rmtree(fresh, ignore_errors=True)


def measure(kjit, progs, runs, timeout, tmp):
    res = {(p["name"], r): {"wall": [], "stats": [], "invalid": None, "note": None}
           for p in progs for r in RUNNERS}
    problems, want, warm = [], {}, {}

    def invalid(p, r, why, err=""):
        res[(p["name"], r)]["invalid"] = why
        problems.append((p["name"], r, why))
        tail = [x[:160] for x in err.strip().splitlines() if not x.startswith("{")][:3]
        k1.say("*** MISMATCH %s under %s: %s%s" % (p["name"], r, why, "".join(
            "\n    stderr: " + x for x in tail)))

    for i, p in enumerate(progs):
        _, _, out, err, rc = run(kjit, p, "native", None, timeout)
        want[p["name"]] = (out, rc)
        why = "native exit status %s" % rc if rc != 0 else None
        if p["ref"]:
            with open(p["ref"]) as f:
                ref = f.read()
            got = out + err
            got = got if not got or got.endswith("\n") else got + "\n"
            if not k1.corpus.same(got + "exit %s\n" % rc, ref, p["tol"]):
                why = "native output differs from %s" % os.path.basename(p["ref"])
        if why:
            problems.append((p["name"], "native", why))
            k1.say("*** %s: %s" % (p["name"], why))
        warm[p["name"]] = os.path.join(tmp, "warm-%d" % i)
        os.makedirs(warm[p["name"]])
        _, _, out, err, rc = run(kjit, p, "warm", warm[p["name"]], timeout)
        why = k1.check(p, "warm", out, rc, *want[p["name"]])
        if why:
            invalid(p, "warm", "filling run: " + why, err)
        k1.say("filled the cache of %s" % p["name"])
        if p["section"] == "ks":
            res[(p["name"], "finished")]["invalid"] = "n/a (Kaleidoscope)"
            continue
        warm[p["name"] + " finished"] = d = os.path.join(tmp, "finished-%d" % i)
        os.makedirs(d)
        _, _, out, err, rc = run(kjit, p, "warm", d, timeout)
        why = k1.check(p, "warm", out, rc, *want[p["name"]])
        fin = [kjit, "--cache-finish", p["bc"]]
        env = dict(os.environ, KJIT_CACHE="on", KJIT_CACHE_DIR=d)
        t, _, _, ferr, frc = k1.timed(fin, env, timeout * 10)
        if why or frc != 0:
            invalid(p, "finished", why or "--cache-finish: exit status %s" % frc, err + ferr)
        k1.say("finished the cache of %s (%.1f s)" % (p["name"], t))
    for rnd in range(runs):
        for p in progs:
            for r in RUNNERS:
                e = res[(p["name"], r)]
                if e["invalid"]:
                    continue
                d = warm[p["name"] + (" finished" if r == "finished" else "")]
                wall, _, out, err, rc = run(kjit, p, "warm" if r == "finished" else r, d, timeout)
                if r != "native":
                    why = k1.check(p, r, out, rc, *want[p["name"]])
                    if why:
                        invalid(p, r, ("round %d: " % (rnd + 1)) + why, err)
                        continue
                    if out != want[p["name"]][0]:
                        e["note"] = "tol"
                    st = k1.stats_of(err) or {}
                    st["wait"] = st["wait_us"] / 1e6 / wall if "wait_us" in st else None
                    st["llvm"] = st["llvm_setup_us"] > 0 if "llvm_setup_us" in st else None
                    e["stats"].append(st)
                e["wall"].append(wall)
                k1.say("round %d/%d  %-28s %-8s %8.3f s" % (rnd + 1, runs, p["name"][:28], r, wall))
    return res, problems


# --- the report ------------------------------------------------------------

def med(res, p, r, k="wall"):
    """median of p's runs under r: wall s, or a --stats=json key (None if absent)"""
    e = res[(p["name"], r)]
    v = e["wall"] if k == "wall" else [st[k] for st in e["stats"] if st.get(k) is not None]
    return None if e["invalid"] or not v else statistics.median(v)


def num(x, fmt="%g"):
    return "n/a" if x is None else fmt % x


def total(xs):
    return None if any(x is None for x in xs) else sum(xs)


def table(sec, ps, res, runs):
    fin = (lambda x: "n/a") if sec == "ks" else k1.s  # (no --cache-finish for Kaleidoscope)
    print("\n### %s: wall s, median of %d; warm's cache figures from --stats=json\n"
          % (sec, runs))
    head = ["program", "native", "nocache", "cold", "warm", "finished", "warm/native",
            "finished/native", "warm/nocache", "hits", "misses", "hot", "stored (rejected)",
            "wait % of warm", "LLVM loaded"]
    print("| " + " | ".join(head) + " |\n|---|" + "---:|" * (len(head) - 1))
    rows, lines = [], []
    for p in ps:
        w = {r: med(res, p, r) for r in RUNNERS}
        c = {k: med(res, p, "warm", k) for k in STATS}
        v = [st["llvm"] for st in res[(p["name"], "warm")]["stats"] if st["llvm"] is not None]
        ld, of = sum(v), len(v)
        rows.append((w, c, of and ld == of))
        tol = " (tol)" if any(res[(p["name"], r)]["note"] for r in RUNNERS) else ""
        lines.append((p["name"] + tol, w, c, "n/a" if not of else "yes" if ld == of else
                      "no" if not ld else "%d/%d" % (ld, of)))
    if len(ps) > 1:
        w = {r: total([x[0][r] for x in rows]) for r in RUNNERS}
        c = {k: total([x[1][k] for x in rows]) for k in STATS if k != "wait"}
        ws = total([x[1]["wait"] * x[0]["warm"] if x[1]["wait"] is not None and x[0]["warm"]
                    else None for x in rows])
        c["wait"] = ws / w["warm"] if ws is not None and w["warm"] else None
        lines.append(("**sum (%d programs)**" % len(ps), w, c,
                      "%d of %d programs" % (sum(1 for x in rows if x[2]), len(ps))))
    for name, w, c, llvm in lines:
        stored = num(c["cache_stored"]) + (" (%g)" % c["cache_rejected"]
                                           if c["cache_rejected"] else "")
        cells = ([name] + [(fin if r == "finished" else k1.s)(w[r]) for r in RUNNERS] +
                 [k1.ratio(w["warm"], w["native"]), k1.ratio(w["finished"], w["native"]),
                  k1.ratio(w["warm"], w["nocache"])] +
                 [num(c[k]) for k in STATS[:3]] +
                 [stored, num(None if c["wait"] is None else c["wait"] * 100, "%.1f %%"), llvm])
        print("| " + " | ".join(cells) + " |")
    return rows


def summary(by_section, res):
    print("\n### second runs (warm) vs native, and vs kjit without the cache\n\n"
          "| what | warm/native | finished/native | warm/nocache | cold/nocache |\n"
          "|---|---:|---:|---:|---:|")
    for sec, (ps, rows) in by_section.items():
        items = [(p["name"] if sec == "ks" else sec,
                  {r: med(res, p, r) for r in RUNNERS}) for p in ps]
        if sec == "corpus":
            items = [("corpus sum (%d programs)" % len(ps),
                      {r: total([x[0][r] for x in rows]) for r in RUNNERS})]
        for name, w in items:
            print("| %s | %s | %s | %s | %s |" % (name, k1.ratio(w["warm"], w["native"]),
                                                  k1.ratio(w["finished"], w["native"]),
                                                  k1.ratio(w["warm"], w["nocache"]),
                                                  k1.ratio(w["cold"], w["nocache"])))


def main():
    kjit, runs, only, timeout = parse_args(sys.argv[1:])
    cache = k1.cache_dir()
    tmp = tempfile.mkdtemp(prefix="kjit-k2-")
    try:
        build = {"corpus": lambda: k1.corpus_programs(cache), "hello": lambda: k1.hello_program(tmp),
                 "lua": lambda: k1.lua_program(cache), "sql": lambda: k1.sql_program(cache),
                 "ks": lambda: ks_programs(tmp)}
        progs = [p for sec in SECTIONS if sec in only for p in build[sec]()]
        if not progs:
            print("k2.py: nothing to run")
            return 0
        res, problems = measure(kjit, progs, runs, timeout, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("## K2: second runs, kjit's code cache (%s, %d round%s, load average at the end %s)"
          % (kjit, runs, "" if runs == 1 else "s", load))
    if problems:
        print("\n**Outputs that differ from the native run's (figures marked invalid):**")
        for name, r, why in problems:
            print("- %s, %s: %s" % (name, r, why))
    by_section = {}
    for sec in SECTIONS:
        ps = [p for p in progs if p["section"] == sec]
        if ps:
            by_section[sec] = (ps, table(sec, ps, res, runs))
    print("\n(nocache: KJIT_CACHE=off; cold: an empty cache directory each run; warm: a cache "
          "filled by one untimed run; finished: the same, then kjit --cache-finish.  \"(tol)\": output equal to native's only within the "
          "program's FP tolerance.)")
    summary(by_section, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
