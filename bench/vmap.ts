// vmap benchmarks (npm run bench:vmap): per-sample Jacobians of the Lorenz
// system (B = 1,000 and 100,000, float32 and float64) and vmap(jacrev) of a
// 64→128→10 MLP for a batch of 256. Ratios measured in one run: generated ÷
// hand-written closed form, generated ÷ PyTorch's best variant. Not a test:
// every target is reported as PASS or MISS and the process exits 0.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor, randn, tensor } from "jacc";
import { compileToFile, importFile, readRepoFile } from "./compile.js";
import { fmtTime, timeMany } from "./timing.js";
import { fmtRatio, printTable, verdict, type Row } from "./table.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = "/usr/bin/python3";
const CLOSED_TARGET = 1.5;
const TORCH_TARGET = 1 / 20; // at least 20× faster than PyTorch on Lorenz

type Arr = Float32Array | Float64Array;

/** The closed form: the nine entries of the Lorenz Jacobian per sample. */
function lorenzClosed(x: Arr, y: Arr, z: Arr): Arr[] {
  const B = x.length;
  const mk = () => (x instanceof Float32Array ? new Float32Array(B) : new Float64Array(B));
  const J = Array.from({ length: 9 }, mk);
  const [j00, j01, j02, j10, j11, j12, j20, j21, j22] = J;
  for (let b = 0; b < B; b++) {
    const xb = x[b], yb = y[b], zb = z[b];
    j00[b] = -10; j01[b] = 10; j02[b] = 0;
    j10[b] = 28 - zb; j11[b] = -1; j12[b] = -xb;
    j20[b] = yb; j21[b] = xb; j22[b] = -8 / 3;
  }
  return J;
}

/** The closed form of the MLP's per-sample input Jacobians: W2 diag(1 - h²) W1, blocked over the batch. */
function mlpClosed(X: Tensor, W1: Tensor, b1: Tensor, W2: Tensor): Float64Array {
  const [B, n] = X.shape, m = W1.shape[0], k = W2.shape[0];
  const x = X.data, w1 = W1.data, c1 = b1.data, w2 = W2.data;
  const out = new Float64Array(B * k * n);
  const s = new Float64Array(m);
  const tmp = new Float64Array(k * m);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < m; i++) {
      let a = c1[i];
      for (let j = 0; j < n; j++) a += w1[i * n + j] * x[b * n + j];
      const h = Math.tanh(a);
      s[i] = 1 - h * h;
    }
    for (let r = 0; r < k; r++) for (let i = 0; i < m; i++) tmp[r * m + i] = w2[r * m + i] * s[i];
    const o = b * k * n;
    for (let r = 0; r < k; r++) {
      for (let i = 0; i < m; i++) {
        const t = tmp[r * m + i];
        const row = i * n;
        for (let j = 0; j < n; j++) out[o + r * n + j] += t * w1[row + j];
      }
    }
  }
  return out;
}

function uniform(n: number, seed: number, f32: boolean): Arr {
  const a = f32 ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = -20 + (40 * s) / 4294967296;
  }
  return a;
}

function maxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return a.length === b.length ? e : Infinity;
}

function torchTimes(): Record<string, number> | undefined {
  const r = spawnSync(PYTHON, [path.join(here, "..", "..", "bench", "torch_vmap.py")], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) {
    console.log(`PyTorch peer unavailable (${(r.stderr || r.error?.message || "").trim().split("\n").pop()}): no PyTorch ratios`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function main(): Promise<void> {
  const compiled = compileToFile(readRepoFile("bench/vmap-subjects.ts"), path.join(here, "vmap-subjects.ts"), "vmap-subjects");
  const S = await importFile(compiled.file);
  const torch = torchTimes();
  const rows: Row[] = [];
  for (const f32 of [false, true]) {
    for (const B of [1000, 100_000]) {
      const x = uniform(B, 1, f32), y = uniform(B, 2, f32), z = uniform(B, 3, f32);
      const want = lorenzClosed(x, y, z);
      const flat = (r: Tensor[][]) => r.flat().map((t) => t.data as Arr);
      for (const [name, fn] of [["jacfwd", S.lorenzJacfwd], ["jacrev", S.lorenzJacrev]] as const) {
        const got = flat(fn(x, y, z));
        const err = Math.max(...got.map((g: Arr, i: number) => maxErr(g, want[i])));
        const [tj, tc] = timeMany([() => fn(x, y, z), () => lorenzClosed(x, y, z)]);
        const dtype = f32 ? "float32" : "float64";
        const ratio = tj.median / tc.median;
        rows.push({ name: `Lorenz vmap(${name}) ÷ closed form${err > 1e-6 ? " (WRONG)" : ""}`, size: `B=${B} ${dtype}`, jacc: fmtTime(tj.median), ref: fmtTime(tc.median), ratio: fmtRatio(ratio), target: `≤ ${CLOSED_TARGET}`, verdict: err > 1e-6 ? "WRONG" : verdict(ratio, CLOSED_TARGET) });
        const pt = torch?.[`lorenz_${dtype}_${B}`];
        if (pt !== undefined) rows.push({ name: `Lorenz vmap(${name}) ÷ PyTorch best`, size: `B=${B} ${dtype}`, jacc: fmtTime(tj.median), ref: fmtTime(pt), ratio: fmtRatio(tj.median / pt), target: "≥ 20× faster", verdict: verdict(tj.median / pt, TORCH_TARGET) });
      }
    }
  }
  const W1 = randn([128, 64], { seed: 1, dtype: "float64" }).mul(0.1), b1 = randn([128], { seed: 2, dtype: "float64" });
  const W2 = randn([10, 128], { seed: 3, dtype: "float64" }).mul(0.1), b2 = randn([10], { seed: 4, dtype: "float64" });
  S.setMlp(W1, b1, W2, b2);
  const X = randn([256, 64], { seed: 5, dtype: "float64" });
  const got: Tensor = S.mlpJac(X);
  const err = maxErr(got.data, mlpClosed(X, W1, b1, W2));
  const [tj, tc] = timeMany([() => S.mlpJac(X), () => mlpClosed(X, W1, b1, W2)]);
  rows.push({ name: `MLP 64→128→10 vmap(jacrev) ÷ closed form${err > 1e-9 ? " (WRONG)" : ""}`, size: "B=256 float64", jacc: fmtTime(tj.median), ref: fmtTime(tc.median), ratio: fmtRatio(tj.median / tc.median), target: `≤ ${CLOSED_TARGET}`, verdict: err > 1e-9 ? "WRONG" : verdict(tj.median / tc.median, CLOSED_TARGET) });
  const pm = torch?.["mlp_256"];
  if (pm !== undefined) rows.push({ name: "MLP 64→128→10 vmap(jacrev) ÷ PyTorch best", size: "B=256 float64", jacc: fmtTime(tj.median), ref: fmtTime(pm), ratio: fmtRatio(tj.median / pm), target: "info", verdict: "info" });
  void tensor;
  printTable(`vmap (${new Date().toISOString().slice(0, 10)})`, rows);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 0;
});
