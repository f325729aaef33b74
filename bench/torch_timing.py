# The PyTorch peers' timer (bench/torch_vmap.py, bench/torch_vmap_batched.py):
# median seconds per call over batches of ~20 ms, at least `min_batches` of
# them and `min_total` seconds in all, after one warm-up call.
import time, statistics

def median_time(fn, min_total, min_batches=7):
    fn()
    t0 = time.perf_counter(); fn(); one = max(time.perf_counter() - t0, 1e-7)
    calls = max(1, int(0.02 / one))
    per, spent = [], 0.0
    while len(per) < min_batches or spent < min_total:
        t0 = time.perf_counter()
        for _ in range(calls): fn()
        dt = time.perf_counter() - t0
        per.append(dt / calls); spent += dt
    return statistics.median(per)
