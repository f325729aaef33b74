// gather / scatter / scatterAdd / maskedSelect (issue 17 §3): values and bad arguments at run
// time, a located diagnostic for a misplaced argument, maskedSelect's run-time length inside the
// markers, PyTorch's src gradient where scatter's indices repeat, vmap(grad) batched, and WebGPU
// (gather and scatterAdd run there; scatter and maskedSelect are CPU only). The derivatives at
// random points are in test/rules-tensor.test.ts; PyTorch's values in fixtures/tensor/64_gather_scatter.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "../runtime/internal.js";
import { Tensor, webgpuExecutor } from "../runtime/internal.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";
import { tensorIs, throwsWith } from "./runtime-assert.js";

const f64 = (d: jt.NestedData) => jt.tensor(d, { dtype: "float64" });
const x = f64([[1, 2, 3], [4, 5, 6]]);

test("values: gather, scatter (a tensor or a number), scatterAdd (repeats add up), maskedSelect (broadcast)", () => {
  const I = f64([[2, 0], [1, 1]]);
  tensorIs(x.gather(1, I), [2, 2], "float64", [[3, 1], [5, 5]]);
  tensorIs(jt.gather(x, 0, f64([[1, 0, 1]])), [1, 3], "float64", [[4, 2, 6]]);
  tensorIs(x.scatter(1, I, f64([[10, 20], [30, 40]])), [2, 3], "float64", [[20, 2, 10], [4, 40, 6]]);
  tensorIs(jt.scatter(x, 1, I, -1), [2, 3], "float64", [[-1, 2, -1], [4, -1, 6]]);
  // src larger than the index: its leading corner is used
  tensorIs(x.scatterAdd(1, I, f64([[10, 20, 99], [30, 40, 99]])), [2, 3], "float64", [[21, 2, 13], [4, 75, 6]]);
  tensorIs(jt.scatterAdd(x, 0, f64([[0, 0, 0]]), f64([[1, 1, 1]])), [2, 3], "float64", [[2, 3, 4], [4, 5, 6]]);
  tensorIs(x.maskedSelect(x.gt(2.5)), [4], "float64", [3, 4, 5, 6]);
  tensorIs(jt.maskedSelect(x, jt.tensor([true, false, true])), [4], "float64", [1, 3, 4, 6]);
  tensorIs(jt.maskedSelect(f64([1, 2]), jt.tensor([[true, false], [false, true]])), [2], "float64", [1, 2]); // (the input broadcast by the mask)
  tensorIs(x.maskedSelect(x.gt(9)), [0], "float64", []);
  tensorIs(x.gather(1, jt.zeros([2, 0], { dtype: "float64" })), [2, 0], "float64", [[], []]);
  // the index is read, never written: x and I are unchanged
  assert.equal(x.toArray(), [[1, 2, 3], [4, 5, 6]]);
});

test("bad arguments: a TypeError or RangeError naming the op, the index value and the shapes", () => {
  const I = f64([[2, 0], [1, 1]]);
  throwsWith(() => x.gather(1, f64([[0.5, 0], [1, 1]])), RangeError, "gather", "index value 0.5 is not an integer", "[2,3]", "[2,2]");
  throwsWith(() => x.gather(1, f64([[3, 0], [1, 1]])), RangeError, "gather", "index value 3 is out of range [0, 3) along dim 1", "[2,3]", "[2,2]");
  throwsWith(() => x.gather(0, f64([[-1, 0, 0]])), RangeError, "gather", "index value -1", "[0, 2)");
  throwsWith(() => x.gather(1, f64([0, 1])), RangeError, "gather", "as many dims as the input", "[2,3]", "[2]");
  throwsWith(() => x.gather(1, f64([[0], [0], [0]])), RangeError, "gather", "larger than the input along dim 0", "[3,1]");
  throwsWith(() => x.gather(2, I), RangeError, "gather", "dim 2 out of range", "[2,3]");
  throwsWith(() => x.gather(1, [[0]] as never), TypeError, "gather", "index must be a Tensor", "[2,3]");
  throwsWith(() => x.gather(1, jt.tensor([[true], [false]])), TypeError, "gather", "bool tensor", "int32");
  throwsWith(() => x.scatter(1, I, f64([[1], [2]])), RangeError, "scatter", "larger than src along dim 1", "src shape [2,1]");
  throwsWith(() => x.scatter(1, I, "1" as never), TypeError, "scatter", "src");
  throwsWith(() => x.scatterAdd(1, I, 1 as never), TypeError, "scatterAdd", "src");
  throwsWith(() => x.scatterAdd(1, f64([[7]]), f64([[1]])), RangeError, "scatterAdd", "index value 7", "[2,3]");
  throwsWith(() => x.maskedSelect(x), TypeError, "maskedSelect", "bool mask", "[2,3]");
  throwsWith(() => x.maskedSelect(jt.tensor([true, false])), RangeError, "maskedSelect", "[2,3]", "[2]");
  throwsWith(() => jt.maskedSelect(1 as never, x.gt(0)), TypeError, "maskedSelect", "input");
});

test("a misplaced argument inside a differentiated function is a located diagnostic", () => {
  const src = `import { grad, type Tensor } from "jacc";\nconst I = [0];\nexport const g = grad((x: Tensor) => x.scatter(0, I).sum());\n`;
  assert.throws(() => compileOrThrow(src, "scatter-arity.ts"), (e: Error) => /scatter-arity\.ts:3:\d+/.test(e.message) && /`scatter` needs 1 operand\(s\) after its 2 integer argument\(s\)/.test(e.message));
});

const MARKERS = `
import { grad, jacrev, jacfwd, hessian, vjp, jvp, tensor, maskedSelect, scatter, type Tensor } from "jacc";
export const sel = (x: Tensor) => maskedSelect(x, x.gt(0)).exp();
export const jr = jacrev(sel);
export const jf = jacfwd(sel);
export const g = grad((x: Tensor) => sel(x).sum());
export const h = hessian((x: Tensor) => sel(x).sum());
export const pull = (x: Tensor, ct: Tensor) => vjp(sel, [x])[1](ct)[0];
export const push = (x: Tensor, v: Tensor) => jvp(sel, [x], [v])[1];
export const pullRaw = (x: Tensor, ct: Tensor) => vjp((v: Tensor) => v.maskedSelect(v.gt(0)), [x])[1](ct)[0];
// repeated indices: src's derivative is PyTorch's backward rule in both modes (every src entry aimed
// at a place gets its gradient, though one write wins); the input's and a number src's are exact
const I = tensor([[1, 1]], { dtype: "float64" });
const dupF = (x: Tensor, s: Tensor) => scatter(x, 1, I, s).mul(tensor([[1, 2, 3]], { dtype: "float64" })).sum();
export const dupRev = jacrev(dupF, { argnums: [0, 1] });
export const dupFwd = jacfwd(dupF, { argnums: [0, 1] });
export const dupNum = grad((x: Tensor, v: number) => x.scatter(1, I, v).sum(), { argnums: [0, 1] });
`;

test("maskedSelect's length is read at run time: Jacobians sized by the data, in every marker", async () => {
  const m = await compileAndImport(MARKERS, "gather-scatter-markers");
  const a = f64([[0.5, -1, 2], [-0.3, 0.1, -2]]);
  const b = f64([[-0.5, -1, -2], [-0.3, -0.1, 0.2]]);
  // three entries selected, then one: the Jacobian is [k, 2, 3]
  const J = m.jr(a) as Tensor;
  assert.equal([...J.shape], [3, 2, 3]);
  assert.equal([...(m.jf(a) as Tensor).shape], [3, 2, 3]);
  assert.equal(mismatches(Array.from(J.data), Array.from((m.jf(a) as Tensor).data), 1e-12), []);
  const rows = [[0, 0], [0, 2], [1, 1]].map(([i, j], k) => {
    const r = new Array(6).fill(0);
    r[i * 3 + j] = Math.exp([0.5, 2, 0.1][k]);
    return r;
  });
  assert.equal(mismatches(Array.from(J.data), rows.flat(), 1e-12), []);
  assert.equal([...(m.jr(b) as Tensor).shape], [1, 2, 3]);
  assert.equal([...(m.jr(f64([[-1, -1, -1], [-1, -1, -1]])) as Tensor).shape], [0, 2, 3]);
  tensorIs(m.g(a) as Tensor, [2, 3], "float64", [[Math.exp(0.5), 0, Math.exp(2)], [0, Math.exp(0.1), 0]]);
  // one entry selected at b ([1, 2]): the Hessian is exp(0.2) at ([1, 2], [1, 2]), zero elsewhere
  const H = m.h(b) as Tensor;
  assert.equal([...H.shape], [2, 3, 2, 3]);
  assert.equal(mismatches(Array.from(H.data), Array.from({ length: 36 }, (_, k) => (k === 35 ? Math.exp(0.2) : 0)), 1e-12), []);
  tensorIs(m.pull(a, f64([1, 2, 3])) as Tensor, [2, 3], "float64", [[Math.exp(0.5), 0, 2 * Math.exp(2)], [0, 3 * Math.exp(0.1), 0]]);
  tensorIs(m.push(a, jt.onesLike(a)) as Tensor, [3], "float64", [Math.exp(0.5), Math.exp(2), Math.exp(0.1)]);
  throwsWith(() => m.pullRaw(a, f64([1, 2])), RangeError, "maskedSelect", "3 entries", "[2]");
  const [dx, ds] = m.dupRev(f64([[0, 0, 0]]), f64([[5, 6]])) as Tensor[];
  tensorIs(dx, [1, 3], "float64", [[1, 0, 3]]);
  tensorIs(ds, [1, 2], "float64", [[2, 2]]);
  const [fx, fs] = m.dupFwd(f64([[0, 0, 0]]), f64([[5, 6]])) as Tensor[];
  tensorIs(fx, [1, 3], "float64", [[1, 0, 3]]);
  tensorIs(fs, [1, 2], "float64", [[2, 2]]);
  const [nx, nv] = m.dupNum(f64([[0, 0, 0]]), 0.5) as [Tensor, Tensor];
  tensorIs(nx, [1, 3], "float64", [[1, 0, 1]]);
  assert.is(Number(nv instanceof Tensor ? nv.item() : nv), 1); // the place written twice counts once
});

const VMAP_GRAD = `
import { vmap, grad, tensor, type Tensor } from "jacc";
const I = tensor([[2, 0, 2], [1, 1, 0]], { dtype: "float64" }), U = tensor([[1, 0, 1], [0, 1, 0]], { dtype: "float64" });
const M = tensor([[true, false, true], [false, true, true]]);
export function loss(x: Tensor, w: Tensor): Tensor {
  const a = x.gather(1, I).exp().mul(w);
  const b = x.scatter(0, U, w.sin()).mul(x).sum().add(x.scatter(1, I, 0.5).pow(2).sum());
  const c = x.scatterAdd(1, I, w.mul(x)).tanh().sum();
  return a.sum().add(b).add(c).add(x.maskedSelect(M).exp().sum());
}
export const pg = vmap(grad(loss, { argnums: [0, 1] }), { inDims: [0, null] });
// a batched index (each example its own)
export const bi = vmap((x: Tensor, i: Tensor) => x.gather(1, i).mul(x.scatterAdd(1, i, x.exp()).sum()), { inDims: [0, 0] });
export const bg = vmap(grad((x: Tensor, i: Tensor) => x.gather(1, i).exp().sum()), { inDims: [0, 0] });
// each example's mask differs: its result's length too, so the row loop runs
export const rows = vmap((x: Tensor) => x.maskedSelect(x.gt(0)).sum());
`;

test("vmap(grad) through gather / scatter / scatterAdd / maskedSelect: batched, and agrees with the row loop", async () => {
  const code = compileOrThrow(VMAP_GRAD, "gather-scatter-vmap.ts").code;
  assert.match(code, "vmap path: batched (one op call per batch)");
  assert.match(code, "row loop ('maskedSelect': 'maskedSelect' with a batched mask: each example's result has its own length)");
  const xs = jt.rand([4, 2, 3], { dtype: "float64" }).sub(0.5);
  const w = f64([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]);
  const fast = await compileAndImport(VMAP_GRAD, "gather-scatter-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(VMAP_GRAD, "gather-scatter-vmap-off"));
  const [a, aw] = fast.pg(xs, w) as Tensor[], [b, bw] = slow.pg(xs, w) as Tensor[];
  assert.equal([...a.shape], [4, 2, 3]);
  assert.equal(mismatches(Array.from(a.data), Array.from(b.data), 1e-12), []);
  assert.equal(mismatches(Array.from(aw.data), Array.from(bw.data), 1e-12), []);
  const xi = xs.narrow(0, 0, 3), idx = f64([[[0, 2], [1, 1]], [[2, 2], [0, 1]], [[1, 0], [0, 0]]]);
  for (const k of ["bi", "bg"]) {
    const p = fast[k](xi, idx) as Tensor, q = slow[k](xi, idx) as Tensor;
    assert.equal([...p.shape], [...q.shape], k);
    assert.equal(mismatches(Array.from(p.data), Array.from(q.data), 1e-12), [], k);
  }
  const r = fast.rows(f64([[1, -2, 3], [-1, -1, -1]])) as Tensor;
  tensorIs(r, [2], "float64", [4, 0]);
});

// ---- WebGPU
const FILE = "gather-scatter";
const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

/** f on CPU tensors and on their WebGPU copies (a CPU index, checked and uploaded): same shapes and values, only the kernels RUNTIME_KERNELS lists for `fn`. */
async function same(fn: string, f: (...a: Tensor[]) => Tensor, args: Tensor[]): Promise<void> {
  const cpu = f(...args);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const g = f(...args.map((a) => a.to("webgpu")));
  assert.is(g.device, "webgpu", `${fn}: on the device`);
  assert.equal([...g.shape], [...cpu.shape], `${fn}: shape`);
  assert.equal(mismatches(Array.from(await g.read()), Array.from(cpu.data), 1e-6), [], `${fn}: values`);
  assert.equal([...ex.used].filter((k) => !RUNTIME_KERNELS[fn].includes(k)), [], `${fn}: kernels outside its RUNTIME_KERNELS entry`);
}

it("gather and scatterAdd on WebGPU agree with the CPU; scatter and maskedSelect are CPU only", async () => {
  const x32 = jt.rand([3, 4]), s32 = jt.rand([3, 5]);
  const I = f64([[3, 0, 3], [1, 1, 2], [0, 2, 2]]);
  await same("gather", (t) => t.gather(1, I), [x32]);
  await same("gather", (t) => t.gather(0, f64([[2, 0, 1, 2], [1, 1, 0, 0]])), [x32]);
  await same("scatterAdd", (t, s) => t.scatterAdd(1, I, s), [x32, s32]);
  await same("scatterAdd", (t, s) => t.scatterAdd(0, f64([[2, 0], [1, 1], [0, 2]]), s), [x32, s32]);
  const g = x32.to("webgpu");
  // an index on the device: read by the kernel; a bad value there cannot be thrown, it gives NaN
  const Id = I.to("float32").to("webgpu");
  assert.equal(mismatches(Array.from(await g.gather(1, Id).read()), Array.from(x32.gather(1, I).data), 1e-6), []);
  assert.equal(mismatches(Array.from(await g.scatterAdd(1, Id, s32.to("webgpu")).read()), Array.from(x32.scatterAdd(1, I, s32).data), 1e-6), []);
  const bad = jt.tensor([[3, 0.5, 4]]).to("webgpu");
  assert.equal(Array.from(await g.gather(1, bad).read()).map(Number.isNaN), [false, true, true]);
  assert.ok(Array.from(await g.scatterAdd(1, bad, s32.to("webgpu")).read()).every(Number.isNaN));
  throwsWith(() => g.gather(1, jt.zeros([3]).to("webgpu")), RangeError, "gather", "as many dims", "[3,4]");
  throwsWith(() => x32.gather(1, Id), TypeError, "gather", "different devices");
  throwsWith(() => g.scatter(1, I, 0.5), TypeError, /^scatter: expected tensors on the cpu device, got webgpu/);
  throwsWith(() => g.maskedSelect(g.gt(0.5)), TypeError, /^maskedSelect: expected tensors on the cpu device, got webgpu/);
});

const GPU_GRAD = `
import { grad, tensor, type Tensor } from "jacc";
const I = tensor([[3, 0, 3], [1, 1, 2]], { dtype: "float64" });
export const g = grad((x: Tensor, s: Tensor) => x.gather(1, I).exp().sum().add(x.scatterAdd(1, I, s.mul(s)).sin().sum()), { argnums: [0, 1] });
`;

it("grad through gather and scatterAdd runs on WebGPU and agrees with the CPU", async () => {
  const m = await compileAndImport(GPU_GRAD, "gather-scatter-gpu");
  const x = jt.rand([2, 4]), s = jt.rand([2, 3]);
  const cpu = m.g(x, s) as Tensor[];
  const gpu = m.g(x.to("webgpu"), s.to("webgpu")) as Tensor[];
  for (const [k, t] of gpu.entries()) {
    assert.is(t.device, "webgpu");
    assert.equal(mismatches(Array.from(await t.read()), Array.from(cpu[k].data), 1e-5), []);
  }
});

test.run();
