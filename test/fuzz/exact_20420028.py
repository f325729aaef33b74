# Evidence for seed 20420028 (test/fuzz/OPEN.md; the program is ILL_CONDITIONED in test/fuzz.test.ts):
# the exact derivative of the path the float64 program takes, by forward mode with a float64
# primal (so every branch goes as in JavaScript) and 60-digit tangents (mpmath). The program is
# ILL_CONDITIONED's with its original output 0.5·acc. Run: /usr/bin/python3 test/fuzz/exact_20420028.py
# (Debian's python3-mpmath). Prints f, the exact derivative, the
# iterations of the last loop with the smallest 1 + cos(acc), and jacc's two modes' relative errors.
# Forward mode with a float64 primal (the same branches as JS) and a 60-digit tangent:
# the exact derivative of the path the float64 program takes.
import math
from mpmath import mp, mpf
import mpmath
mp.dps = 60
class D:
    def __init__(s, v, t=mpf(0)): s.v = float(v); s.t = mpf(t)
def lift(a): return a if isinstance(a, D) else D(a)
def add(a, b): a, b = lift(a), lift(b); return D(a.v + b.v, a.t + b.t)
def sub(a, b): a, b = lift(a), lift(b); return D(a.v - b.v, a.t - b.t)
def mul(a, b): a, b = lift(a), lift(b); return D(a.v * b.v, a.t * b.v + a.v * b.t)
def div(a, b): a, b = lift(a), lift(b); return D(a.v / b.v, (a.t * b.v - a.v * b.t) / mpf(b.v) ** 2)
def pw(a, b):
    a, b = lift(a), lift(b); v = a.v ** b.v
    return D(v, b.v * mpf(a.v) ** (b.v - 1) * a.t + (mpmath.log(a.v) * mpf(v) * b.t if b.t != 0 else 0))
def un(fn, dfn):
    return lambda a: (lambda a: D(fn(a.v), dfn(mpf(a.v)) * a.t))(lift(a))
sin = un(math.sin, mpmath.cos); tanh = un(math.tanh, lambda x: 1 - mpmath.tanh(x) ** 2)
cosh = un(math.cosh, mpmath.sinh); expm1 = un(math.expm1, mpmath.exp)
C0 = [-1.6, -2.4, -1.1, 0.0]; C1 = [0.0, -1.0]
def f(x0):
    n = len(x0); acc = D(0.0)
    for e0 in C0:
        it1 = 0
        while True:
            it1 += 1
            v2 = acc
            v3 = mul(pw(add(1.2, tanh(v2)), acc), acc if C1[0] > acc.v else D(-0.3))
            v4 = cosh(sin(sub(v3, C0[1])))
            acc = add(acc, sin(add(add(v2, v3), v4)))
            if not (1 >= math.atanh(0.9 * math.tanh(-2.1)) and it1 < 1): break
        i5 = n
        while True:
            if i5 <= 0 or not ((e0 if (i5 + 2) >= e0 else C0[(i5 + 3) % 4]) >= math.floor(e0)): break
            i5 -= 1
            for e8 in C1:
                acc = sub(acc, sin(div(math.cosh((i5 + 2) / (1 + (i5 + 2) ** 2)), add(2, tanh(sub(C0[(i5 + 3) % 4], x0[(i5 + 2) % n]))))))
                v9 = C0[(i5 + 2) % 4]
                acc = add(acc, math.sin(v9))
        i11 = 0
        while i11 < n:
            for i12 in range(i11 + 1):
                v13 = acc
                acc = add(acc, math.sin(e0 * (-(i11 + 2))))
                acc = add(acc, sin(v13))
            if x0[i11].v >= acc.v: i11 += 2
            if math.acosh(1.5 + acc.v ** 2) >= ((i11 + 1) / (1 + C0[(i11 + 3) % 4] ** 2)):
                pass
            else:
                return D(0.0), 'early'
    its = 0; mins = []
    for i22 in range(n):
        for e23 in C1:
            while True:
                its += 1
                t = C0[(i22 + 3) % 4] - acc.v
                a24 = [math.expm1(t / (1 + t ** 2)), (acc.v - e23) + x0[i22 % n].v]
                if a24[i22 % 2] >= acc.v:
                    mins.append(1 + math.cos(acc.v))
                    acc = add(acc, sin(acc))
                if i22 >= 2 or not (acc.v > x0[i22 % n].v and i22 % 2 == 0): break
    return add(mul(sub(acc, acc), acc), mul(0.5, acc)), (its, min(mins) if mins else None)
r, info = f([D(-0.96671, 1)])
print(repr(r.v), mpmath.nstr(r.t, 20), info)
jr, jf = 0.06188986756539851, 0.061889857053756714
print('jacrev rel err', mpmath.nstr((jr - r.t) / r.t, 5), 'jacfwd rel err', mpmath.nstr((jf - r.t) / r.t, 5))
