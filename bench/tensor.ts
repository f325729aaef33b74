// Tensor Jacobian benchmarks (npm run bench:tensor): the generated code for
// straight-line tensor programs (structured Jacobians, compiler/ad/structured.ts)
// against a hand-written closed form in plain JavaScript and PyTorch's best
// variant, ratios measured in one run; the per-element sweeps the compiler
// emitted before (paths { structured: false }) as info where they finish quickly; the
// structured path without its direct kernels (paths { direct: false }) as info; and
// the working memory of jacrev(tanh(W x), { chunkSize }) at n = 4096.
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Tensor } from "jacc";
import { compileToFile, importFile, readRepoFile, repoRoot } from "./compile.js";
import { expReducerClosed, mlpBatchClosed, mlpClosed, sinExpClosed, tanhWxClosed } from "./closed.js";
import { fmtTime, pairedRatio, timeMany, type Timing } from "./timing.js";
import { fmtRatio, printTable, verdict, type Row } from "./table.js";
import { runTorch, torchAvailable, type TorchCase } from "./torch.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const CLOSED_TARGET = 2; // generated ÷ closed form
const TORCH_TARGET = 1; // generated ÷ PyTorch best: faster

type F = (x: Tensor) => Tensor;
interface Subjects {
  setW(w: Tensor): void;
  setMlp(w1: Tensor, c1: Tensor, w2: Tensor, c2: Tensor): void;
  expReducerJacobian: F;
  expReducerJacrev: F;
  tanhWxJacrev: F;
  tanhWxJacfwd: F;
  mlpJacrev: F;
  mlpJacfwd: F;
  mlpBatchJacrev: F;
  sinExpJacrev: F;
  sinExpJacfwd: F;
}

function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return a;
}
const T = (data: Float64Array, shape: number[]) => new Tensor(data, shape);

function maxRelErr(a: Tensor, b: Tensor): number {
  if (a.numel() !== b.numel() || a.shape.join() !== b.shape.join()) return Infinity;
  let e = 0;
  for (let i = 0; i < a.numel(); i++) e = Math.max(e, Math.abs(a.data[i] - b.data[i]) / (1 + Math.abs(b.data[i])));
  return e;
}
const total = (t: Tensor) => { let s = 0; for (let i = 0; i < t.numel(); i++) s += t.data[i]; return s; };

interface Case {
  id: string;
  name: string;
  size: string;
  variants: [string, () => Tensor][]; // jacc variants (first is the headline)
  sweep?: () => Tensor; // the old per-element sweeps (info)
  general?: () => Tensor; // the headline variant without direct kernels (info)
  closed: () => Tensor;
  torch: TorchCase;
}

async function main(): Promise<void> {
  console.log("# jacc tensor Jacobian benchmarks");
  console.log(`date: ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; PyTorch ${torchAvailable() ?? "not available"}`);
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).stdout.trim();
  console.log(`jacc: commit ${head}; load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const src = readRepoFile("bench/tensor-subjects.ts");
  const file = path.join(repoRoot, "bench", "tensor-subjects.ts");
  const m = await importFile<Subjects>(compileToFile(src, file, "tensor-subjects").file);
  const old = await importFile<Subjects>(compileToFile(src, file, "tensor-subjects-sweep", "", { structured: false }).file);
  const gen = await importFile<Subjects>(compileToFile(src, file, "tensor-subjects-nodirect", "", { direct: false }).file);

  const cases: Case[] = [];
  for (const n of [2, 64, 256]) {
    const x = T(uniform(n * n, -1, 1, 10 + n), [n, n]);
    cases.push({
      id: `expsum/${n}`,
      name: "x.exp().sum(1): jacobian",
      size: `[${n},${n}]`,
      variants: [["jacobian", () => m.expReducerJacobian(x)], ["jacrev", () => m.expReducerJacrev(x)]],
      sweep: n <= 64 ? () => old.expReducerJacobian(x) : undefined,
      general: () => gen.expReducerJacobian(x),
      closed: () => expReducerClosed(x),
      torch: { id: `expsum/${n}`, program: "expsum", kind: "jacobian", size: n, loopMax: 0, x: Array.from(x.data), xShape: [n, n] },
    });
  }
  for (const n of [10, 100, 1000]) {
    const W = T(uniform(n * n, -1 / Math.sqrt(n), 1 / Math.sqrt(n), 20 + n), [n, n]);
    const x = T(uniform(n, -1, 1, 30 + n), [n]);
    const set = () => (m.setW(W), old.setW(W), gen.setW(W));
    set();
    cases.push({
      id: `tanhwx/${n}`,
      name: "tanh(W x): jacrev",
      size: String(n),
      variants: [["jacrev", () => (m.setW(W), m.tanhWxJacrev(x))], ["jacfwd", () => (m.setW(W), m.tanhWxJacfwd(x))]],
      sweep: n <= 100 ? () => (old.setW(W), old.tanhWxJacrev(x)) : undefined,
      general: () => (gen.setW(W), gen.tanhWxJacrev(x)),
      closed: () => tanhWxClosed(W, x),
      torch: { id: `tanhwx/${n}`, program: "tanhwx", kind: "jacobian", size: n, loopMax: 0, x: Array.from(x.data), xShape: [n], mats: { W: { data: Array.from(W.data), shape: [n, n] } } },
    });
  }
  const W1 = T(uniform(128 * 64, -0.125, 0.125, 41), [128, 64]);
  const b1 = T(uniform(128, -0.1, 0.1, 42), [128]);
  const W2 = T(uniform(10 * 128, -0.09, 0.09, 43), [10, 128]);
  const b2 = T(uniform(10, -0.1, 0.1, 44), [10]);
  m.setMlp(W1, b1, W2, b2);
  old.setMlp(W1, b1, W2, b2);
  const mats = { W1: { data: Array.from(W1.data), shape: [128, 64] }, b1: { data: Array.from(b1.data), shape: [128] }, W2: { data: Array.from(W2.data), shape: [10, 128] }, b2: { data: Array.from(b2.data), shape: [10] } };
  const x64 = T(uniform(64, -1, 1, 45), [64]);
  cases.push({
    id: "mlp/1",
    name: "MLP 64→128→10: input Jacobian, jacrev",
    size: "x [64]",
    variants: [["jacrev", () => m.mlpJacrev(x64)], ["jacfwd", () => m.mlpJacfwd(x64)]],
    sweep: () => old.mlpJacrev(x64),
    closed: () => mlpClosed(W1, b1, W2, x64),
    torch: { id: "mlp/1", program: "mlp", kind: "jacobian", size: 64, loopMax: 0, x: Array.from(x64.data), xShape: [64], mats },
  });
  for (const B of [16]) {
    const X = T(uniform(B * 64, -1, 1, 46 + B), [B, 64]);
    cases.push({
      id: `mlpbatch/${B}`,
      name: "MLP 64→128→10, a batch: jacrev (block-diagonal)",
      size: `X [${B},64]`,
      variants: [["jacrev", () => m.mlpBatchJacrev(X)]],
      sweep: () => old.mlpBatchJacrev(X),
      closed: () => mlpBatchClosed(W1, b1, W2, X),
      torch: { id: `mlpbatch/${B}`, program: "mlpbatch", kind: "jacobian", size: B, loopMax: 0, x: Array.from(X.data), xShape: [B, 64], mats },
    });
  }
  for (const n of [100, 2000]) {
    const x = T(uniform(n, -2, 2, 50 + n), [n]);
    cases.push({
      id: `sinexp/${n}`,
      name: "sin(x)·exp(x): jacrev (diagonal, dense result)",
      size: String(n),
      variants: [["jacrev", () => m.sinExpJacrev(x)], ["jacfwd", () => m.sinExpJacfwd(x)]],
      sweep: n <= 100 ? () => old.sinExpJacrev(x) : undefined,
      general: () => gen.sinExpJacrev(x),
      closed: () => sinExpClosed(x),
      torch: { id: `sinexp/${n}`, program: "sinexp", kind: "jacobian", size: n, loopMax: 0, x: Array.from(x.data), xShape: [n] },
    });
  }

  const rows: Row[] = [];
  const jaccTimes = new Map<string, { jacc: Timing; closed: Timing; variant: string }>();
  for (const c of cases) {
    const ref = c.closed();
    const extra = [...(c.sweep ? [c.sweep] : []), ...(c.general ? [c.general] : [])];
    const fns = [...c.variants.map(([, f]) => f), c.closed, ...extra];
    const errs = [...c.variants.map(([, f]) => maxRelErr(f(), ref)), ...extra.map((f) => maxRelErr(f(), ref))];
    // 15 interleaved rounds of at least 40 ms per function: tiny sizes run ~10⁵ calls per batch
    const ts = timeMany(fns, { minBatches: 15, minTotal: 0.6 });
    const tc = ts[c.variants.length];
    c.variants.forEach(([v], i) => {
      const r = pairedRatio(ts[i], tc);
      rows.push({ name: `${c.name.split(":")[0]}: ${v} ÷ closed form`, size: c.size, jacc: fmtTime(ts[i].median), ref: fmtTime(tc.median), ratio: fmtRatio(r), target: `≤ ${CLOSED_TARGET}`, verdict: errs[i] > 1e-9 ? "WRONG" : verdict(r, CLOSED_TARGET) });
    });
    const k0 = c.variants.length + 1;
    if (c.sweep) {
      const t = ts[k0];
      rows.push({ name: `${c.name.split(":")[0]}: before (one sweep per element) ÷ closed form`, size: c.size, jacc: fmtTime(t.median), ref: fmtTime(tc.median), ratio: fmtRatio(pairedRatio(t, tc)), target: "—", verdict: errs[k0 - 1] > 1e-9 ? "WRONG" : "info" });
    }
    if (c.general) {
      const k = k0 + (c.sweep ? 1 : 0);
      const t = ts[k];
      rows.push({ name: `${c.name.split(":")[0]}: ${c.variants[0][0]}, no direct kernel (paths { direct: false }) ÷ closed form`, size: c.size, jacc: fmtTime(t.median), ref: fmtTime(tc.median), ratio: fmtRatio(pairedRatio(t, tc)), target: "—", verdict: errs[k - 1] > 1e-9 ? "WRONG" : "info" });
    }
    const best = c.variants.map((_, i) => i).reduce((a, b) => (ts[b].median < ts[a].median ? b : a), 0);
    jaccTimes.set(c.id, { jacc: ts[0], closed: tc, variant: c.variants[0][0] });
    void best;
    (c.torch as TorchCase & { checksum?: number }).checksum = total(ref);
  }
  printTable("Tensor Jacobians: generated code ÷ hand-written closed form (float64, same result objects)", rows);

  const notes: string[] = [];
  if (process.env.JACC_BENCH_QUICK) return; // the table above only (iterating on the generated code)
  const mem = memoryRows(notes);
  printTable("Memory: jacrev(tanh(W x), { chunkSize }), n = 4096 (float64; the result is n×n = 128 MiB)", mem);

  console.log("\nPyTorch: timing every variant…");
  const t = runTorch(cases.map((c) => c.torch));
  if (t) {
    const trows: Row[] = [];
    for (const c of cases) {
      const r = t.cases[c.id];
      const j = jaccTimes.get(c.id)!;
      if (!r || r.best === null) {
        trows.push({ name: `${c.name} ÷ PyTorch best`, size: c.size, jacc: fmtTime(j.jacc.median), ref: "—", ratio: "—", target: "—", verdict: "—" });
        continue;
      }
      const expected = (c.torch as { checksum?: number }).checksum!;
      const agrees = r.checksum === null || Math.abs(r.checksum - expected) <= 1e-8 * (1 + Math.abs(expected));
      trows.push({ name: `${c.name} ÷ PyTorch best`, size: c.size, jacc: fmtTime(j.jacc.median), ref: fmtTime(r.best), ratio: fmtRatio(j.jacc.median / r.best), target: `< ${TORCH_TARGET}`, verdict: agrees ? verdict(j.jacc.median / r.best, TORCH_TARGET) : "WRONG" });
      trows.push({ name: `${c.name.split(":")[0]}: closed form ÷ PyTorch best (the limit)`, size: c.size, jacc: fmtTime(j.closed.median), ref: fmtTime(r.best), ratio: fmtRatio(j.closed.median / r.best), target: "—", verdict: "info" });
      const errs = Object.entries(r.variants).filter(([, v]) => v.error).map(([k]) => k);
      notes.push(`${c.id}: PyTorch best ${r.bestVariant} (${fmtTime(r.best)})${errs.length ? `; not supported: ${errs.join(", ")}` : ""}`);
    }
    printTable(`Tensor Jacobians: generated code ÷ PyTorch ${t.torch} best variant (float64, ${t.threads} thread${t.threads === 1 ? "" : "s"})`, trows);
  }
  notes.push(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("\n### Notes\n");
  for (const n of notes) console.log(`- ${n}`);
}

function memoryRows(notes: string[]): Row[] {
  const rows: Row[] = [];
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  for (const mode of ["closed", "jacrev", "chunk64", "chunk512"]) {
    const r = spawnSync(process.execPath, ["--expose-gc", path.join(here, "tensor-memory.js"), mode], { cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 24, timeout: 600_000 });
    if (r.status !== 0) {
      console.log(`memory child ${mode} failed: ${(r.stderr ?? "").slice(-1500)}`);
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const n = j.n;
    const label = mode === "closed" ? "closed form" : mode === "jacrev" ? "jacrev (no chunkSize)" : `jacrev, chunkSize ${mode.slice(5)}`;
    const c = mode.startsWith("chunk") ? Number(mode.slice(5)) : n;
    rows.push({
      name: `${label}: peak RSS growth beyond the result`,
      size: `n = ${n}`,
      jacc: mib(j.peakRssGrowth - j.resultBytes),
      ref: `c×n×8 = ${mib(c * n * 8)}`,
      ratio: fmtRatio((j.peakRssGrowth - j.resultBytes) / (c * n * 8)),
      target: "a few c×n",
      verdict: mode === "closed" ? "info" : verdict((j.peakRssGrowth - j.resultBytes) / (c * n * 8), 4),
    });
    rows.push({ name: `${label}: ArrayBuffers live at return beyond the result`, size: `n = ${n}`, jacc: mib(j.arrayBuffersAtReturn - j.resultBytes), ref: "—", ratio: "—", target: "—", verdict: "info" });
    notes.push(`memory ${mode}: one call ${fmtTime(j.seconds)}, peak RSS +${mib(j.peakRssGrowth)}, result ${mib(j.resultBytes)}, W ${mib(n * n * 8)} allocated before`);
  }
  return rows;
}

try {
  await main();
} catch (e) {
  console.log(`benchmark aborted: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
}
process.exit(0);
