"""flip.py DIR MIN OFFSET: flip one bit of byte OFFSET in every file under
DIR larger than MIN bytes (a damaged cache entry); prints how many."""
import os
import sys

n = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        if os.path.getsize(p) > int(sys.argv[2]):
            b = bytearray(open(p, "rb").read())
            b[int(sys.argv[3])] ^= 1
            open(p, "wb").write(b)
            n += 1
print(n)
