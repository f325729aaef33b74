# PyTorch peers of bench/vmap-batched.ts (run by it with /usr/bin/python3,
# functorch): median seconds per call, as JSON.
import json
import torch, functorch
import torch_timing as timing  # (bench/: the script's own folder is on sys.path)

def median_time(fn):
    return timing.median_time(fn, min_total=0.5)

def g(v):
    x, y, z = v.select(0, 0), v.select(0, 1), v.select(0, 2)
    return torch.stack([10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z])

gen = torch.Generator().manual_seed(0)
V = torch.randn(100000, 3, generator=gen, dtype=torch.float64) * 10
out = {
    "rhs_100000": median_time(lambda: functorch.vmap(g)(V)),
    "jac_10000": median_time(lambda: functorch.vmap(functorch.jacrev(g))(V[:10000])),
    "jac_100000": median_time(lambda: functorch.vmap(functorch.jacrev(g))(V)),
    "jov_300": median_time(lambda: functorch.jacrev(functorch.vmap(g))(V[:300])),
}
V32 = V.float()
out["rhs_100000_f32"] = median_time(lambda: functorch.vmap(g)(V32))
out["jac_100000_f32"] = median_time(lambda: functorch.vmap(functorch.jacrev(g))(V32))
W = torch.randn(32, 16, generator=gen, dtype=torch.float64) * 0.3
w2 = torch.randn(32, generator=gen, dtype=torch.float64)
X = torch.randn(4096, 16, generator=gen, dtype=torch.float64)
Y = torch.randn(4096, generator=gen, dtype=torch.float64)
def loss(W, x, y):
    r = torch.tanh(W @ x).dot(w2) - y
    return 0.5 * r * r
pg = functorch.vmap(functorch.grad(loss), in_dims=(None, 0, 0))
out["mlp_4096"] = median_time(lambda: pg(W, X, Y))
print(json.dumps(out))
