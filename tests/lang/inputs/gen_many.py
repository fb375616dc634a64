#!/usr/bin/env python3
"""Print a program of 1000 function definitions of which one is called.

f0 calls f1, f1 calls nothing; every other f<i> (2 <= i < 999) calls
f<i+1>, so most functions are mentioned by a caller yet never called.
The last item is the call f0(5) = f1(5) + 1 = 5 * 2 + 1 = 11.
"""
N = 1000
print("def f0(x) f1(x) + 1;")
print("def f1(x) x * 2;")
for i in range(2, N - 1):
    print(f"def f{i}(x) f{i + 1}(x) + {i};")
print(f"def f{N - 1}(x) x - {N - 1};")
print("f0(5);")
