// Structured tensor Jacobians (compiler/ad/structured.ts, runtime/jac.ts):
// the same numbers as the per-element sweeps (paths { structured: false }) on every
// tensor fixture, no sweeps for elementwise functions, chunkSize changes
// nothing, and the structures are the expected ones.
import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, compileOrThrow, repoRoot, withPaths } from "./util/compile.js";
import { compileModule } from "../compiler/index.js";
import { sjStats, tensor, Tensor } from "../runtime/internal.js";

const dir = path.join(repoRoot, "fixtures", "tensor");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();

const withSweep = <T>(f: () => T): T => withPaths({ structured: false }, f);

/** Compiled without the direct kernels (compiler/opt/fuse-jacobian.ts): the structures below are filled by runtime/jac.ts. */
const noDirect = <T>(f: () => T): T => withPaths({ direct: false }, f);

/** Tensors as {dtype, shape, data}, arrays element by element, everything else as it is. */
function flat(v: unknown): unknown {
  if (v instanceof Tensor) return { dtype: v.dtype, shape: [...v.shape], data: Array.from(v.data) };
  if (Array.isArray(v)) return v.map(flat);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

function differences(a: unknown, b: unknown, at: string, tol: number): string[] {
  if (typeof a === "number" && typeof b === "number") {
    // (equal infinities are equal: their difference is NaN)
    if ((Number.isNaN(a) && Number.isNaN(b)) || a === b) return [];
    return Math.abs(a - b) <= tol * (1 + Math.abs(b)) ? [] : [`${at}: ${a} (structured) vs ${b} (sweeps)`];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${at}: length ${a.length} vs ${b.length}`];
    return a.flatMap((x, i) => differences(x, b[i], `${at}[${i}]`, tol));
  }
  if (a && b && typeof a === "object" && typeof b === "object" && "data" in a && "data" in b) {
    const x = a as { dtype: string; shape: number[]; data: number[] }, y = b as typeof x;
    if (x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) return [`${at}: ${x.dtype}[${x.shape}] vs ${y.dtype}[${y.shape}]`];
    return differences(x.data, y.data, `${at}.data`, x.dtype === "float32" ? 1e-6 : tol);
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

let structuredFixtures = 0;
for (const f of files) {
  test(`fixture ${f}: structured Jacobians == per-element sweeps`, async () => {
    const src = fs.readFileSync(path.join(dir, f), "utf8");
    const file = path.join(dir, f);
    const fast = compileModule(src, file, { target: "js", checkIR: true });
    const slow = compileModule(src, file, { target: "js", checkIR: true, paths: { structured: false } });
    if (fast.diagnostics.length || slow.diagnostics.length) return; // the fixture test reports it
    assert.not.ok(slow.code.includes("__jt.sjSeed"), "paths { structured: false } turns the structured path off");
    if (fast.code.includes("__jt.sjSeed")) structuredFixtures++;
    const name = `structured-${f.replace(/\.ts$/, "")}`;
    const a = await compileAndImport(src, `${name}-fast`, path.join(dir, `.${name}-fast.ts`));
    const b = await withSweep(() => compileAndImport(src, `${name}-sweep`, path.join(dir, `.${name}-sweep.ts`)));
    const diffs: string[] = [];
    for (const k of Object.keys(b)) {
      if (k === "tolerance" || typeof b[k] === "function") continue;
      diffs.push(...differences(flat(a[k]), flat(b[k]), k, 1e-12));
    }
    assert.equal(diffs.slice(0, 8), [], `${f}: ${diffs.length} differences`);
  });
}

test("most tensor fixtures take the structured path", () => {
  assert.ok(structuredFixtures >= 12, `only ${structuredFixtures} fixtures compiled to structured Jacobians`);
});

const SRC = `
import { jacrev, jacfwd, jacobian, type Tensor } from "jacc";
let W: Tensor;
export const setW = (w: Tensor) => { W = w; };
export const sinExp = jacrev((x: Tensor) => x.sin().mul(x.exp()));
export const sinExpFwd = jacfwd((x: Tensor) => x.sin().mul(x.exp()));
export const expSum = (x: Tensor) => jacobian((y: Tensor) => y.exp().sum(1), x);
export const layer = jacrev((x: Tensor) => W.matmul(x).tanh());
export const layerChunk = jacrev((x: Tensor) => W.matmul(x).tanh(), { chunkSize: 3 });
export const layerChunk1 = jacrev((x: Tensor) => W.matmul(x).tanh(), { chunkSize: 1 });
export const batch = jacrev((x: Tensor) => x.matmul(W.t()).tanh().sum(1));
// tangents read twice (no in-place reuse may corrupt them), shared storage (1·y, W @ I), broadcasts
export const reuse = jacrev((x: Tensor) => {
  const y = x.sin().mul(2);
  const z = W.matmul(y.t());
  return z.add(z.mul(2).tanh()).sum(0).add(y.mul(y.exp()).add(y).sum(0).sum(0));
});
export const wide = jacfwd((x: Tensor) => x.exp().mul(x.unsqueeze(0).expand(3, 2, 4).sum(0)).transpose(0, 1).reshape(8).softmax(0));
`;

test("an elementwise function's Jacobian is filled on its diagonal: no loop over elements in the generated code, no sweep at run time", async () => {
  const r = compileOrThrow(SRC, path.join(repoRoot, ".tmp", "tests", "structured-src.ts"));
  const fn = r.code.slice(r.code.indexOf("function jacrev_"), r.code.indexOf("function ", r.code.indexOf("function jacrev_") + 10));
  assert.ok(fn.includes("__jt.sjSeed"), fn);
  assert.not.ok(/for \(|adOneHot|adSetRow|adSetCol/.test(fn), fn);
  const m = await noDirect(() => compileAndImport(SRC, "structured-src-nodirect"));
  const x = tensor([0.3, -1.2, 2.5, 0.7, -0.1], { dtype: "float64" });
  const before = { ...sjStats };
  const J = m.sinExp(x) as Tensor;
  assert.is(sjStats.diag - before.diag, 1, "one diagonal block");
  assert.is(sjStats.fallbackColumns - before.fallbackColumns, 0, "no per-column fallback");
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 5; j++) {
      const v = x.data[i];
      assert.is(J.data[i * 5 + j], i === j ? Math.cos(v) * Math.exp(v) + Math.sin(v) * Math.exp(v) : 0);
    }
  assert.equal(flat(m.sinExpFwd(x)), flat(J));
});

test("x.exp().sum(1): block pattern filled directly; tanh(W x): diag(1 − y²) W; chunkSize does not change the numbers", async () => {
  const m = await noDirect(() => compileAndImport(SRC, "structured-src-nodirect"));
  const x = tensor([[0.3, -1.2, 0.5], [2.5, 0.7, -0.1]], { dtype: "float64" });
  const before = { ...sjStats };
  const J = m.expSum(x) as Tensor;
  assert.equal([...J.shape], [2, 2, 3]);
  assert.is(sjStats.csr + sjStats.block - before.csr - before.block, 1, "one sparse (row-block) fill");
  assert.is(sjStats.fallbackColumns - before.fallbackColumns, 0);
  for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) assert.is(J.data[(i * 2 + k) * 3 + j], i === k ? Math.exp(x.data[k * 3 + j]) : 0);
  const W = tensor([[0.5, -0.2, 0.1, 0.3], [0.7, 0.4, -0.6, 0.2], [-0.3, 0.8, 0.05, -0.4], [0.1, 0.1, 0.9, -0.2], [0.25, -0.5, 0.3, 0.6]], { dtype: "float64" });
  m.setW(W);
  const v = tensor([0.2, -0.4, 0.9, 1.1], { dtype: "float64" });
  const L = m.layer(v) as Tensor;
  for (let i = 0; i < 5; i++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += W.data[i * 4 + k] * v.data[k];
    const y = Math.tanh(s);
    for (let k = 0; k < 4; k++) assert.is(L.data[i * 4 + k], W.data[i * 4 + k] * (1 - y * y));
  }
  assert.equal(flat(m.layerChunk(v)), flat(L));
  assert.equal(flat(m.layerChunk1(v)), flat(L));
  // a batch of rows through x @ Wᵀ: block structure, same numbers as the sweeps
  const X = tensor([[0.2, -0.4, 0.9, 1.1], [0.5, 0.1, -0.3, 0.2]], { dtype: "float64" });
  const slow = await withSweep(() => compileAndImport(SRC, "structured-src-sweep"));
  slow.setW(W);
  assert.equal(differences(flat(m.batch(X)), flat(slow.batch(X)), "batch", 1e-15), []);
  assert.equal(differences(flat(m.layerChunk(v)), flat(slow.layerChunk(v)), "chunk", 1e-15), []);
  const Y = tensor([[0.3, -0.2, 0.5, 1.2], [0.7, 0.1, -0.4, 0.9]], { dtype: "float64" });
  assert.equal(differences(flat(m.reuse(Y)), flat(slow.reuse(Y)), "reuse", 1e-12), []);
  assert.equal(differences(flat(m.reuse(Y)), flat(m.reuse(Y)), "reuse twice", 0), []);
  assert.equal(differences(flat(m.wide(Y)), flat(slow.wide(Y)), "wide", 1e-12), []);
});

test("jacc explain reports the structure of each block", () => {
  const r = compileModule(SRC, path.join(repoRoot, ".tmp", "tests", "structured-explain.ts"), { target: "js", explain: true });
  const s = (r.markers ?? []).map((m) => m.structure?.[0]?.[0] ?? "none");
  assert.ok(s[0].startsWith("diagonal"), s[0]);
  assert.ok(s.some((x) => x.startsWith("sparse rows")), s.join(" | "));
  assert.ok(s.some((x) => x.startsWith("dense")), s.join(" | "));
});

test.run();
