// Reductions and scans (issue 17 §3): norm, logsumexp, var, std, cumsum,
// cumprod, argmax, argmin. Runtime values against hand values (PyTorch's
// conventions: -inf / +inf in logsumexp, NaN in argmax, correction in var),
// bad arguments, derivatives at the kinks PyTorch defines (a zero norm, tied
// Infinity-norm extrema, zero variance, zeros in cumprod), vmap's batched path
// against the row loop, and WebGPU against the CPU. Finite-difference checks
// of every derivative at random points are in test/rules-tensor.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "jacc";
import { Tensor, webgpuExecutor } from "../runtime/internal.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { compileModule } from "../compiler/index.js";
import { compileAndImport, withPaths } from "./util/compile.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";

const f64 = (data: number[], shape: number[]) => new Tensor(Float64Array.from(data), shape);
const vals = (t: Tensor) => Array.from(t.data);
function close(a: Tensor, b: number[], shape: number[], tol = 1e-12, what = ""): void {
  assert.equal([...a.shape], shape, `${what} shape`);
  assert.equal(mismatches(vals(a), b, tol), [], `${what} values`);
}
const throwsWith = (f: () => unknown, kind: ErrorConstructor, re: RegExp) =>
  assert.throws(f, (e: Error) => e instanceof kind && re.test(e.message), String(re));

const X = () => f64([3, -4, 0, 1, 2, -2], [2, 3]);

test("norm: 2 (and fro), 1 and Infinity over all dims or some, keepdim", () => {
  const x = X();
  close(x.norm(), [Math.sqrt(34)], []);
  close(jt.norm(x, "fro", [0, 1]), [Math.sqrt(34)], []);
  close(x.norm(2, 1), [5, 3], [2]);
  close(x.norm(1, 0, true), [4, 6, 2], [1, 3]);
  close(x.norm(Infinity, -1), [4, 2], [2]);
  close(x.norm(Infinity), [4], []);
  close(f64([-2], []).norm(), [2], []);
  assert.is(jt.tensor([3, 4]).norm().dtype, "float32");
});

test("logsumexp: stable for large values; -inf and +inf slices as PyTorch", () => {
  close(f64([1, 2, 3, 4], [2, 2]).logsumexp(1), [2 + Math.log1p(Math.exp(-1)), 4 + Math.log1p(Math.exp(-1))], [2]);
  close(f64([1000, 1000], [2]).logsumexp(0), [1000 + Math.log(2)], []);
  close(f64([1, 2, 3, 4], [2, 2]).logsumexp([0, 1], true), [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4))], [1, 1]);
  close(f64([-Infinity, -Infinity, 1, Infinity], [2, 2]).logsumexp(1), [-Infinity, Infinity], [2]);
  assert.ok(Number.isNaN(f64([NaN, 1], [2]).logsumexp(0).data[0]));
  close(f64([2], []).logsumexp(0), [2], []);
});

test("var / std: correction (1 by default), keepdim; N <= correction gives NaN", () => {
  const x = f64([1, 2, 3, 4, 6, 8], [2, 3]);
  close(x.var(), [6.8], [], 1e-12);
  close(x.var(1), [1, 4], [2]);
  close(x.var(1, { correction: 0, keepdim: true }), [2 / 3, 8 / 3], [2, 1]);
  close(jt.std(x, 0), [Math.SQRT2 * 1.5, Math.SQRT2 * 2, Math.SQRT2 * 2.5], [3]);
  close(x.std(undefined, { correction: 0 }), [Math.sqrt(34 / 6)], []);
  assert.ok(Number.isNaN(f64([2], [1]).var().data[0]), "one element, correction 1: NaN");
  close(f64([2, 2], [2]).std(), [0], []);
});

test("cumsum / cumprod along a dim (zeros included); argmax / argmin (first on ties, NaN wins)", () => {
  const x = f64([1, 2, 3, 0, 5, 6], [2, 3]);
  close(x.cumsum(1), [1, 3, 6, 0, 5, 11], [2, 3]);
  close(jt.cumsum(x, 0), [1, 2, 3, 1, 7, 9], [2, 3]);
  close(x.cumprod(1), [1, 2, 6, 0, 0, 0], [2, 3]);
  close(x.cumprod(-2), [1, 2, 3, 0, 10, 18], [2, 3]);
  close(f64([2], []).cumsum(0), [2], []);
  const y = f64([1, 3, 3, NaN, 1, 2], [2, 3]);
  close(y.argmax(1), [1, 0], [2]);
  close(jt.argmin(y, 1, true), [0, 0], [2, 1]);
  close(y.argmax(), [3], []);
  close(f64([4, 1, 1, 5], [2, 2]).argmin(), [1], []);
  assert.is(y.argmax(0).dtype, "int32", "indices are int32 (PyTorch's are int64)");
});

test("bad arguments: TypeError / RangeError naming the op and the shape", () => {
  const x = X();
  throwsWith(() => x.norm(2, 2), RangeError, /^norm: dim 2 out of range for shape \[2,3\]/);
  throwsWith(() => x.norm(3), RangeError, /^norm: p must be 1, 2, Infinity or "fro", got 3 \(input \[2,3\]\)/);
  throwsWith(() => f64([1], [1, 1, 1]).norm("fro", [0, 1, 2]), RangeError, /^norm: "fro" takes at most 2 dims/);
  throwsWith(() => jt.norm(jt.tensor([true])), TypeError, /^norm: expected a float tensor, got a bool tensor of shape \[1\]/);
  throwsWith(() => (x as any).logsumexp(), TypeError, /^logsumexp: dim is required \(input \[2,3\]\)/);
  throwsWith(() => x.logsumexp(-3), RangeError, /^logsumexp: dim -3 out of range for shape \[2,3\]/);
  throwsWith(() => x.var(0, { correction: -1 }), RangeError, /^var: correction must be a finite number >= 0/);
  throwsWith(() => x.std(0, { unbiased: false } as any), TypeError, /^std: unknown option unbiased/);
  throwsWith(() => x.var(0, true as any), TypeError, /^var: options must be an object/);
  throwsWith(() => x.std([0, 0]), RangeError, /^std: dim 0 appears more than once/);
  throwsWith(() => (x as any).cumsum(), TypeError, /^cumsum: dim is required \(input \[2,3\]\)/);
  throwsWith(() => x.cumprod(5), RangeError, /^cumprod: dim 5 out of range for shape \[2,3\]/);
  throwsWith(() => x.argmax(2), RangeError, /^argmax: dim 2 out of range for shape \[2,3\]/);
  throwsWith(() => f64([], [0, 2]).argmin(0), RangeError, /^argmin: cannot take the argmin of an empty dim \(input \[0,2\]\)/);
  throwsWith(() => jt.cumsum("x" as any, 0), TypeError, /^cumsum: expected a Tensor for input, got/);
});

const KINKS = `
import { grad, jacrev, jacfwd, hessian, type Tensor } from "jacc";
export const n2 = grad((x: Tensor) => x.norm(2, 1).sum().item());
export const n2f = jacfwd((x: Tensor) => x.norm(2, 1));
export const n1 = grad((x: Tensor) => x.norm(1).item());
export const ninf = grad((x: Tensor) => x.norm(Infinity, 1).sum().item());
export const ninff = jacfwd((x: Tensor) => x.norm(Infinity, 1));
export const sd = grad((x: Tensor) => x.std().item());
export const lse = grad((x: Tensor) => x.logsumexp(0).item());
export const cp = grad((x: Tensor) => x.cumprod(0).sum().item());
export const cpf = jacfwd((x: Tensor) => x.cumprod(0));
export const cph = hessian((x: Tensor) => x.cumprod(0).sum().item());
export const cs = jacrev((x: Tensor) => x.cumsum(0));
export const am = grad((x: Tensor) => x.mul(x.argmax().add(1)).sum().item());
`;

test("derivatives at kinks as PyTorch 1.13: a zero norm (0), tied Infinity-norm extrema (split), zero variance (0), zeros in cumprod", async () => {
  const m = await compileAndImport(KINKS, "reductions-kinks");
  const x = f64([3, -3, 1, 0, 0, 0], [2, 3]);
  // (torch.norm(x, 2, 1).sum().backward(): the zero row's gradient is 0, not NaN)
  close(m.n2(x), [3 / Math.sqrt(19), -3 / Math.sqrt(19), 1 / Math.sqrt(19), 0, 0, 0], [2, 3], 1e-12, "2-norm");
  close(m.n2f(x), [3 / Math.sqrt(19), -3 / Math.sqrt(19), 1 / Math.sqrt(19), 0, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 3], 1e-12, "2-norm jacfwd");
  close(m.n1(x), [1, -1, 1, 0, 0, 0], [2, 3], 0, "1-norm");
  close(m.ninf(x), [0.5, -0.5, 0, 0, 0, 0], [2, 3], 0, "Infinity-norm ties");
  close(m.ninff(x), [0.5, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 3], 0, "Infinity-norm jacfwd");
  close(m.sd(f64([1, 1, 1], [3])), [0, 0, 0], [3], 0, "std at zero variance");
  assert.ok(vals(m.lse(f64([-Infinity, -Infinity], [2]))).every(Number.isNaN), "logsumexp of -inf: NaN gradient");
  // d/dx of Σ_k Π_{j<=k} x_j at [2, 0, 3]: [1 + x1 + x1 x2, x0 + x0 x2, x0 x1] = [1, 8, 0]
  const z = f64([2, 0, 3], [3]);
  close(m.cp(z), [1, 8, 0], [3], 0, "cumprod grad with a zero");
  close(m.cpf(z), [1, 0, 0, 0, 2, 0, 0, 6, 0], [3, 3], 0, "cumprod jacfwd with a zero");
  // Hessian of x0 + x0x1 + x0x1x2: [[0, 1 + x2, x1], [1 + x2, 0, x0], [x1, x0, 0]]
  close(m.cph(z), [0, 4, 0, 4, 0, 2, 0, 2, 0], [3, 3], 0, "cumprod hessian with a zero");
  close(m.cs(f64([1, 2, 3], [3])), [1, 0, 0, 1, 1, 0, 1, 1, 1], [3, 3], 0, "cumsum jacrev");
  // argmax is a constant to AD
  close(m.am(f64([1, 5, 2], [3])), [2, 2, 2], [3], 0, "argmax constant");
});

const VMAP = `
import { vmap, grad, type Tensor } from "jacc";
const loss = (x: Tensor) => x.norm().add(x.logsumexp(0).sum()).add(x.std(0).sum()).add(x.var(0, { correction: 0 }).sum()).add(x.cumprod(0).sum()).add(x.cumsum(1).norm(1, 1).sum()).add(x.norm(Infinity, 1).sum()).item();
export const r0 = (xs: Tensor) => vmap((x: Tensor) => x.norm(2, 1, true))(xs);
export const r1 = (xs: Tensor) => vmap((x: Tensor) => x.logsumexp([0, 1]))(xs);
export const r2 = (xs: Tensor) => vmap((x: Tensor) => x.var(0, { correction: 0, keepdim: true }).add(x.std()))(xs);
export const r3 = (xs: Tensor) => vmap((x: Tensor) => x.cumsum(-1).add(x.cumprod(0)))(xs);
export const r4 = (xs: Tensor) => vmap((x: Tensor) => x.argmax().add(x.argmin(1)))(xs);
export const r5 = (xs: Tensor) => vmap((x: Tensor) => x.norm(Infinity).add(x.norm(1, 0).sum()))(xs);
export const g0 = (xs: Tensor) => vmap(grad(loss))(xs);
`;

test("vmap: the batched path equals the row loop, vmap(grad) included", async () => {
  const fast = await compileAndImport(VMAP, "reductions-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(VMAP, "reductions-vmap-off"));
  const xs = f64([0.5, -1.2, 2, 0.3, 1.1, -0.7, 0.9, 0.2, -1.5, 1.7, 0.4, -0.6, 1.3, -0.2, 0.8, 2.1, -1.1, 0.6], [3, 2, 3]);
  for (const name of ["r0", "r1", "r2", "r3", "r4", "r5", "g0"]) {
    const a = fast[name](xs) as Tensor, b = slow[name](xs) as Tensor;
    assert.equal([...a.shape], [...b.shape], `${name}: shape`);
    assert.equal(mismatches(vals(a), vals(b), 1e-12), [], `${name}: batched == row loop`);
  }
});

test("a vmap of the new reductions takes the batched path", () => {
  const r = compileModule(VMAP, "/tmp/reductions-vmap-paths.ts", { target: "js" });
  assert.equal(r.diagnostics, []);
  assert.not.match(r.code, /vmap path: row loop \((?!for WebGPU arguments)/);
});

test("inside a differentiated function: literal orders, dims and options, each a located diagnostic otherwise", () => {
  const diag = (body: string) => {
    const src = `import { grad, type Tensor } from "jacc";\nexport const g = grad((x: Tensor, p: number) => ${body});\n`;
    const r = compileModule(src, "/tmp/reductions-diag.ts", { target: "js" });
    return r.diagnostics.map((d) => `${d.line}:${d.message}`).join("\n");
  };
  assert.match(diag("x.norm(3).item()"), '2:`norm` takes p = 1, 2, Infinity or "fro" as a literal');
  assert.match(diag("x.norm(p).item()"), '2:`norm` takes p = 1, 2, Infinity or "fro" as a literal');
  assert.match(diag("x.var(0, true).sum().item()"), "2:the options of `var` must be an object literal inside a differentiated function: { correction?: a number ≥ 0, keepdim?: a boolean }");
  assert.match(diag("x.std(0, { correction: p }).sum().item()"), "2:option `correction` of `std` must be a literal inside a differentiated function (a number ≥ 0)");
  assert.match(diag("x.std(0, { correction: -1 }).sum().item()"), "2:option `correction` of `std` must be a number ≥ 0, got -1");
  assert.match(diag("x.std(0, { keepDim: true }).sum().item()"), "2:unknown option `keepDim` of `std`");
  assert.match(diag("x.logsumexp().item()"), "2:`logsumexp` needs a dim");
  assert.match(diag("x.cumsum().sum().item()"), "2:`cumsum` is missing argument 1");
  assert.is(diag("x.norm(Infinity, [0], true).sum().item() + x.std(undefined, { correction: 0, keepdim: false }).item()"), "");
});

// ---------------------------------------------------------------- WebGPU
const FILE = "reductions";
const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

/** f on the CPU and on the device: same shape and values, with only the kernels RUNTIME_KERNELS lists for `ops`. */
async function same(ops: string, f: (x: Tensor) => Tensor, x: Tensor, tol = 1e-5): Promise<void> {
  const cpu = f(x);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const g = f(x.to("webgpu"));
  assert.is(g.device, "webgpu", `${ops}: on the device`);
  assert.equal([...g.shape], [...cpu.shape], `${ops}: shape`);
  assert.equal(mismatches(Array.from(await g.read()), vals(cpu), tol), [], `${ops}: values`);
  const allowed = ops.split("+").flatMap((op) => RUNTIME_KERNELS[op] ?? []);
  assert.equal([...ex.used].filter((k) => !allowed.includes(k)), [], `${ops}: kernels outside RUNTIME_KERNELS`);
}

const G = () => new Tensor(Float32Array.from([0.5, -1.2, 2, 0, 0, 0, 1.1, -0.7, 0.9, 0.2, 0, 1.7]), [2, 2, 3]);

it("norm, logsumexp, var, std, cumsum, cumprod, argmax, argmin on the device equal the CPU", async () => {
  const x = G();
  await same("norm", (t) => t.norm(), x);
  await same("norm", (t) => t.norm(2, [0, 2], true), x);
  await same("norm", (t) => t.norm(1, 1), x);
  await same("norm", (t) => t.norm(Infinity, -1), x);
  await same("logsumexp", (t) => t.logsumexp(2), x);
  await same("logsumexp", (t) => t.logsumexp([0, 1], true), x);
  await same("logsumexp", (t) => t.logsumexp(0), new Tensor(Float32Array.from([-Infinity, 1, -Infinity, Infinity]), [2, 2]));
  await same("var", (t) => t.var(), x);
  await same("var", (t) => t.var(1, { correction: 0, keepdim: true }), x);
  await same("std", (t) => t.std(2), x);
  for (const d of [0, 1, 2, -1]) {
    await same("cumsum", (t) => t.cumsum(d), x);
    await same("cumprod", (t) => t.cumprod(d), x);
  }
  const y = new Tensor(Float32Array.from([1, 3, 3, NaN, 1, 2, 4, 4, -1, 0, 5, 5]), [2, 2, 3]);
  for (const d of [0, 1, 2]) {
    await same("argmax", (t) => t.argmax(d), y);
    await same("argmin", (t) => t.argmin(d, true), y);
  }
  await same("argmax", (t) => t.argmax(), x);
  await same("argmin", (t) => t.argmin(), x);
});

const DEVICE = `
import { grad, jacfwd, hessian, type Tensor } from "jacc";
const loss = (x: Tensor) => x.norm().add(x.logsumexp(1).sum()).add(x.std(0).sum()).add(x.cumprod(1).sum()).add(x.cumsum(0).norm(Infinity)).add(x.var(1).sum()).item();
export const g = (x: Tensor) => grad(loss)(x);
export const jf = (x: Tensor) => jacfwd((x: Tensor) => x.cumprod(1).add(x.cumsum(0)))(x);
export const h = (x: Tensor) => hessian((x: Tensor) => x.cumprod(1).sum().item())(x);
`;

it("compiled derivatives of the reductions and scans run on the device as on the CPU (zeros in cumprod included)", async () => {
  const m = await compileAndImport(DEVICE, "reductions-device");
  const x = new Tensor(Float32Array.from([0.5, -1.2, 0, 0.3, 1.1, -0.7]), [2, 3]);
  for (const name of ["g", "jf", "h"]) {
    const cpu = m[name](x) as Tensor;
    const g = m[name](x.to("webgpu")) as Tensor;
    assert.is(g.device, "webgpu", name);
    assert.equal([...g.shape], [...cpu.shape], `${name}: shape`);
    assert.equal(mismatches(Array.from(await g.read()), vals(cpu), 1e-5), [], name);
  }
});

test.run();
