# The PyTorch peer of bench/webgpu-device.ts on a real GPU (CUDA), plus the
# closed forms written as PyTorch elementwise code. Run on the device machine:
#   python3 bench/torch_gpu.py [--json out.json]
# Times are medians of CUDA-event-timed batches, after warm-up; inputs on the GPU.
import json, sys, time
import torch
from torch.func import vmap, jacfwd, jacrev

dev = "cuda"
out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": []}


def timed(fn, reps=7, inner=10):
    fn(); torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(inner):
            fn()
        e.record(); torch.cuda.synchronize()
        ts.append(s.elapsed_time(e) / inner)
    ts.sort()
    return ts[len(ts) // 2]


def lorenz(x, y, z):
    return (10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z)


def lorenz_closed(x, y, z):
    c = lambda v: torch.full_like(x, v)
    return ((c(-10.0), c(10.0), c(0.0)), (28 - z, c(-1.0), -x), (y, x, c(-8 / 3)))


a = torch.empty(1 << 28, device=dev); b = torch.empty_like(a)
t = timed(lambda: b.copy_(a))
out["copyGBs"] = 2 * a.numel() * 4 / (t * 1e-3) / 1e9
print(f"device copy 1 GiB: {t:.3f} ms, {out['copyGBs']:.0f} GB/s (read + write)")
del a, b

for B in (10**6, 10**7):
    g = torch.Generator(device=dev).manual_seed(0)
    x, y, z = (torch.randn(B, device=dev, generator=g) for _ in range(3))
    for name, f in (("jacfwd", vmap(jacfwd(lorenz, argnums=(0, 1, 2)))), ("jacrev", vmap(jacrev(lorenz, argnums=(0, 1, 2)))), ("closed form", lorenz_closed)):
        ms = timed(lambda: f(x, y, z), inner=5 if B >= 10**7 else 10)
        gbs = 48 * B / (ms * 1e-3) / 1e9
        print(f"lorenz {name} B={B:.0e}: {ms:.3f} ms ({gbs:.0f} GB/s at 48 B/row)")
        out["rows"].append({"what": f"lorenz {name}", "B": B, "ms": ms, "GBs48": gbs})

n = 4096
g = torch.Generator(device=dev).manual_seed(0)
W = torch.randn(n, n, device=dev, generator=g) / n ** 0.5
xv = torch.randn(n, device=dev, generator=g)
f = lambda v: torch.tanh(W @ v)
closed = lambda v: (1 - torch.tanh(W @ v) ** 2)[:, None] * W
for name, fn in (("jacfwd", lambda: jacfwd(f)(xv)), ("jacrev", lambda: jacrev(f)(xv)),
                 ("autograd.functional vectorize", lambda: torch.autograd.functional.jacobian(f, xv, vectorize=True)),
                 ("closed form", lambda: closed(xv))):
    ms = timed(fn, reps=5, inner=3)
    print(f"tanh(Wx) n={n} {name}: {ms:.3f} ms")
    out["rows"].append({"what": f"tanh {name}", "n": n, "ms": ms})

if "--json" in sys.argv:
    json.dump(out, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)
