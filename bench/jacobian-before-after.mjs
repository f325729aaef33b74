// Structured Jacobians of two built checkouts (before, after) in one process:
//   ROUNDS=41 node bench/jacobian-before-after.mjs <old checkout> <new checkout>
// Each checkout's compiler compiles the same programs (paths { direct: false }: the structured path)
// into its .tmp/, the output importing that checkout's runtime ("jacc" self-reference); rounds
// alternate before and after (≥ 20 ms each), results are checked equal bit for bit, and each row prints
// | program | before | after | median of the per-round after ÷ before | their range |. Not a test.
import fs from "node:fs"; import path from "node:path"; import { pathToFileURL } from "node:url";
const [oldDir, newDir] = process.argv.slice(2);
if (!oldDir || !newDir) throw new Error("usage: node bench/jacobian-before-after.mjs <old checkout> <new checkout>");
const trees = { before: path.resolve(oldDir), after: path.resolve(newDir) };
const SRC = `
import { jacrev, jacfwd, jacobian, tensor, type Tensor } from "jacc";
let W1: Tensor, c1: Tensor, W2: Tensor, c2: Tensor, W: Tensor;
export function set(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, w: Tensor) { W1 = w1; c1 = b1; W2 = w2; c2 = b2; W = w; }
const mlp = (x: Tensor) => W2.matmul(W1.matmul(x).add(c1).tanh()).add(c2);
export const mlpRev = jacrev(mlp);
export const mlpFwd = jacfwd(mlp);
export const batchRev = jacrev((X: Tensor) => X.matmul(W1.t()).add(c1).tanh().matmul(W2.t()).add(c2));
export const tanhRev = jacrev((x: Tensor) => W.matmul(x).tanh());
export const expSum = (x: Tensor) => jacobian((x: Tensor) => x.exp().sum(1), x);
export const sinExp = jacrev((x: Tensor) => x.sin().mul(x.exp()));
`;
const mods = {}, rt = {};
for (const [k, dir] of Object.entries(trees)) {
  const C = await import(pathToFileURL(`${dir}/dist/compiler/index.js`).href);
  fs.mkdirSync(path.join(dir, ".tmp"), { recursive: true });
  const r = C.compileModule(SRC, path.join(dir, ".tmp", "ab.ts"), { target: "js", paths: { direct: false } });
  if (r.diagnostics.length) throw new Error(r.diagnostics.map(C.formatDiagnostic).join("\n"));
  const f = path.join(dir, ".tmp", `ab-${Date.now()}.mjs`); fs.writeFileSync(f, r.code);
  mods[k] = await import(pathToFileURL(f).href);
  rt[k] = await import(pathToFileURL(`${dir}/dist/runtime/index.js`).href);
}
const rnd = (n, s) => { const a = new Float64Array(n); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = -1 + 2 * s / 4294967296; } return a; };
const inputs = (R) => {
  const T = (d, sh) => new R.Tensor(d, sh);
  return { w1: T(rnd(128 * 64, 1), [128, 64]), b1: T(rnd(128, 2), [128]), w2: T(rnd(10 * 128, 3), [10, 128]), b2: T(rnd(10, 4), [10]), w: T(rnd(100 * 100, 5), [100, 100]),
    x64: T(rnd(64, 6), [64]), X: T(rnd(16 * 64, 7), [16, 64]), x100: T(rnd(100, 8), [100]), x22: T(rnd(4, 9), [2, 2]) };
};
const cases = [["MLP 64→128→10 jacrev (structured)", "mlpRev", "x64"], ["MLP 64→128→10 jacfwd (structured)", "mlpFwd", "x64"], ["MLP batch [16,64] jacrev (structured)", "batchRev", "X"], ["tanh(W x) n=100 jacrev, paths { direct: false }", "tanhRev", "x100"], ["x.exp().sum(1) [2,2] jacobian, paths { direct: false }", "expSum", "x22"], ["sin(x)·exp(x) n=100 jacrev, paths { direct: false }", "sinExp", "x100"]];
const data = {};
for (const k of Object.keys(trees)) { data[k] = inputs(rt[k]); const d = data[k]; mods[k].set(d.w1, d.b1, d.w2, d.b2, d.w); }
function time(fn, x, minMs = 20) { let n = 0; const t0 = performance.now(); let t; do { fn(x); n++; t = performance.now() - t0; } while (t < minMs); return t / n; }
const ROUNDS = Number(process.env.ROUNDS ?? 15);
for (const [label, fn, arg] of cases) {
  // equal results
  const a = mods.before[fn](data.before[arg]), b = mods.after[fn](data.after[arg]);
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) throw new Error(`${label}: results differ at ${i}`);
  for (const k of Object.keys(trees)) time((x) => mods[k][fn](x), data[k][arg], 50); // warm up
  const ratios = [], ta = [], tb = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = r % 2 ? ["after", "before"] : ["before", "after"];
    const t = {}; for (const k of x) t[k] = time((y) => mods[k][fn](y), data[k][arg]);
    ratios.push(t.after / t.before); ta.push(t.before); tb.push(t.after);
  }
  const med = (v) => v.slice().sort((p, q) => p - q)[v.length >> 1];
  const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  console.log(`| ${label} | ${fmt(med(ta))} | ${fmt(med(tb))} | ${med(ratios).toFixed(3)} | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} |`);
}
