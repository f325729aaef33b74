// The movement ops of issue 17 §3 (flip roll repeat tile movedim unflatten
// broadcastTo expandAs clone diag diagonal trace tril triu, chunk split
// unbind): values against hand-worked ones, bad arguments as TypeError /
// RangeError naming the op and the shape, chunk / split / unbind destructured
// in compiled code (and the run-time error when a piece does not exist),
// vmap(grad) against the row loop, and every op, its backward helper and a
// compiled gradient on WebGPU against the CPU. Derivatives against finite
// differences are in test/rules-tensor.test.ts, PyTorch's values in
// fixtures/tensor/51_shape_ops.ts, vmap's batched path in test/vmap-batched.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "../runtime/internal.js";
import { Tensor, webgpuExecutor } from "../runtime/internal.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";
import { throwsWith } from "./runtime-assert.js";

const X = () => jt.arange(12, { dtype: "float64" }).reshape(3, 4);
const arr = (t: Tensor) => t.toArray();

test("values: flip roll repeat tile movedim unflatten broadcastTo expandAs clone", () => {
  const x = X();
  assert.equal(arr(x.flip(0)), [[8, 9, 10, 11], [4, 5, 6, 7], [0, 1, 2, 3]]);
  assert.equal(arr(jt.flip(x, [0, 1])), [[11, 10, 9, 8], [7, 6, 5, 4], [3, 2, 1, 0]]);
  assert.equal(arr(x.roll(1, 1)), [[3, 0, 1, 2], [7, 4, 5, 6], [11, 8, 9, 10]]);
  assert.equal(arr(x.roll([1, -1], [0, 1])), [[9, 10, 11, 8], [1, 2, 3, 0], [5, 6, 7, 4]]);
  assert.equal(arr(x.roll(5)), [[7, 8, 9, 10], [11, 0, 1, 2], [3, 4, 5, 6]]);
  assert.equal(arr(x.roll(-13, 1)), arr(x.roll(-1, 1)));
  assert.equal(arr(jt.tensor([1, 2]).repeat(2, 2)), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assert.equal([...jt.tensor([[1, 2]]).repeat(2, 1, 3).shape], [2, 1, 6]);
  assert.equal(arr(jt.tensor([[1], [2]]).tile([2])), [[1, 1], [2, 2]]);
  assert.equal(arr(jt.tensor([1, 2]).tile(2, 1)), [[1, 2], [1, 2]]);
  const c = jt.arange(24).reshape(2, 3, 4);
  assert.equal([...c.movedim(0, -1).shape], [3, 4, 2]);
  assert.equal(c.movedim(0, -1).toArray(), c.permute(1, 2, 0).toArray());
  assert.equal(c.movedim([0, 1], [2, 0]).toArray(), c.permute(1, 2, 0).toArray());
  assert.equal(arr(x.unflatten(1, [2, -1])), [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9], [10, 11]]]);
  assert.equal(arr(jt.tensor([1, 2]).broadcastTo(2, 2)), [[1, 2], [1, 2]]);
  assert.equal(arr(jt.tensor([[1], [2]]).expandAs(x.narrow(0, 0, 2).narrow(1, 0, 2))), [[1, 1], [2, 2]]);
  const k = x.clone();
  k.data[0] = 99;
  assert.is(x.data[0], 0, "clone copies");
  assert.is(x.flip(1).dtype, "float64");
  assert.is(jt.tensor([true, false]).flip(0).dtype, "bool");
});

test("values: diag diagonal trace tril triu", () => {
  const x = X();
  assert.equal(arr(jt.tensor([1, 2]).diag(1)), [[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
  assert.equal(arr(jt.tensor([1, 2]).diag(-1)), [[0, 0, 0], [1, 0, 0], [0, 2, 0]]);
  assert.equal(arr(x.diag()), [0, 5, 10]);
  assert.equal(arr(x.diag(-1)), [4, 9]);
  assert.equal(arr(x.diag(5)), []);
  assert.equal(arr(x.diagonal(1)), [1, 6, 11]);
  assert.equal(arr(jt.arange(8).reshape(2, 2, 2).diagonal(0, 1, 2)), [[0, 3], [4, 7]]);
  assert.equal(arr(jt.arange(8).reshape(2, 2, 2).diagonal(1, 0, -1)), [[1], [3]]);
  assert.is(x.trace().item(), 15);
  assert.equal([...x.trace().shape], []);
  assert.equal(arr(x.tril()), [[0, 0, 0, 0], [4, 5, 0, 0], [8, 9, 10, 0]]);
  assert.equal(arr(x.triu(1)), [[0, 1, 2, 3], [0, 0, 6, 7], [0, 0, 0, 11]]);
  assert.equal(arr(jt.arange(8).reshape(2, 2, 2).tril(-1)), [[[0, 0], [2, 0]], [[0, 0], [6, 0]]]);
  assert.equal(arr(x.triu(-1)), [[0, 1, 2, 3], [4, 5, 6, 7], [0, 9, 10, 11]]);
});

test("values: pad (constant mode; negative pads cut)", () => {
  const x = jt.arange(6).reshape(2, 3);
  assert.equal(arr(x.pad([1, 2])), [[0, 0, 1, 2, 0, 0], [0, 3, 4, 5, 0, 0]]);
  assert.equal(arr(jt.pad(x, [1, -1, -1, 1], 7)), [[7, 3, 4], [7, 7, 7]]);
  assert.equal(arr(x.pad([0, 0, 1, 0], -1)), [[-1, -1, -1], [0, 1, 2], [3, 4, 5]]);
});

test("values: indexSelect (indices as an array or a float tensor of integral values)", () => {
  const x = X();
  assert.equal(arr(x.indexSelect(1, [3, 0, 3])), [[3, 0, 3], [7, 4, 7], [11, 8, 11]]);
  assert.equal(arr(jt.indexSelect(x, 0, jt.tensor([2, -3]))), [[8, 9, 10, 11], [0, 1, 2, 3]]);
  assert.equal(arr(x.indexSelect(0, 1)), [[4, 5, 6, 7]]);
  const g = jt.adIndexSelectBackward(jt.onesLike(x.indexSelect(1, [3, 0, 3])), x, 1, [3, 0, 3]);
  assert.equal(arr(g), [[1, 0, 0, 2], [1, 0, 0, 2], [1, 0, 0, 2]]);
});

test("values: chunk split unbind (PyTorch's piece sizes)", () => {
  const sizes = (ts: Tensor[]) => ts.map((t) => t.shape[0]);
  assert.equal(sizes(jt.zeros(5).chunk(3)), [2, 2, 1]);
  assert.equal(sizes(jt.zeros(6).chunk(4)), [2, 2, 2]);
  assert.equal(sizes(jt.zeros(5).split(2)), [2, 2, 1]);
  assert.equal(jt.arange(6).split([1, 2, 3]).map(arr), [[0], [1, 2], [3, 4, 5]]);
  assert.equal(X().unbind(1).map(arr), [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
  assert.equal(X().chunk(2, 1).map(arr), [[[0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]);
});

test("bad arguments: TypeError / RangeError naming the op and the shape", () => {
  const x = X();
  throwsWith(() => x.flip(2), RangeError, "flip", "dim 2", "[3,4]");
  throwsWith(() => x.flip(0, 0), RangeError, "flip", "repeat", "[3,4]");
  throwsWith(() => x.flip(0.5), TypeError, "flip", "integer", "[3,4]");
  throwsWith(() => x.roll([1], [0, 1]), RangeError, "roll", "same length", "[3,4]");
  throwsWith(() => x.roll([1, 2]), RangeError, "roll", "without dims", "[3,4]");
  throwsWith(() => x.roll("1" as unknown as number, 0), TypeError, "roll", "shifts", "[3,4]");
  throwsWith(() => x.repeat(2), RangeError, "repeat", "at least one per dim", "[3,4]");
  throwsWith(() => x.repeat(2, -1), RangeError, "repeat", "non-negative", "[3,4]");
  throwsWith(() => x.tile(-1), RangeError, "tile", "non-negative", "[3,4]");
  throwsWith(() => x.movedim([0], [0, 1]), RangeError, "movedim", "same length", "[3,4]");
  throwsWith(() => x.movedim([0, 0], [0, 1]), RangeError, "movedim", "repeat", "[3,4]");
  throwsWith(() => x.unflatten(1, [3, 2]), RangeError, "unflatten", "size 4", "[3,4]");
  throwsWith(() => x.unflatten(2, [2, 2]), RangeError, "unflatten", "dim 2", "[3,4]");
  throwsWith(() => x.broadcastTo(2, 4), RangeError, "broadcastTo", "[3,4]", "[2,4]");
  throwsWith(() => x.expandAs(jt.zeros(3)), RangeError, "expandAs", "[3,4]", "[3]");
  throwsWith(() => x.expandAs(2 as unknown as Tensor), TypeError, "expandAs", "other");
  throwsWith(() => jt.clone([1] as unknown as Tensor), TypeError, "clone", "Tensor");
  throwsWith(() => jt.zeros(2, 2, 2).diag(), RangeError, "diag", "1-D or 2-D", "[2,2,2]");
  throwsWith(() => x.diag(0.5), TypeError, "diag", "integer", "[3,4]");
  throwsWith(() => jt.zeros(3).diagonal(), RangeError, "diagonal", "at least 2 dims", "[3]");
  throwsWith(() => x.diagonal(0, 1, -1), RangeError, "diagonal", "same dim", "[3,4]");
  throwsWith(() => jt.zeros(3).trace(), RangeError, "trace", "2-D", "[3]");
  throwsWith(() => jt.zeros(3).tril(), RangeError, "tril", "at least 2 dims", "[3]");
  throwsWith(() => x.triu(1.5), TypeError, "triu", "integer", "[3,4]");
  throwsWith(() => x.pad([1]), RangeError, "pad", "even number", "[3,4]");
  throwsWith(() => x.pad([-5, 0]), RangeError, "pad", "dim 1", "[3,4]");
  throwsWith(() => x.pad([1, 1], "0" as unknown as number), TypeError, "pad", "value", "[3,4]");
  throwsWith(() => x.indexSelect(1, [4]), RangeError, "indexSelect", "index 4", "[3,4]");
  throwsWith(() => x.indexSelect(1, jt.tensor([0.5])), TypeError, "indexSelect", "integers", "[3,4]");
  throwsWith(() => x.indexSelect(0, jt.zeros(1, 1)), RangeError, "indexSelect", "0-D or 1-D", "[3,4]");
  throwsWith(() => x.chunk(0), RangeError, "chunk", "positive", "[3,4]");
  throwsWith(() => x.split([1, 1]), RangeError, "split", "add up", "[3,4]");
  throwsWith(() => x.split(0), RangeError, "split", "positive", "[3,4]");
  throwsWith(() => jt.tensor(1).unbind(), RangeError, "unbind", "0-d");
  throwsWith(() => jt.adPiece(x, "chunk", 4, 0, 3), RangeError, "chunk", "gives 3 tensors", "tensor 3 does not exist", "[3,4]");
});

const PIECES = `
import { grad, jacrev, jacfwd, vjp, jvp, tensor, type Tensor } from "jacc";
export function f(x: Tensor): Tensor {
  const [a, b, c] = x.unbind(0);
  const [p, q] = x.chunk(2, 1);
  const parts = x.split([1, 3], 1);
  return a.mul(b).add(c.exp()).sum().add(p.mul(q).sum()).add(parts[1].sum(1).sum()).add(x.split(2, 1)[1].pow(2).sum());
}
export const g = grad(f);
export const jr = jacrev(f);
export const jf = jacfwd(f);
export const pull = (x: Tensor) => vjp(f, [x])[1](tensor(2, { dtype: "float64" }));
export const push = (x: Tensor, v: Tensor) => jvp(f, [x], [v])[1];
export const tooFew = grad((x: Tensor) => {
  const [a, b, c] = x.chunk(3);
  return a.sum().add(b.sum()).add(c.sum());
});
`;

test("chunk / split / unbind destructured and indexed in every marker: hand-worked gradients", async () => {
  const m = await compileAndImport(PIECES, "shape-ops-pieces");
  const x = jt.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, -0.6, 0.7, 0.8], [0.9, 1.0, -1.1, 1.2]], { dtype: "float64" });
  const xs = x.toArray() as number[][];
  // ∂/∂x of a·b + exp(c) (rows), p·q (columns 0-1 against 2-3), split [1, 3]: columns 1-3, split(2)[1]²: columns 2-3
  const want = xs.map((row, i) =>
    row.map((v, j) => {
      let d = i === 0 ? xs[1][j] : i === 1 ? xs[0][j] : Math.exp(v);
      d += j < 2 ? row[j + 2] : row[j - 2];
      if (j >= 1) d += 1;
      if (j >= 2) d += 2 * v;
      return d;
    }),
  );
  const close = (a: number[], b: number[], what: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${what}[${i}]: ${v} vs ${b[i]}`));
  close(Array.from((m.g(x) as Tensor).data), want.flat(), "grad");
  close(Array.from((m.jr(x) as Tensor).data), want.flat(), "jacrev");
  close(Array.from((m.jf(x) as Tensor).data), want.flat(), "jacfwd");
  // (the pullback gives one cotangent per primal)
  close(Array.from((m.pull(x) as Tensor[])[0].data), want.flat().map((v) => 2 * v), "vjp");
  const v = jt.onesLike(x);
  close([Number((m.push(x, v) as Tensor).item())], [want.flat().reduce((s, d) => s + d, 0)], "jvp");
  // three names for x.chunk(3) of a dim of 2: the third piece does not exist (PyTorch gives two)
  throwsWith(() => m.tooFew(jt.zeros(2, { dtype: "float64" })), RangeError, "chunk", "gives 2 tensors", "tensor 2 does not exist", "[2]");
  assert.equal(Array.from((m.tooFew(jt.zeros(3, { dtype: "float64" })) as Tensor).data), [1, 1, 1]);
});

// The shape of fixtures/fuzz-tensor/fuzz_72eac036e7.ts: the cotangents of the arm not taken are undefined at run
// time, and so are their tangents under hessian; every op must pass them on (tz. ops, compiler/ad/jvp.ts)
const ZERO_TANGENTS = `
import { hessian, type Tensor } from "jacc";
export function f(x: Tensor, y: Tensor): Tensor {
  let acc = x.sum().mul(0.5);
  if (acc.item() > 0) {
    acc = acc.add(acc.tanh());
  } else {
    const m = y.unflatten(0, [2, 3]);
    const [a, b] = m.unbind(0);
    const moved = m.flip(0).roll(1, 1).repeat(1, 2).tile([1]).movedim(0, 1).clone().diagonal().sum().add(m.broadcastTo(2, 2, 3).sum());
    const tri = m.narrow(1, 0, 2).tril().triu(-1).indexSelect(1, [1, 0]).trace().add(a.diag().sum()).add(b.expandAs(m).pad([1, 0]).sum()).add(y.chunk(2)[1].sum()).add(y.split([4, 2])[0].sum());
    acc = acc.add(moved.add(tri).tanh());
  }
  return acc.add(acc.mul(0.5));
}
export const h = hessian(f, { argnums: [0, 1] });
`;

test("hessian where one arm's cotangents are undefined at run time: every op passes the undefined tangents on", async () => {
  const m = await compileAndImport(ZERO_TANGENTS, "shape-ops-zero-tangents");
  const y = jt.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], { dtype: "float64" });
  for (const x of [jt.tensor([0.2, 0.3], { dtype: "float64" }), jt.tensor([-0.2, -0.3], { dtype: "float64" })]) {
    const H = m.h(x, y) as Tensor[][];
    assert.equal([...H[1][1].shape], [6, 6]);
    for (const block of H.flat()) assert.ok(Array.from(block.data).every(Number.isFinite));
  }
  // the arm taken at x = [0.2, 0.3] reads only x: y's blocks are zeros
  const H = m.h(jt.tensor([0.2, 0.3], { dtype: "float64" }), y) as Tensor[][];
  assert.ok(Array.from(H[1][1].data).every((v) => v === 0));
  const s = 0.25, th = Math.tanh(s);
  // d²/dx_i dx_j of 1.5 (s + tanh s), s = (x0 + x1) / 2: 1.5 · tanh''(s) / 4
  const want = (1.5 * -2 * th * (1 - th * th)) / 4;
  assert.equal(mismatches(Array.from(H[0][0].data), [want, want, want, want], 1e-12), []);
});

const VMAP_GRAD = `
import { vmap, grad, type Tensor } from "jacc";
export function loss(x: Tensor, w: Tensor): Tensor {
  const m = x.unflatten(0, [2, 3]);
  const [a, b] = m.unbind(0);
  const c = x.chunk(3)[2].add(x.split([4, 2])[1]).add(x.unflatten(0, [3, 2]).diagonal(0, 0, 1).sum());
  const t = m.matmul(m.t()).add(w.diag());
  return t.tril().exp().sum().add(t.trace()).add(a.flip(0).roll(1, 0).mul(b).sum()).add(m.repeat(1, 2).tile([2, 1]).diagonal(1).pow(2).sum()).add(w.broadcastTo(3, 2).movedim(0, 1).triu().sum()).add(c.mul(w).sum()).add(x.diag(1).pow(2).sum()).add(x.pad([1, -2], 0.5).exp().sum());
}
export const pg = vmap(grad(loss), { inDims: [0, null] });
`;

test("vmap(grad) through the movement ops: batched (their backward helpers too), and agrees with the row loop", async () => {
  const code = compileOrThrow(VMAP_GRAD, "shape-ops-vmap.ts").code;
  assert.match(code, "vmap path: batched (one op call per batch)");
  assert.not.match(code, /vmap path: row loop \((?!for WebGPU arguments)/);
  const xs = jt.rand([4, 6], { dtype: "float64" }).sub(0.5);
  const w = jt.tensor([0.3, -0.2], { dtype: "float64" });
  const fast = await compileAndImport(VMAP_GRAD, "shape-ops-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(VMAP_GRAD, "shape-ops-vmap-off"));
  const a = fast.pg(xs, w) as Tensor, b = slow.pg(xs, w) as Tensor;
  assert.equal([...a.shape], [4, 6]);
  assert.equal(mismatches(Array.from(a.data), Array.from(b.data), 1e-12), []);
});

// ---- WebGPU
const FILE = "shape-ops";
const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

function vals(shape: number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    d[i] = -2 + (s / 2147483648) * 4;
  }
  return new Tensor(d, shape);
}

type V = Tensor | Tensor[];
/** f on CPU tensors and on their WebGPU copies: same shapes and values, and only the kernels RUNTIME_KERNELS lists for `fn`. */
async function same(fn: string, f: (...a: any[]) => V, args: unknown[]): Promise<void> {
  const cpu = f(...args);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const g = f(...args.map((a) => (a instanceof Tensor ? a.to("webgpu") : a)));
  const list = (v: V) => (Array.isArray(v) ? v : [v]);
  assert.is(list(g).length, list(cpu).length, `${fn}: count`);
  for (const [i, t] of list(g).entries()) {
    const c = list(cpu)[i];
    assert.is(t.device, "webgpu", `${fn}: on the device`);
    assert.equal([...t.shape], [...c.shape], `${fn}: shape`);
    assert.is(t.dtype, c.dtype === "float64" ? "float32" : c.dtype, `${fn}: dtype`);
    assert.equal(mismatches(Array.from(await t.read()), Array.from(c.data), 1e-6), [], `${fn}: values`);
  }
  const allowed = RUNTIME_KERNELS[fn];
  assert.ok(allowed, `${fn} has a RUNTIME_KERNELS entry`);
  assert.equal([...ex.used].filter((k) => !allowed.includes(k)), [], `${fn}: kernels outside its RUNTIME_KERNELS entry`);
}

it("every movement op on WebGPU agrees with the CPU, odd and empty shapes included", async () => {
  const x = vals([3, 4, 5]);
  await same("flip", (t: Tensor) => t.flip(0, 2), [x]);
  await same("roll", (t: Tensor) => t.roll([2, -7], [1, 2]), [x]);
  await same("roll", (t: Tensor) => t.roll(7), [x]);
  await same("repeat", (t: Tensor) => t.repeat(2, 1, 3, 1), [x]);
  await same("tile", (t: Tensor) => t.tile([2, 1]), [x]);
  await same("movedim", (t: Tensor) => t.movedim([0, 2], [1, 0]), [x]);
  await same("unflatten", (t: Tensor) => t.unflatten(2, [5, 1]), [x]);
  await same("broadcastTo", (t: Tensor) => t.broadcastTo(2, 3, 4, 5), [x]);
  await same("expandAs", (t: Tensor, o: Tensor) => t.expandAs(o), [vals([4, 1]), x]);
  await same("clone", (t: Tensor) => t.clone(), [x]);
  await same("diag", (t: Tensor) => t.diag(-2), [vals([7])]);
  await same("diag", (t: Tensor) => t.diag(1), [vals([3, 4])]);
  await same("diagonal", (t: Tensor) => t.diagonal(-1, 2, 0), [x]);
  await same("trace", (t: Tensor) => t.trace(), [vals([4, 3])]);
  await same("tril", (t: Tensor) => t.tril(1), [x]);
  await same("triu", (t: Tensor) => t.triu(-1), [x]);
  await same("pad", (t: Tensor) => t.pad([1, -2, 0, 2], 0.5), [x]);
  await same("tril", (t: Tensor) => t.tril(), [x.gt(0)]); // a mask stays a mask
  await same("indexSelect", (t: Tensor) => t.indexSelect(1, [2, 0, -1, 2]), [x]);
  await same("indexSelect", (t: Tensor) => t.indexSelect(0, jt.tensor([2, 0])), [x]); // (a CPU index)
  throwsWith(() => x.to("webgpu").indexSelect(0, jt.tensor([0]).to("webgpu")), TypeError, "indexSelect", "webgpu", "[3,4,5]");
  await same("chunk", (t: Tensor) => t.chunk(2, 2), [x]);
  await same("split", (t: Tensor) => t.split([1, 3], 1), [x]);
  await same("unbind", (t: Tensor) => t.unbind(-1), [x]);
  await same("flip", (t: Tensor) => t.flip(0), [vals([0, 3])]);
  await same("repeat", (t: Tensor) => t.repeat(0, 2), [vals([2, 3])]);
});

it("the backward helpers on WebGPU agree with the CPU", async () => {
  const x = vals([3, 4]);
  await same("adRepeatBackward", (ct: Tensor, t: Tensor) => jt.adRepeatBackward(ct, t, [2, 1, 3], false), [vals([2, 3, 12]), x]);
  await same("adRepeatBackward", (ct: Tensor, t: Tensor) => jt.adRepeatBackward(ct, t, [2], true), [vals([3, 8]), x]);
  await same("adDiagonalBackward", (ct: Tensor, t: Tensor) => jt.adDiagonalBackward(ct, t, 1, 0, 1), [vals([3]), x]);
  await same("adDiagBackward", (ct: Tensor, t: Tensor) => jt.adDiagBackward(ct, t, -1), [vals([6, 6]), vals([5])]);
  await same("adTraceBackward", (ct: Tensor, t: Tensor) => jt.adTraceBackward(ct, t), [vals([]), x]);
  await same("adPiece", (t: Tensor) => jt.adPiece(t, "split", 3, 1, 1), [x]);
  await same("adIndexSelectBackward", (ct: Tensor, t: Tensor) => jt.adIndexSelectBackward(ct, t, 1, [3, 0, 3]), [vals([3, 3]), x]);
  await same("adPieceBackward", (ct: Tensor, t: Tensor) => jt.adPieceBackward(ct, t, "unbind", undefined, 0, 2), [vals([4]), x]);
});

const GPU_GRAD = `
import { grad, jacrev, type Tensor } from "jacc";
export function f(x: Tensor): Tensor {
  const [a, b] = x.chunk(2, 1);
  return x.flip(0).roll(1, 1).mul(x.tril()).exp().sum().add(x.repeat(2, 1).diagonal().sum()).add(a.mul(b).sum()).add(x.narrow(1, 0, 3).trace());
}
export const g = grad(f);
export const j = jacrev((x: Tensor) => x.movedim(0, 1).triu().tile([2]).mul(x.t().tile([2])).unflatten(1, [2, 3]).sum(1));
`;

it("a compiled gradient through the movement ops on WebGPU agrees with the CPU", async () => {
  const m = await compileAndImport(GPU_GRAD, "shape-ops-gpu");
  const x = vals([3, 4], 3);
  for (const fn of ["g", "j"]) {
    const cpu = m[fn](x) as Tensor;
    const g = m[fn](x.to("webgpu")) as Tensor;
    assert.is(g.device, "webgpu", fn);
    assert.equal([...g.shape], [...cpu.shape], fn);
    assert.equal(mismatches(Array.from(await g.read()), Array.from(cpu.data), 1e-4), [], fn);
  }
});

test.run();
