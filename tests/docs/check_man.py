#!/usr/bin/env python3
"""check_man.py KJIT MANPAGE — every long option that `kjit --help` prints is
documented in the man page, and the man page documents no option that
--help does not know.  Exit 0, or 1 naming the options that differ."""
import re
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    kjit, man = sys.argv[1], sys.argv[2]
    p = subprocess.run([kjit, "--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        print("check_man: kjit --help failed (status %d)" % p.returncode)
        return 1
    # "  --name" or "  --name=..." or ", --name" at the start of a usage line
    helped = set(re.findall(r"(?:^ +|, )(--[a-z][a-z0-9-]*)", p.stdout, re.M))
    with open(man) as f:
        text = f.read()
    # The tag line after each .TP; troff writes a dash as \- and fonts as \fB.
    lines = text.splitlines()
    tags = [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.strip() == ".TP"]
    plain = [re.sub(r"\\f[BIRP]", "", t).replace("\\-", "-") for t in tags]
    manned = set(o for t in plain for o in re.findall(r"(--[a-z][a-z0-9-]*)", t))
    if not helped:
        print("check_man: no option found in kjit --help")
        return 1
    missing, extra = sorted(helped - manned), sorted(manned - helped)
    for o in missing:
        print("check_man: %s is in kjit --help but not in %s" % (o, man))
    for o in extra:
        print("check_man: %s is in %s but not in kjit --help" % (o, man))
    if missing or extra:
        return 1
    print("check_man: %d options, all in both" % len(helped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
