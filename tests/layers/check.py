#!/usr/bin/env python3
"""check.py — libkjit's layering, read from its built archive.

    check.py LAYERS LIBDIR ARCHIVE [--nm llvm-nm-19]
    check.py --self-test

LAYERS (lib/LAYERS) lists the layers top first, each with its folder.
Every object file of ARCHIVE is placed in the layer of the folder its source
is in (found under LIBDIR by name).  A symbol one object takes (undefined)
and another defines is a call between them.  It fails when:
  - a file calls a file of a layer above its own;
  - the folders call each other in a circle (which an up-call makes, but is
    checked on its own: the order is not trusted to be a total one);
  - an object has no source under LIBDIR, or a source folder no layer.
Calls within one layer are free.  Exit status 1 with one line per fault.
"""
import os
import subprocess
import sys


def read_layers(path):
    layers = []  # (name, folder), top first
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) >= 2:
                layers.append((line[0], line[1]))
    return layers


def symbols(nm, archive):
    """{object: (defined, undefined)} of the archive's members."""
    out = subprocess.run([nm, "-A", "--extern-only", archive], check=True,
                         capture_output=True, text=True).stdout
    objs = {}
    for line in out.splitlines():
        # "archive:member: [addr] TYPE name" (llvm-nm -A)
        head, _, rest = line.rpartition(": ")
        member = head.split(":")[-1]
        parts = rest.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1]
        d, u = objs.setdefault(member, (set(), set()))
        (u if kind in "Uw" else d).add(name)
    return objs


def find_cycle(edges):
    """A circle in {node: set(nodes)}, as a list, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def check(layers, place, objs):
    """Faults, as lines.  place: {object: folder}."""
    rank = {folder: len(layers) - i for i, (_, folder) in enumerate(layers)}
    name = {folder: n for n, folder in layers}
    faults = []
    owner = {}
    for o, (d, _) in objs.items():
        for s in d:
            owner[s] = o
    folder_edges = {}
    for o in sorted(objs):
        if place.get(o) not in rank:
            faults.append("%s: in no layer of LAYERS (folder %s)" % (o, place.get(o)))
            continue
        for s in sorted(objs[o][1]):
            t = owner.get(s)
            if not t or t == o or place.get(t) not in rank:
                continue
            a, b = place[o], place[t]
            if a != b:
                folder_edges.setdefault(a, set()).add(b)
            if rank[b] > rank[a]:
                faults.append("%s (%s) calls up into %s (%s): %s"
                              % (o, name[a], t, name[b], s))
    c = find_cycle(folder_edges)
    if c:
        faults.append("folders call each other in a circle: " + " -> ".join(c))
    return faults


def self_test():
    layers = [("api", "lib"), ("mid", "lib/mid"), ("low", "lib/low")]
    ok = {"a.o": ({"api"}, {"m"}), "m.o": ({"m"}, {"l"}), "l.o": ({"l"}, set())}
    place = {"a.o": "lib", "m.o": "lib/mid", "l.o": "lib/low"}
    assert check(layers, place, ok) == [], check(layers, place, ok)
    up = dict(ok, **{"l.o": ({"l"}, {"m"})})
    f = check(layers, place, up)
    assert any("calls up" in x and "l.o" in x and ": m" in x for x in f), f
    assert any("circle" in x for x in f), f
    stray = dict(ok, **{"x.o": ({"x"}, set())})
    f = check(layers, dict(place, **{"x.o": "lib/other"}), stray)
    assert any("x.o: in no layer" in x for x in f), f
    print("self-test passed")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    nm = "llvm-nm-19"
    if "--nm" in argv:
        i = argv.index("--nm")
        nm = argv[i + 1]
        del argv[i:i + 2]
    layers_path, libdir, archive = argv[1:4]
    layers = read_layers(layers_path)
    root = os.path.dirname(os.path.abspath(libdir))
    sources = {}
    for d, _, files in os.walk(libdir):
        for f in files:
            sources[f] = os.path.relpath(d, root)
    objs = symbols(nm, archive)
    place = {}
    for o in objs:
        src = o[:-2] if o.endswith(".o") else o
        place[o] = sources.get(src)
    faults = check(layers, place, objs)
    for f in faults:
        print("layers: " + f)
    if faults:
        return 1
    print("layers: %d objects in %d layers, no call up, no circle"
          % (len(objs), len(layers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
