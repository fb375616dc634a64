#!/usr/bin/env python3
"""bench/around.py — what kjit does around code generation, on first compiles
(issue K1, item 1), measured by perf's samples of one whole run.

    python3 bench/around.py KJIT PROGRAM.bc [ARGS...]

Runs `KJIT PROGRAM.bc ARGS` once with the code cache off (KJIT_CACHE=off)
under `perf record` (call graphs by DWARF), then sorts every sample taken in
a first compile (on the program's thread or the ahead thread; T2 and OSR
compiles are left out) into:

  code generation  LLVM's code generation pipeline running on the unit
                   (`legacy::PassManagerImpl::run`: instruction selection,
                   register allocation, the object writer): what `llc -O0`
                   does for the same function;
  reading          the function's body read from the module's bitcode
                   (`kj_wrap_materialize`): `llc` reads its input too;
  around           everything else of the compile: copying the function
                   out, verifying it, binding callees, polls and counters,
                   setting up the pipeline, JITLink, perf and gdb symbols.

and prints "around" as a share of code generation, with and without the
reading, and the largest parts of it.  The goal of issue K1 is 25 %.
perf must be installed and allowed (perf_event_paranoid <= 2).
"""
import collections
import os
import subprocess
import sys
import tempfile

FIRST = ("kj_materialize", "kj_lazy_ahead_unit", "compile_one")
NOT_FIRST = ("t2_compile", "t2_main", "osr_compile", "kj_osr")
CODEGEN = "legacy::PassManagerImpl::run"
READING = "kj_wrap_materialize"
PARTS = [  # (label, frame substring), first match from the root wins
    ("copy out (kj_wrap_extract)", "kj_wrap_extract"),
    ("verifier", "LLVMVerifyModule"),
    ("link (JITLink, lookup)", "add_object"),
    ("pipeline set-up", "addPassesToEmitFile"),
    ("counters", "kj_tier_instrument"),
    ("polls", "kj_safepoint"),
    ("callee binding", "kj_link_bind"),
    ("module disposal", "kj_unit_discard"),
    ("IR passes", "LLVMRunPasses"),
    ("lazy module set-up", "LLVMGetBitcodeModuleInContext2"),
    ("cache keys", "kj_objcache"),
]


def stacks(perf_data):
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "tid,ip,sym"],
                         capture_output=True, text=True, check=True).stdout
    cur = []
    for line in out.splitlines():
        if not line.strip():
            if cur:
                yield cur
            cur = []
        elif line[0] in " \t":
            parts = line.strip().split(None, 1)
            cur.append(parts[1] if len(parts) > 1 else "?")
        else:
            cur = []
    if cur:
        yield cur


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    kjit, args = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        env = dict(os.environ, KJIT_CACHE="off")
        r = subprocess.run(["perf", "record", "-q", "-F", "1999", "--call-graph",
                            "dwarf,16384", "-o", data, kjit] + args,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            sys.exit("perf record failed (%d): %s" % (r.returncode, r.stderr[-500:]))
        gen = read = around = 0
        parts = collections.Counter()
        for s in stacks(data):  # s[0] is the leaf
            if not any(f in x for x in s for f in FIRST):
                continue
            if any(f in x for x in s for f in NOT_FIRST):
                continue
            if any(CODEGEN in x for x in s):
                gen += 1
            elif any(READING in x for x in s):
                read += 1
            else:
                around += 1
                label = "other"
                for x in reversed(s):
                    hit = [l for l, f in PARTS if f in x]
                    if hit:
                        label = hit[0]
                        break
                parts[label] += 1
    if not gen:
        sys.exit("no sample in code generation: nothing compiled?")
    print("samples in first compiles: code generation %d, reading bitcode %d, around %d"
          % (gen, read, around))
    print("around / code generation: %.0f %%; with the reading: %.0f %%"
          % (100.0 * around / gen, 100.0 * (around + read) / gen))
    for label, n in parts.most_common():
        print("  %-28s %5d  %3.0f %% of code generation" % (label, n, 100.0 * n / gen))


if __name__ == "__main__":
    main()
