// Structured Jacobians on WebGPU (runtime/webgpu/jac.ts): jacfwd / jacrev /
// jacobian of straight-line tensor programs with WebGPU inputs propagate all
// of d/dx at once as device tensors (a diagonal, or a dense matrix), instead of
// one sweep per input or output element. Each program runs on the CPU (float32)
// and on WebGPU and the results agree at float32 tolerance; the number of
// dispatches per call does not grow with n (the sweeps' does, ~n per op).
// Also: an op with no structured rule (the general path, column by column),
// the reverse sweeps of a matmul reading W transposed in place (no copy of W
// per sweep), and the matmul kernel's transpose flags against the CPU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor, sjStats, webgpuExecutor } from "jacc/internal";
import { compileAndImport } from "./util/compile.js";
import { gpuTest, mismatches, readBack, registerAllKernels } from "./util/webgpu.js";

const FILE = "webgpu-jacobian";
const TOL = 1e-4;

const SOURCE = `
import { grad, jacfwd, jacrev, jacobian, logSoftmax, cat, where, type Tensor } from "jacc";
export const tanhFwd = (W: Tensor, x: Tensor) => jacfwd((x: Tensor) => W.matmul(x).tanh())(x);
export const tanhRev = (W: Tensor, x: Tensor) => jacrev((x: Tensor) => W.matmul(x).tanh())(x);
export const tanhJac = (W: Tensor, x: Tensor) => jacobian((x: Tensor) => W.matmul(x).tanh(), x);
export const sinExpFwd = jacfwd((x: Tensor) => x.sin().mul(x.exp()));
export const sinExpRev = jacrev((x: Tensor) => x.sin().mul(x.exp()));
export const expSumRev = jacrev((x: Tensor) => x.exp().sum(1));
export const expSumJac = (x: Tensor) => jacobian((x: Tensor) => x.exp().sum(1), x);
export const mlpRev = (W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor) => jacrev((x: Tensor) => W2.matmul(W1.matmul(x).add(b1).relu()).tanh())(x);
export const mlpFwd = (W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor) => jacfwd((x: Tensor) => W2.matmul(W1.matmul(x).add(b1).relu()).tanh())(x);
export const logSoftmaxFwd = jacfwd((x: Tensor) => logSoftmax(x, 0));
export const logSoftmaxRev = jacrev((x: Tensor) => logSoftmax(x, 1));
export const batchRows = (W: Tensor, x: Tensor) => jacrev((x: Tensor) => x.matmul(W).sigmoid().mean(0))(x);
export const shapes = jacfwd((x: Tensor) => x.t().reshape([-1]).narrow(0, 1, 4).mul(2).neg().div(3));
export const joined = jacrev((x: Tensor) => cat([x.exp(), x.sin(), x.mul(x)], 0).sum());
export const clamped = jacfwd((x: Tensor) => x.mul(x).clamp(0.1, 0.5).exp());
export const picked = (m: Tensor, x: Tensor) => jacfwd((x: Tensor) => where(m, x.exp(), x.sin()).mul(x))(x);
export const rowVector = (v: Tensor, x: Tensor) => jacrev((x: Tensor) => v.matmul(x.reshape([4, -1]).exp()))(x);
// gradients of totals: the sum of a diagonal is the diagonal itself as one row
export const gradSum = grad((x: Tensor) => x.sin().mul(x).exp().sum());
export const gradMean = grad((x: Tensor) => x.mul(x).tanh().mean());
export const jacrevSum = jacrev((x: Tensor) => x.sin().mul(x).exp().sum());
export const jacrevMean = jacrev((x: Tensor) => x.mul(x).tanh().mean());
export const gradMatmul = (B: Tensor, A: Tensor) => grad((a: Tensor) => a.matmul(B).tanh().sum())(A);
// a batched matmul's tangent has no structured rule: the general path, one column at a time
export const fallback = (A: Tensor, x: Tensor) => jacfwd((x: Tensor) => A.matmul(x).sin())(x);
`;

type Mod = Record<string, (...a: Tensor[]) => Tensor>;

function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return a;
}
const cpu = (shape: number[], seed: number, lo = -1, hi = 1) => new Tensor(values(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
const gpu = (t: Tensor) => t.to("webgpu");

let mod: Mod | undefined;
async function load(): Promise<Mod> {
  return (mod ??= await compileAndImport<Mod>(SOURCE, "webgpu-jacobian"));
}

/** Basis columns the last WebGPU call ran an op for one at a time (the general path). */
let gpuColumns = 0;

/** Runs `name` on the CPU and on WebGPU, compares, and returns the WebGPU call's dispatches. */
async function same(name: string, args: Tensor[]): Promise<number> {
  const m = await load();
  const want = m[name](...args);
  const ex = webgpuExecutor()!;
  const g = args.map(gpu);
  const before = ex.stats.dispatches, cols = sjStats.fallbackColumns;
  const got = m[name](...g);
  const dispatches = ex.stats.dispatches - before;
  gpuColumns = sjStats.fallbackColumns - cols;
  if (process.env.JACC_SHOW_DISPATCHES) console.log(`${name} [${args.map((a) => a.shape.join("x")).join(", ")}]: ${dispatches} dispatches`);
  assert.ok(got.device === "webgpu", `${name}: the Jacobian stays on the device`);
  const back = (await readBack(got)) as Tensor;
  assert.equal(back.shape, want.shape, `${name}: shape`);
  const bad = mismatches(Array.from(back.data), Array.from(want.data), TOL);
  assert.ok(bad.length === 0, `${name}: ${bad.length} mismatch(es)\n  ${bad.slice(0, 5).join("\n  ")}`);
  return dispatches;
}

gpuTest(FILE, "tanh(W x): jacfwd, jacrev and jacobian on WebGPU = CPU, a handful of dispatches whatever n", async () => {
  for (const name of ["tanhFwd", "tanhRev", "tanhJac"]) {
    const counts: number[] = [];
    for (const n of [8, 64]) counts.push(await same(name, [cpu([n, n], 1, -0.3, 0.3), cpu([n], 2)]));
    assert.is(counts[0], counts[1], `${name}: dispatches independent of n (${counts})`);
    assert.ok(counts[1] <= 8, `${name}: ${counts[1]} dispatches`);
  }
});

gpuTest(FILE, "sin(x)·exp(x), exp(x).sum(1), logSoftmax: diagonal and reduced structures on WebGPU = CPU", async () => {
  const cases: [string, number[][]][] = [
    ["sinExpFwd", [[16], [128]]],
    ["sinExpRev", [[4, 4], [16, 8]]],
    ["expSumRev", [[3, 5], [12, 20]]],
    ["expSumJac", [[3, 5], [12, 20]]],
    ["logSoftmaxFwd", [[7], [60]]],
    ["logSoftmaxRev", [[2, 5], [6, 30]]],
  ];
  for (const [name, shapes] of cases) {
    const counts: number[] = [];
    for (const s of shapes) counts.push(await same(name, [cpu(s, 3)]));
    assert.is(counts[0], counts[1], `${name}: dispatches independent of n (${counts})`);
    assert.ok(counts[1] <= 16, `${name}: ${counts[1]} dispatches`);
  }
});

gpuTest(FILE, "grad and jacrev of a sum or mean on WebGPU = CPU, with no m×n identity (n = 65536 would need 16 GiB)", async () => {
  for (const name of ["gradSum", "gradMean", "jacrevSum", "jacrevMean"]) {
    const counts: number[] = [];
    for (const n of [10, 1 << 16]) counts.push(await same(name, [cpu([n], 4)]));
    assert.is(counts[0], counts[1], `${name}: dispatches independent of n (${counts})`);
  }
  // grad through a matmul: its one reverse sweep (the structured path's dense tangent of A@B wrt A is 16384 × 16384)
  const d = await same("gradMatmul", [cpu([128, 128], 5, -0.1, 0.1), cpu([128, 128], 6)]);
  assert.ok(d <= 12, `${d} dispatches`);
});

gpuTest(FILE, "an MLP's input Jacobian (jacrev, jacfwd), rows through x @ W, shape ops and cat on WebGPU = CPU", async () => {
  for (const name of ["mlpRev", "mlpFwd"]) {
    const counts: number[] = [];
    for (const [h, n] of [[6, 5], [40, 33]]) counts.push(await same(name, [cpu([h, n], 4, -0.5, 0.5), cpu([h], 5), cpu([3, h], 6, -0.5, 0.5), cpu([n], 7)]));
    assert.is(counts[0], counts[1], `${name}: dispatches independent of n (${counts})`);
  }
  await same("batchRows", [cpu([4, 3], 8), cpu([5, 4], 9)]);
  await same("shapes", [cpu([3, 2], 10)]);
  await same("joined", [cpu([5], 11)]);
});

gpuTest(FILE, "an op without a structured rule (a batched matmul's tangent) runs column by column: still = CPU", async () => {
  assert.ok((await same("clamped", [cpu([12], 12)])) <= 12 && gpuColumns === 0, "clamp's tangent is a product: structured");
  const mask = (n: number) => new Tensor(Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)), [n]);
  const picked = [await same("picked", [mask(12), cpu([12], 12)]), await same("picked", [mask(48), cpu([48], 12)])];
  assert.ok(picked[0] === picked[1] && picked[0] <= 16 && gpuColumns === 0, `where's tangent picks rows: structured (${picked})`);
  const row = [await same("rowVector", [cpu([4], 13), cpu([12], 14)]), await same("rowVector", [cpu([4], 13), cpu([40], 14)])];
  assert.ok(row[0] === row[1] && row[0] <= 12 && gpuColumns === 0, `a 1-D left operand of matmul: structured (${row})`);
  const d = await same("fallback", [cpu([2, 3, 12], 15), cpu([12], 12)]);
  assert.is(gpuColumns, 12, "the general path ran once per column");
  assert.ok(d > 12, `${d} dispatches: one per column at least`);
});

gpuTest(FILE, "inputs on two devices: a clear error naming the devices, not a wrong result", async () => {
  const m = await load();
  const W = cpu([4, 4], 40), x = cpu([4], 41);
  // x on the CPU (the CPU's structured path) with W on the device, and the other way round
  for (const call of [() => m.tanhFwd(gpu(W), x), () => m.tanhRev(W, gpu(x))]) {
    assert.throws(call, (e: Error) => e instanceof TypeError && /matmul: tensors are on different devices \(webgpu and cpu\)/.test(e.message));
  }
});

gpuTest(FILE, "matmul with an operand read transposed (the kernel's flags) = matmul of the transposed copy", async () => {
  registerAllKernels();
  const { matmul } = await import("../runtime/webgpu/ops.js");
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 3], [5, 4], true, false],
    [[3, 5], [4, 5], false, true],
    [[17, 33], [19, 17], true, true],
    [[2, 40, 18], [40, 21], true, false],
    [[18, 40], [3, 21, 40], false, true],
  ];
  for (const [as, bs, ta, tb] of cases) {
    const a = cpu(as, 20), b = cpu(bs, 21);
    const swap = (t: Tensor) => t.transpose(-1, -2);
    const want = (ta ? swap(a) : a).matmul(tb ? swap(b) : b);
    const got = (await readBack(matmul(gpu(a), gpu(b), "matmul", ta, tb))) as Tensor;
    assert.equal(got.shape, want.shape);
    const bad = mismatches(Array.from(got.data), Array.from(want.data), 1e-5);
    assert.ok(bad.length === 0, `[${as}]${ta ? "ᵀ" : ""} @ [${bs}]${tb ? "ᵀ" : ""}: ${bad.slice(0, 3).join("; ")}`);
  }
  assert.throws(() => matmul(gpu(cpu([3], 1)), gpu(cpu([3, 2], 2)), "matmul", true, false), /transposed operand needs 2 dims/);
});

gpuTest(FILE, "a matmul's reverse sweeps on WebGPU do not copy W: buffers per sweep stay small", async () => {
  const { adMatmulBackB } = await import("../runtime/ad.js");
  const ex = webgpuExecutor()!;
  const n = 64;
  const W = gpu(cpu([n, n], 30)), C = gpu(cpu([n], 31)), x = gpu(cpu([n], 32));
  adMatmulBackB(C, W, x); // pipelines and the pool's first buffers
  const created = ex.stats.buffersCreated, dispatches = ex.stats.dispatches;
  for (let i = 0; i < 20; i++) adMatmulBackB(C, W, x);
  assert.is(ex.stats.dispatches - dispatches, 20, "one matmul per sweep, no transpose copy");
  // every new buffer holds a column of n floats (or the parameters), none the n×n matrix
  assert.ok(ex.stats.buffersCreated - created <= 40, `${ex.stats.buffersCreated - created} buffers created`);
});

test.run();
