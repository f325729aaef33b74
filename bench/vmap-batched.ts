// The batching transform's benchmarks (npm run bench:vmap-batched; issue 16):
// the two programs of the issue written with Tensor ops, each timed in one
// process against a hand-written closed form, before (the row loop: paths
// { batch: false }, what main emits) and after (one op call per batch), with
// PyTorch's functorch from bench/torch_vmap_batched.py. Not a test: ratios are
// printed with PASS / MISS and the process exits 0.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor, randn } from "jacc";
import { compileToFile, importFile } from "./compile.js";
import { fmtTime, timeMany } from "./timing.js";
import { fmtRatio, printTable, verdict, type Row } from "./table.js";

const here = path.dirname(fileURLToPath(import.meta.url));

const SOURCE = `
import { vmap, grad, jacrev, stack, type Tensor } from "jacc";
export function g(v: Tensor): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
  return stack([y.sub(x).mul(10), x.mul(z.neg().add(28)).sub(y), x.mul(y).sub(z.mul(8 / 3))]);
}
export const lorenzRhs = vmap(g);
export const lorenzJac = vmap(jacrev(g));
export const lorenzJacOfVmap = jacrev(vmap(g));
let w2: Tensor;
export function setW2(w: Tensor): void { w2 = w; }
export function loss(W: Tensor, x: Tensor, y: Tensor): Tensor {
  const r = W.matmul(x).tanh().dot(w2).sub(y);
  return r.mul(r).mul(0.5);
}
export const perSample = vmap(grad(loss), { inDims: [null, 0, 0] });
`;

function rhsClosed(V: Tensor): Tensor {
  const B = V.shape[0], v = V.data, out = V.dtype === "float32" ? new Float32Array(3 * B) : new Float64Array(3 * B);
  for (let b = 0; b < B; b++) {
    const x = v[3 * b], y = v[3 * b + 1], z = v[3 * b + 2];
    out[3 * b] = 10 * (y - x);
    out[3 * b + 1] = x * (28 - z) - y;
    out[3 * b + 2] = x * y - (8 / 3) * z;
  }
  return new Tensor(out, [B, 3]);
}

function jacClosed(V: Tensor): Tensor {
  const B = V.shape[0], v = V.data, out = V.dtype === "float32" ? new Float32Array(9 * B) : new Float64Array(9 * B);
  for (let b = 0; b < B; b++) {
    const x = v[3 * b], y = v[3 * b + 1], z = v[3 * b + 2], o = 9 * b;
    out[o] = -10; out[o + 1] = 10; out[o + 2] = 0;
    out[o + 3] = 28 - z; out[o + 4] = -1; out[o + 5] = -x;
    out[o + 6] = y; out[o + 7] = x; out[o + 8] = -8 / 3;
  }
  return new Tensor(out, [B, 3, 3]);
}

/** jacrev(vmap(g)): [B, 3, B, 3], each example's Jacobian on the diagonal, zeros elsewhere. */
function jacOfVmapClosed(V: Tensor): Tensor {
  const B = V.shape[0], v = V.data, out = new Float64Array(9 * B * B);
  for (let b = 0; b < B; b++) {
    const x = v[3 * b], y = v[3 * b + 1], z = v[3 * b + 2];
    // entry (b, i, b, j) at ((b·3 + i)·B + b)·3 + j
    const at = (i: number, j: number) => ((b * 3 + i) * B + b) * 3 + j;
    out[at(0, 0)] = -10; out[at(0, 1)] = 10; out[at(0, 2)] = 0;
    out[at(1, 0)] = 28 - z; out[at(1, 1)] = -1; out[at(1, 2)] = -x;
    out[at(2, 0)] = y; out[at(2, 1)] = x; out[at(2, 2)] = -8 / 3;
  }
  return new Tensor(out, [B, 3, B, 3]);
}

/** Per-sample ∂loss/∂W: r w2[i] (1 - h_i²) x_j with h = tanh(W x), r = h·w2 - y. */
function gradClosed(W: Tensor, X: Tensor, Y: Tensor, w2: Tensor): Tensor {
  const [m, n] = W.shape, B = X.shape[0], w = W.data, x = X.data, y = Y.data, c = w2.data;
  const out = new Float64Array(B * m * n), s = new Float64Array(m);
  for (let b = 0; b < B; b++) {
    let r = -y[b];
    for (let i = 0; i < m; i++) {
      let a = 0;
      for (let j = 0; j < n; j++) a += w[i * n + j] * x[b * n + j];
      const h = Math.tanh(a);
      r += h * c[i];
      s[i] = c[i] * (1 - h * h);
    }
    const o = b * m * n;
    for (let i = 0; i < m; i++) {
      const t = r * s[i];
      for (let j = 0; j < n; j++) out[o + i * n + j] = t * x[b * n + j];
    }
  }
  return new Tensor(out, [B, m, n]);
}

function maxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return a.length === b.length ? e : Infinity;
}

function torchTimes(): Record<string, number> | undefined {
  const r = spawnSync("/usr/bin/python3", [path.join(here, "..", "..", "bench", "torch_vmap_batched.py")], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return void console.log(`PyTorch peer unavailable: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function main(): Promise<void> {
  const file = path.join(here, "vmap-batched-subjects.ts");
  const after = await importFile(compileToFile(SOURCE, file, "vmap-batched-on").file);
  const before = await importFile(compileToFile(SOURCE, file, "vmap-batched-off", "", { batch: false }).file);
  const torch = torchTimes();
  const rows: Row[] = [];
  const add = (name: string, size: string, fns: { before?: () => Tensor; after: () => Tensor }, closed: () => Tensor, target: number, torchKey: string, tol = 1e-9) => {
    const want = closed();
    const errs = [fns.before?.(), fns.after()].map((t) => (t ? maxErr(t.data, want.data) : 0));
    // after and the closed form interleaved with each other only: the row loop's garbage would land GC pauses in their batches
    const [ta, tc] = timeMany([fns.after, closed], { minTotal: 0.5 });
    const bad = (e: number) => (e > tol ? " (WRONG)" : "");
    if (fns.before) {
      const [tb, tc0] = timeMany([fns.before, closed], { minTotal: 0.5 });
      rows.push({ name: `${name} before (row loop) ÷ closed form${bad(errs[0])}`, size, jacc: fmtTime(tb.median), ref: fmtTime(tc0.median), ratio: fmtRatio(tb.median / tc0.median), target: "info", verdict: "info" });
    }
    rows.push({ name: `${name} after ÷ closed form${bad(errs[1])}`, size, jacc: fmtTime(ta.median), ref: fmtTime(tc.median), ratio: fmtRatio(ta.median / tc.median), target: `≤ ${target}`, verdict: errs[1] > tol ? "WRONG" : verdict(ta.median / tc.median, target) });
    const pt = torch?.[torchKey];
    if (pt !== undefined) rows.push({ name: `${name} after ÷ PyTorch functorch`, size, jacc: fmtTime(ta.median), ref: fmtTime(pt), ratio: fmtRatio(ta.median / pt), target: "< 1", verdict: verdict(ta.median / pt, 1) });
  };
  const V = randn([100_000, 3], { seed: 1, dtype: "float64" }).mul(10);
  add("Lorenz RHS vmap(g), Tensor ops", "B=100000 float64", { before: () => before.lorenzRhs(V), after: () => after.lorenzRhs(V) }, () => rhsClosed(V), 1.5, "rhs_100000");
  // (the row loop of vmap(jacrev(g)) before: a smaller batch keeps the run short)
  const V2 = V.narrow(0, 0, 10_000);
  add("Lorenz vmap(jacrev(g)), Tensor ops", "B=10000 float64", { before: () => before.lorenzJac(V2), after: () => after.lorenzJac(V2) }, () => jacClosed(V2), 1.5, "jac_10000");
  add("Lorenz vmap(jacrev(g)), Tensor ops", "B=100000 float64", { after: () => after.lorenzJac(V) }, () => jacClosed(V), 1.5, "jac_100000");
  // jacrev(vmap(g)): vmap(jacrev(g)) laid out block diagonally (before this, a reverse sweep per output element over every row)
  const V300 = V.narrow(0, 0, 300);
  add("Lorenz jacrev(vmap(g)), Tensor ops", "B=300 float64", { after: () => after.lorenzJacOfVmap(V300) }, () => jacOfVmapClosed(V300), 1.5, "jov_300");
  // float32: the float32 twin (each op rounded to float32 as the tensor code rounds it) against the float32 closed form
  const V32 = V.to("float32");
  add("Lorenz RHS vmap(g), Tensor ops", "B=100000 float32", { after: () => after.lorenzRhs(V32) }, () => rhsClosed(V32), 1.5, "rhs_100000_f32", 1e-5);
  add("Lorenz vmap(jacrev(g)), Tensor ops", "B=100000 float32", { after: () => after.lorenzJac(V32) }, () => jacClosed(V32), 1.5, "jac_100000_f32", 1e-5);
  const W = randn([32, 16], { seed: 2, dtype: "float64" }).mul(0.3), w2 = randn([32], { seed: 3, dtype: "float64" });
  const X = randn([4096, 16], { seed: 4, dtype: "float64" }), Y = randn([4096], { seed: 5, dtype: "float64" });
  before.setW2(w2);
  after.setW2(w2);
  add("MLP vmap(grad(loss)), inDims [null, 0, 0]", "B=4096 W 32×16 float64", { before: () => before.perSample(W, X, Y), after: () => after.perSample(W, X, Y) }, () => gradClosed(W, X, Y, w2), 2, "mlp_4096");
  printTable(`vmap batching (${new Date().toISOString().slice(0, 10)})`, rows);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 0;
});
