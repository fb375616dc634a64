#!/usr/bin/env python3
"""mandel.py test|demo — independent reimplementations, in Python doubles,
of the two Mandelbrot programs: tests/lang/mandel.ks ("test") and
examples/mandel.ks ("demo").  Each follows its .ks program's arithmetic
operation by operation and in the same order (Python floats are IEEE doubles
with the same rounding), and its loops follow Kaleidoscope's 'for': the body
runs, then the end test on the unstepped variable, then the step.  The output
is what kjit prints on stdout, including the final value 0."""
import sys


def test_escape(cr, ci, limit):
    zr = zi = t = n = 0.0
    while True:
        t = zr * zr - zi * zi + cr
        zi = 2 * zr * zi + ci
        zr = t
        n = n + 1
        if not ((zr * zr + zi * zi < 4) and (n < limit)):
            return n


def test_shade(n):
    for bound, ch in ((49, "@"), (12, "%"), (6, "+"), (3, "-"), (2, ":")):
        if n > bound:
            return ch
    return "."


def demo_steps(cr, ci, limit):
    x = y = x2 = y2 = n = 0.0
    while True:
        y = 2 * x * y + ci
        x = x2 - y2 + cr
        x2 = x * x
        y2 = y * y
        n = n + 1
        # !(x2 + y2 > 4 | n > limit - 1); '>' is 'b < a' (unordered)
        if (4 < x2 + y2) or (limit - 1 < n):
            return n


def demo_ink(n):
    for bound, ch in ((199, "@"), (40, "%"), (20, "#"), (12, "*"), (8, "+"),
                      (6, "="), (4, "-"), (3, ":"), (2, ".")):
        if n > bound:
            return ch
    return " "


def grid(cols, rows, cell):
    """for row = 0, row < rows-1 in (for col = 0, col < cols-1 in cell) : nl"""
    out = []
    row = 0.0
    while True:
        col = 0.0
        while True:
            out.append(cell(col, row))
            more = col < cols - 1
            col += 1
            if not more:
                break
        out.append("\n")
        more = row < rows - 1
        row += 1
        if not more:
            break
    return "".join(out)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "test"
    if which == "test":
        x0, y0, dx, dy = -2.2, -1.2, 0.05, 0.1
        text = grid(64, 25, lambda col, row: test_shade(
            test_escape(x0 + col * dx, y0 + row * dy, 50)))
    elif which == "demo":
        left, top, xs, ys = -2.3, 1.2, 0.0395, 0.0615
        text = grid(78, 40, lambda col, row: demo_ink(
            demo_steps(left + col * xs, top - row * ys, 200)))
    else:
        sys.exit("usage: mandel.py test|demo")
    sys.stdout.write(text + "0\n")


if __name__ == "__main__":
    main()
