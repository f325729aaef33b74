# PyTorch peers of bench/vmap.ts (run by it with /usr/bin/python3, Debian's
# python3-torch 1.13): the best of functorch.vmap(jacfwd / jacrev) and the
# vectorised closed-form-free variants, median seconds per call, as JSON.
import json
import torch, functorch
import torch_timing as timing  # (bench/: the script's own folder is on sys.path)

# PyTorch keeps its default intra-op threads (its best variant on this machine)

def median_time(fn):
    return timing.median_time(fn, min_total=0.3)

def lorenz(x, y, z):
    return (10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z)

def lorenz_vec(s):
    x, y, z = s[0], s[1], s[2]
    return torch.stack([10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z])

out = {}
for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
    for B in (1000, 100000):
        g = torch.Generator().manual_seed(0)
        x, y, z = (torch.rand(B, generator=g, dtype=dtype) * 40 - 20 for _ in range(3))
        S = torch.stack([x, y, z], 1)
        variants = {
            "vmap(jacfwd) argnums": functorch.vmap(functorch.jacfwd(lorenz, argnums=(0, 1, 2))),
            "vmap(jacrev) argnums": functorch.vmap(functorch.jacrev(lorenz, argnums=(0, 1, 2))),
        }
        times = [median_time(lambda: variants[k](x, y, z)) for k in variants]
        vf, vr = functorch.vmap(functorch.jacfwd(lorenz_vec)), functorch.vmap(functorch.jacrev(lorenz_vec))
        times += [median_time(lambda: vf(S)), median_time(lambda: vr(S))]
        out[f"lorenz_{name}_{B}"] = min(times)

g = torch.Generator().manual_seed(0)
W1 = torch.randn(128, 64, generator=g, dtype=torch.float64) * 0.1
b1 = torch.randn(128, generator=g, dtype=torch.float64)
W2 = torch.randn(10, 128, generator=g, dtype=torch.float64) * 0.1
b2 = torch.randn(10, generator=g, dtype=torch.float64)
X = torch.randn(256, 64, generator=g, dtype=torch.float64)
mlp = lambda x: W2 @ torch.tanh(W1 @ x + b1) + b2
vr, vf = functorch.vmap(functorch.jacrev(mlp)), functorch.vmap(functorch.jacfwd(mlp))
out["mlp_256"] = min(median_time(lambda: vr(X)), median_time(lambda: vf(X)))
out["threads"] = torch.get_num_threads()
print(json.dumps(out))
