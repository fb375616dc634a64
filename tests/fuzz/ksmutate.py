#!/usr/bin/env python3
"""ksmutate.py — turns valid Kaleidoscope programs into (mostly) bad ones for
the fuzzer's robustness invariants, and splits programs into the pieces the
minimiser removes.

Mutations work on bytes (a program may become any byte string): flip a
byte, delete / duplicate / swap tokens, truncate, insert random bytes, or
insert a random token.  Several may be stacked.  The tokenizer is Kaleidoscope's
own, approximately: identifiers, numbers ([0-9.]+), comments, single
punctuation bytes; every byte belongs to exactly one piece, so joining the
pieces gives back the text.

Usage: ksmutate.py SEED < program.ks > mutant.ks
"""
import random
import re
import sys

# A token with the white space (and comments) before it, so that joining a
# subsequence of tokens keeps the program's spacing.
_TOKEN = re.compile(rb"(?:\s|#[^\n]*)*(?:[A-Za-z][A-Za-z0-9]*|[0-9.]+|[\x00-\xff])|(?:\s|#[^\n]*)+$")
KEYWORDS = [b"def", b"extern", b"if", b"then", b"else", b"for", b"in", b"var",
            b"binary", b"unary", b"(", b")", b",", b";", b"=", b"<", b"+", b"-",
            b"*", b"/", b"|", b"!", b"x", b"1", b"0.5", b"1.2.3", b"\t", b"\n"]


def tokens(data):
    """data (bytes) as a list of tokens with their leading white space."""
    return _TOKEN.findall(data)


def items(data):
    """data split into top-level items: after each ';', and before each
    'def' or 'extern' (where the parser resynchronises)."""
    out, cur = [], []
    for t in tokens(data):
        word = t.strip()
        if word in (b"def", b"extern") and cur:
            out.append(b"".join(cur))
            cur = []
        cur.append(t)
        if word == b";":
            out.append(b"".join(cur))
            cur = []
    if cur:
        out.append(b"".join(cur))
    return out


def mutate_once(data, r):
    toks = tokens(data)
    kind = r.choice(["flip", "delete", "delete", "dup", "swap", "truncate",
                     "bytes", "insert"])
    if not data:
        kind = "bytes"
    if kind == "flip":
        i = r.randrange(len(data))
        b = bytearray(data)
        b[i] ^= 1 << r.randrange(8)
        return bytes(b)
    if kind == "truncate":
        return data[:r.randrange(len(data))]
    if kind == "bytes":
        i = r.randrange(len(data) + 1)
        junk = bytes(r.getrandbits(8) for _ in range(r.randint(1, 8)))
        return data[:i] + junk + data[i:]
    if kind == "insert":
        i = r.randrange(len(toks) + 1)
        return b"".join(toks[:i] + [b" " + r.choice(KEYWORDS)] + toks[i:])
    if len(toks) < 2:
        return data[:-1]
    i = r.randrange(len(toks))
    if kind == "delete":
        n = r.choice([1, 1, 1, 2, 3])
        del toks[i:i + n]
    elif kind == "dup":
        toks.insert(i, toks[i])
    else:
        j = r.randrange(len(toks))
        toks[i], toks[j] = toks[j], toks[i]
    return b"".join(toks)


def mutate(data, r):
    """A mutant of data (bytes): 1 to 3 stacked mutations."""
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        data = mutate_once(data, r)
    return data


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ksmutate.py SEED < program.ks")
    sys.stdout.buffer.write(mutate(sys.stdin.buffer.read(), random.Random(int(sys.argv[1]))))
