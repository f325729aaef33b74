#!/usr/bin/env python3
"""PyTorch side of jacc's benchmarks (run by bench/torch.ts with /usr/bin/python3).

Reads a JSON list of cases on stdin, times every PyTorch variant of each case
with the same method as bench/timing.ts (one cold call, a warm-up, batches of
calls until >= 0.3 s and >= 7 batches, median per-call time) and prints one
JSON object on stdout: {"torch": version, "threads": n, "cases": {id: {...}}}.

Variants: torch.autograd.functional.jacobian / hessian (vectorize False/True,
strategy reverse/forward) and functorch jacrev / jacfwd / hessian / grad, each
on the natural vectorised formulation and, where it matters (small sizes), the
loop formulation that mirrors the TypeScript source.
"""
import json
import sys
import time

import torch
import torch.autograd.functional as taf
import functorch

torch.set_default_dtype(torch.float64)

MIN_TOTAL = 0.3
MIN_BATCHES = 7
WARMUP = 0.05
SLOW = 1.0  # a variant whose cold call takes longer is timed with 3 calls only


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def time_fn(fn):
    t0 = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t0
    if cold > SLOW:
        ts = [cold]
        for _ in range(2):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return median(ts), out
    calls, t0 = 0, time.perf_counter()
    el = 0.0
    while calls < 3 or el < WARMUP:
        fn()
        calls += 1
        el = time.perf_counter() - t0
    n = max(1, int(-(-(MIN_TOTAL / MIN_BATCHES) // max(el / calls, 1e-9))))
    per, spent = [], 0.0
    while len(per) < MIN_BATCHES or spent < MIN_TOTAL:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        e = time.perf_counter() - t0
        per.append(e / n)
        spent += e
    return median(per), out


def checksum(out):
    if isinstance(out, (tuple, list)):
        return sum(checksum(o) for o in out)
    return float(out.detach().sum())


# ---- the programs ---------------------------------------------------------

def arm_programs(L):
    def arm_vec(q):
        th = torch.cumsum(q, 0)
        return torch.stack([(L * torch.cos(th)).sum(), (L * torch.sin(th)).sum()])

    def arm_loop(q):
        x = q.new_zeros(())
        y = q.new_zeros(())
        th = q.new_zeros(())
        for i in range(q.shape[0]):
            th = th + q[i]
            x = x + L[i] * torch.cos(th)
            y = y + L[i] * torch.sin(th)
        return torch.stack([x, y])

    return arm_vec, arm_loop


def rosen_vec(x):
    m = x.shape[0] // 2 * 2
    a = x[0:m:2]
    b = x[1:m:2]
    return (100 * (b - a ** 2) ** 2 + (1 - a) ** 2).sum()


def rosen_loop(x):
    s = x.new_zeros(())
    for i in range(0, x.shape[0] - 1, 2):
        s = s + 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


# ---- the variants of each kind --------------------------------------------

def jacobian_variants(f):
    jr, jf = functorch.jacrev(f), functorch.jacfwd(f)
    return {
        "autograd.functional.jacobian": lambda x: taf.jacobian(f, x),
        "autograd.functional.jacobian(vectorize)": lambda x: taf.jacobian(f, x, vectorize=True),
        "autograd.functional.jacobian(vectorize, forward-mode)": lambda x: taf.jacobian(f, x, vectorize=True, strategy="forward-mode"),
        "functorch.jacrev": jr,
        "functorch.jacfwd": jf,
    }


def hessian_variants(f):
    h, hrr = functorch.hessian(f), functorch.jacrev(functorch.jacrev(f))
    return {
        "autograd.functional.hessian": lambda x: taf.hessian(f, x),
        "autograd.functional.hessian(vectorize)": lambda x: taf.hessian(f, x, vectorize=True),
        "autograd.functional.hessian(vectorize, forward-mode)": lambda x: taf.hessian(f, x, vectorize=True, outer_jacobian_strategy="forward-mode"),
        "functorch.hessian": h,
        "functorch.jacrev(jacrev)": hrr,
    }


def grad_variants(f):
    def backward(x):
        xg = x.detach().requires_grad_()
        (g,) = torch.autograd.grad(f(xg), xg)
        return g

    return {
        "autograd.grad": backward,
        "autograd.functional.jacobian": lambda x: taf.jacobian(f, x),
        "functorch.grad": functorch.grad(f),
    }


def tensor_program(case):
    """The tensor programs of bench/tensor-subjects.ts, vectorised as written there."""
    M = {k: torch.tensor(v["data"]).reshape(v["shape"]) for k, v in case.get("mats", {}).items()}
    p = case["program"]
    if p == "expsum":
        return lambda x: x.exp().sum(1)
    if p == "tanhwx":
        W = M["W"]
        return lambda x: torch.tanh(W @ x)
    if p == "mlp":
        W1, b1, W2, b2 = M["W1"], M["b1"], M["W2"], M["b2"]
        return lambda x: W2 @ torch.tanh(W1 @ x + b1) + b2
    if p == "mlpbatch":
        W1, b1, W2, b2 = M["W1"], M["b1"], M["W2"], M["b2"]
        return lambda x: torch.tanh(x @ W1.t() + b1) @ W2.t() + b2
    if p == "sinexp":
        return lambda x: torch.sin(x) * torch.exp(x)
    raise ValueError(p)


def run_case(case):
    kind, size = case["kind"], case["size"]
    loop_max = case.get("loopMax", 0)
    if "xShape" in case:
        vec, loop = tensor_program(case), None
        make = jacobian_variants
    elif case["program"] == "arm":
        L = torch.tensor(case["L"])
        vec, loop = arm_programs(L)
        make = jacobian_variants
    else:
        vec, loop = rosen_vec, rosen_loop
        make = hessian_variants if kind == "hessian" else grad_variants
    x = torch.tensor(case["x"])
    if "xShape" in case:
        x = x.reshape(case["xShape"])
    forms = {"vec": vec}
    if loop is not None and size <= loop_max:
        forms["loop"] = loop
    variants = {}
    for form, f in forms.items():
        for name, fn in make(f).items():
            key = f"{name} [{form}]"
            try:
                t, out = time_fn(lambda: fn(x))
                variants[key] = {"time": t, "checksum": checksum(out)}
            except Exception as e:  # a variant PyTorch 1.13 does not support
                variants[key] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"}
    timed = {k: v for k, v in variants.items() if "time" in v}
    best = min(timed, key=lambda k: timed[k]["time"]) if timed else None
    return {
        "best": timed[best]["time"] if best else None,
        "bestVariant": best,
        "checksum": timed[best]["checksum"] if best else None,
        "variants": variants,
    }


def main():
    cases = json.load(sys.stdin)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": {}}
    for case in cases:
        out["cases"][case["id"]] = run_case(case)
        print(f"  torch: {case['id']} done", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
