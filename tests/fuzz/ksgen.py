#!/usr/bin/env python3
"""ksgen.py — a seeded generator of random, terminating, deterministic
Kaleidoscope programs for the differential fuzzer (ksfuzz.py).

A program covers the whole language kjit accepts: externs of libm and of the
runtime (printd, putchard, printlf), top-level globals, user-defined binary
operators with precedences and unary operators, functions that call each
other in a DAG (so calls to functions defined later in the text — forward
references — are common), bounded self-recursion through a depth parameter,
redefinitions with the same number of parameters, if/then/else, for loops
with and without a step, var/in, assignments, and top-level expressions whose
values kjit prints; now and then functions of 8 or 10 parameters (stack-passed
doubles), hot loops of 1200 calls (past tiered mode's default threshold),
shadowing var bindings, comments, and top-level `var` of an existing global.

Termination is by construction, not by hope:
  * a function may call only functions later in its DAG order and itself; a
    self-call sits in the else branch of `if d < 1 then ... else` and passes
    `d - 1` or `d - 2`, where the depth parameter d is never assigned and every
    other caller passes a small constant (NaN or fractions still reach d < 1);
  * every loop is `for v = S, v < E [, step] in` (or the mirror image with a
    negative step) with constant S, E and step, and a loop variable that
    nothing assigns (operator bodies only see their own parameters);
  * every expression carries a worst-case cost (nodes evaluated, loops and
    calls multiplied out); choices that would exceed the budget become
    literals.
Output is deterministic: printd only ever prints a value cleaned of NaN
(the sign of a NaN — "nan" vs "-nan" from printf — legitimately depends on
whether the operation was folded: printd(0/0) prints "nan", printd(x/x) with
x = 0 "-nan"), and putchard only gets constants.  Recursion stays shallow:
how deep a recursion may go before "stack overflow" depends on the -O level
(frame sizes, tail calls), so deep recursion is legitimately mode-dependent.

Program.features names what the program uses, so that a comparison with a
tool lacking a feature (the chapter 7 toy: no '/', printlf, forward calls,
globals or redefinition; --emit=llvm: no redefinition) can be skipped.

Usage: ksgen.py SEED  — print the program of SEED on stdout.
"""
import random
import sys

# Functions of doubles the host (and lli, and the toy) can call.
LIBM1 = ["sin", "cos", "sqrt", "fabs", "floor", "exp"]
LIBM2 = ["pow", "atan2"]
BINOP_CHARS = list("|&^%>@$?")
UNOP_CHARS = list("!~-")
NUMBERS = ["0", "1", "2", "3", "4", "5", "7", "10", "0.5", "0.25", "1.5", "2.5",
           "0.1", "100", "1000", "123.456", "100000", "1000000", "0.001", "3"]
CHARS = [65, 66, 67, 72, 75, 97, 122, 42, 46, 10, 32]


class Program:
    """A generated program: its text and the set of features it uses."""

    def __init__(self, text, features):
        self.text = text
        self.features = features


class Fn:
    """A generated function: name, parameters, whether it recurses (first
    parameter is the depth), its bodies (two when redefined), callees, cost."""

    def __init__(self, name, params, recursive):
        self.name, self.params, self.recursive = name, params, recursive
        self.bodies, self.callees, self.cost = [], set(), 0


class Ctx:
    """What an expression may refer to where it is generated."""

    def __init__(self, readable, assignable, fns, self_fn=None, ops=True):
        self.readable = list(readable)
        self.assignable = list(assignable)
        self.fns = fns            # callable user functions (Fn)
        self.self_fn = self_fn    # recursive function being generated
        self.ops = ops            # user operators allowed
        self.callees = set()


class Gen:
    def __init__(self, seed, max_fns=6, budget=4000, toy=None):
        self.r = random.Random(seed)
        # A quarter of the programs (by default) use only what the chapter 7
        # toy knows, so that the oracle comparison is not always skipped.
        self.toy = (seed % 4 == 0) if toy is None else toy
        self.max_fns = max_fns
        self.budget = budget
        self.features = set()
        self.nloop = 0

    # --- building blocks ------------------------------------------------
    def num(self):
        return self.r.choice(NUMBERS)

    def fresh(self, base):
        self.nloop += 1
        return "%s%d" % (base, self.nloop)

    def expr(self, ctx, depth, budget):
        """(text, cost) of a random expression costing at most budget."""
        r = self.r
        if depth <= 0 or budget < 4:
            return self.leaf(ctx), 1
        kinds = ["leaf", "bin", "bin", "if", "call", "paren"]
        if ctx.ops and self.binops:
            kinds += ["userbin", "userbin"]
        if ctx.ops and self.unops:
            kinds += ["unary"]
        if ctx.assignable:
            kinds += ["assign"]
        if budget >= 20:
            kinds += ["for", "var"]
        if self.externs1 or self.externs2:
            kinds += ["libm"]
        if "printd" in self.externs or "putchard" in self.externs or "printlf" in self.externs:
            kinds += ["print"]
        if ctx.self_fn is not None and self.self_calls < 2:
            kinds += ["self"]
        k = r.choice(kinds)
        sub = budget // 3
        if k == "leaf":
            return self.leaf(ctx), 1
        if k == "paren":
            t, c = self.expr(ctx, depth - 1, budget - 1)
            return "(" + t + ")", c + 1
        if k == "bin":
            op = r.choice(["+", "-", "*", "<", "+", "*"] + ([] if self.toy else ["/"]))
            if op == "/":
                self.features.add("div")
            a, ca = self.expr(ctx, depth - 1, sub)
            b, cb = self.expr(ctx, depth - 1, sub)
            return "%s %s %s" % (a, op, b), ca + cb + 1
        if k == "userbin":
            ch, _ = r.choice(self.binops)
            a, ca = self.expr(ctx, depth - 1, sub)
            b, cb = self.expr(ctx, depth - 1, sub)
            return "%s %s %s" % (a, ch, b), ca + cb + 4
        if k == "unary":
            ch = r.choice(self.unops)
            a, ca = self.expr(ctx, depth - 1, budget - 4)
            if not a[0].isalnum() and a[0] != "(":
                a = "(" + a + ")"
            return ch + a, ca + 4
        if k == "assign":
            v = r.choice(ctx.assignable)
            a, ca = self.expr(ctx, depth - 1, budget - 1)
            return "(%s = %s)" % (v, a), ca + 1
        if k == "if":
            c, cc = self.expr(ctx, depth - 1, sub)
            a, ca = self.expr(ctx, depth - 1, sub)
            b, cb = self.expr(ctx, depth - 1, sub)
            return "(if %s then %s else %s)" % (c, a, b), cc + max(ca, cb) + 1
        if k == "for":
            return self.loop(ctx, depth, budget)
        if k == "var":
            names = [self.fresh("v") for _ in range(r.randint(1, 2))]
            # Sometimes shadow a parameter, global or var (never the depth
            # parameter or a loop variable: the bounds rely on them).
            shadowable = [v for v in ctx.readable if v[0] in "pgv"]
            if shadowable and r.random() < 0.2:
                names[0] = r.choice(shadowable)
            binds, cost = [], 1
            inner = Ctx(ctx.readable, ctx.assignable, ctx.fns, ctx.self_fn, ctx.ops)
            inner.callees = ctx.callees
            for n in names:
                if r.random() < 0.8:
                    t, c = self.expr(inner, depth - 1, sub // 2)
                    binds.append("%s = %s" % (n, t))
                    cost += c
                else:
                    binds.append(n)
                inner.readable.append(n)
                inner.assignable.append(n)
            body, cb = self.expr(inner, depth - 1, budget - cost - 1)
            return "(var %s in %s)" % (", ".join(binds), body), cost + cb
        if k == "libm":
            if self.externs2 and (not self.externs1 or r.random() < 0.4):
                f = r.choice(self.externs2)
                if f == "pow" and r.random() < 0.4:
                    # A constant base is what the optimiser rewrites (exp2...).
                    a, ca = r.choice(["2", "4", "8", "10", "0.5"]), 1
                else:
                    a, ca = self.expr(ctx, depth - 1, sub)
                b, cb = self.expr(ctx, depth - 1, sub)
                return "%s(%s, %s)" % (f, a, b), ca + cb + 2
            f = r.choice(self.externs1)
            if f == "sqrt" and r.random() < 0.2:
                a, ca = "(0 - %s)" % self.num(), 1   # folded to NaN at -O1+
            else:
                a, ca = self.expr(ctx, depth - 1, budget - 2)
            return "%s(%s)" % (f, a), ca + 2
        if k == "print":
            return self.printing(ctx, depth, budget)
        if k == "self":
            f = ctx.self_fn
            args = [r.choice(["d - 1", "d - 2"])]
            cost = 1
            for _ in f.params[1:]:
                t, c = self.expr(ctx, depth - 1, max(1, sub // len(f.params)))
                args.append(t)
                cost += c
            self.self_calls += 1
            return "%s(%s)" % (f.name, ", ".join(args)), cost
        # call of a user function
        cands = [f for f in ctx.fns if f.cost + 2 <= budget]
        if not cands:
            return self.leaf(ctx), 1
        f = r.choice(cands)
        ctx.callees.add(f)
        args, cost = [], f.cost + 2
        for i, _ in enumerate(f.params):
            if i == 0 and f.recursive:
                args.append(r.choice(["0", "1", "2", "3", "2.5"]))
            else:
                t, c = self.expr(ctx, depth - 1, max(1, (budget - f.cost) // (2 * len(f.params))))
                args.append(t)
                cost += c
        return "%s(%s)" % (f.name, ", ".join(args)), cost

    def leaf(self, ctx):
        if ctx.readable and self.r.random() < 0.6:
            return self.r.choice(ctx.readable)
        return self.num()

    def printing(self, ctx, depth, budget):
        avail = [e for e in ("printd", "putchard", "printlf") if e in self.externs]
        e = self.r.choice(avail)
        if e == "putchard":
            return "putchard(%d)" % self.r.choice(CHARS), 2
        if e == "printlf":
            return "printlf()", 2
        a, ca = self.expr(ctx, depth - 1, budget - 6)
        # clean(): NaN never reaches printf (see the module docstring).
        return "printd(clean(%s))" % a, ca + 6

    def loop(self, ctx, depth, budget):
        r = self.r
        v = self.fresh("i")
        start = r.choice([0, 1, 2, 0.5])
        n = r.randint(1, 5)
        if r.random() < 0.5:
            step, stxt = 1, ""
        else:
            step = r.choice([1, 2, 0.5, 1.5])
            stxt = ", " + str(step)
        descending = r.random() < 0.25
        end = start + step * (n - 1) + (step / 2)
        if descending:
            # for v = S, E < v, -step: runs while v stays above E.
            start, end = end, start - step / 2
            head = "for %s = %s, %s < %s, %s in" % (v, fmt(start), fmt(end), v,
                                                    "0 - " + fmt(step))
        else:
            head = "for %s = %s, %s < %s%s in" % (v, fmt(start), v, fmt(end), stxt)
        iters = n + 1   # body runs once more than the test passes (for's quirk)
        inner = Ctx(ctx.readable + [v], ctx.assignable, ctx.fns, ctx.self_fn, ctx.ops)
        inner.callees = ctx.callees
        inner.self_fn = None  # self-calls stay out of loops: keeps the cost model simple
        body, cb = self.expr(inner, depth - 1, budget // iters - 3)
        return "(%s %s)" % (head, body), iters * (cb + 3) + 1

    # --- items ---------------------------------------------------------
    def program(self):
        r = self.r
        items_head = []
        self.externs = r.sample(LIBM1 + LIBM2 + ["printd", "putchard"] +
                                ([] if self.toy else ["printlf"]), r.randint(0, 6))
        if "printd" in self.externs:
            items_head.append("def clean(x) if x < x then 0 else x;")
        self.externs1 = [e for e in self.externs if e in LIBM1]
        self.externs2 = [e for e in self.externs if e in LIBM2]
        if "printlf" in self.externs:
            self.features.add("printlf")
        ext = ["extern %s(%s);" % (e, {"pow": "x y", "atan2": "y x", "printlf": ""}.get(e, "x"))
               for e in self.externs]
        r.shuffle(ext)
        items_head = ext + items_head

        # Globals.
        globs = ["g%d" % i for i in range(0 if self.toy else r.choice([0, 0, 1, 2]))]
        for g in globs:
            items_head.append("var %s = %s;" % (g, self.num()))
            self.features.add("global")

        # Operators: bodies over their parameters (and earlier operators).
        self.binops, self.unops = [], []
        for ch in r.sample(BINOP_CHARS, r.randint(0, 3)):
            ctx = Ctx(["a", "b"], ["a", "b"], [], ops=True)
            body, _ = self.expr(ctx, 2, 12)
            prec = r.choice([1, 3, 5, 10, 15, 20, 30, 40, 50, 100])
            items_head.append("def binary%s %d (a b) %s;" % (ch, prec, body))
            self.binops.append((ch, prec))
        for ch in r.sample(UNOP_CHARS, r.randint(0, 2)):
            ctx = Ctx(["v"], ["v"], [], ops=True)
            body, _ = self.expr(ctx, 2, 12)
            items_head.append("def unary%s(v) %s;" % (ch, body))
            self.unops.append(ch)

        # Functions, generated from the DAG's leaves up so costs are known.
        nf = r.randint(1, self.max_fns)
        fns = []
        for i in range(nf):
            rec = r.random() < 0.35
            # Now and then more than 8 parameters: the 9th double onwards is
            # passed on the stack, through the lazy-entry trampoline.
            nparams = r.choice([0, 1, 2, 3, 0, 1, 2, 3, 8, 10])
            params = (["d"] if rec else []) + ["p%d" % j for j in range(nparams)]
            fns.append(Fn("f%d" % i, params, rec))
        for i in reversed(range(nf)):
            f = fns[i]
            nbodies = 2 if r.random() < 0.15 and not self.toy else 1
            for _ in range(nbodies):
                body, cost = self.body(f, fns[i + 1:], globs)
                f.bodies.append(body)
                f.cost = max(f.cost, cost)
            if nbodies == 2:
                self.features.add("redefine")

        # Text order: definitions in a random order (forward references),
        # top-level expressions wherever everything they reach is defined.
        order = fns[:]
        if self.toy:
            order.reverse()   # callees first: no forward reference
        else:
            r.shuffle(order)
        defined = set()
        items = list(items_head)
        pending_redef = []
        top_ctx_fns = []

        def closure(f, seen=None):
            seen = set() if seen is None else seen
            if f.name not in seen:
                seen.add(f.name)
                for g in f.callees:
                    closure(g, seen)
            return seen

        def top_level():
            usable = [f for f in top_ctx_fns if closure(f) <= defined]
            ctx = Ctx(globs, globs, usable)
            cheap = [f for f in usable if f.cost <= 40]
            if cheap and r.random() < 0.2:
                # Enough calls to pass tiered mode's default threshold, so
                # T2 compiles and installs while the loop runs.
                f = r.choice(cheap)
                args = [r.choice(["0", "1", "2"]) if i == 0 and f.recursive
                        else self.leaf(ctx) for i in range(len(f.params))]
                return "(for %s = 0, %s < 1200 in %s(%s)) + %s;" % (
                    self.fresh("h"), "h%d" % self.nloop, f.name, ", ".join(args),
                    self.leaf(ctx))
            t, _ = self.expr(ctx, 4, self.budget)
            if globs and r.random() < 0.15:
                # A second top-level var of a global assigns it (its old
                # value is visible in the initialiser); nothing is printed.
                return "var %s = %s;" % (r.choice(globs), t)
            return t + ";"

        for f in order:
            for g in f.callees:
                if g.name not in defined:
                    self.features.add("forward")
            items.append("def %s(%s) %s;" % (f.name, " ".join(f.params), f.bodies[0]))
            defined.add(f.name)
            top_ctx_fns.append(f)
            if len(f.bodies) > 1:
                pending_redef.append(f)
            for _ in range(r.randint(0, 2)):
                items.append(top_level())
            if pending_redef and r.random() < 0.5:
                g = pending_redef.pop(0)
                if any(h.name not in defined for h in g.callees):
                    self.features.add("forward")
                items.append("def %s(%s) %s;" % (g.name, " ".join(g.params), g.bodies[1]))
                for _ in range(r.randint(0, 1)):
                    items.append(top_level())
        if r.random() < 0.3:
            items.insert(r.randrange(len(items) + 1), "# a comment; def f(x) is not code")
        for g in pending_redef:
            items.append("def %s(%s) %s;" % (g.name, " ".join(g.params), g.bodies[1]))
        for _ in range(r.randint(1, 4)):
            items.append(top_level())
        return Program("\n".join(items) + "\n", self.features)

    def body(self, f, later, globs):
        """(text, worst-case cost per call) of one body of f."""
        r = self.r
        params = f.params
        assignable = [p for p in params if p != "d"] + globs
        ctx = Ctx(params + globs, assignable, later, ops=True)
        self.self_calls = 0
        if not f.recursive:
            t, c = self.expr(ctx, 4, self.budget // 8)
            f.callees |= ctx.callees
            return t, c
        base, cbase = self.expr(ctx, 3, self.budget // 40)
        ctx.self_fn = f
        rec, crec = self.expr(ctx, 4, self.budget // 40)
        for _ in range(self.r.randint(0, 1)):
            if self.self_calls == 0:
                call = "%s(%s)" % (f.name, ", ".join(["d - 1"] + [r.choice(params[1:] + ["1"])
                                                                  for _ in params[1:]]))
                rec = "%s + %s" % (call, rec) if r.random() < 0.5 else "%s * %s" % (rec, call)
                self.self_calls = 1
        f.callees |= ctx.callees
        k = self.self_calls
        # Depth at most 3 from any caller: 4 levels of at most k self-calls.
        per = cbase + crec + 3
        cost = per * sum(k ** lvl for lvl in range(5))
        return "if d < 1 then %s else %s" % (base, rec), cost


def fmt(x):
    """A constant as source text: the lexer has no negative numbers."""
    s = repr(abs(float(x)))
    s = s[:-2] if s.endswith(".0") else s
    return "(0 - %s)" % s if x < 0 else s


def generate(seed, **settings):
    """The program of a seed (settings: max_fns, budget, toy)."""
    return Gen(seed, **settings).program()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ksgen.py SEED")
    sys.stdout.write(generate(int(sys.argv[1])).text)
