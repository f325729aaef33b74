// Arrays of Tensors as differentiated inputs (issue 17 §1; runtime/tensor-list.ts):
// the values are fixtures/tensor/68_tensor_lists.ts against PyTorch. Here: an
// empty array, the TypeErrors naming a bad element or tangent, the same numbers
// on WebGPU, and the constructs that stay diagnostics.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../runtime/index.js";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { gpuTest, registerAllKernels } from "./util/webgpu.js";
import { throwsWith } from "./runtime-assert.js";

const MLP = `import { grad, jvp, tensor, type Tensor } from "jacc";
export function mlp(Ws: Tensor[], x: Tensor): Tensor {
  let h = x;
  for (const W of Ws) h = h.matmul(W).tanh();
  return h.sum();
}
export const g = grad(mlp);
export const t = (Ws: Tensor[], x: Tensor, dWs: Tensor[]) => jvp(mlp, [Ws, x], [dWs, x.mul(0)]);
`;
let mod: any;
const load = async () => (mod ??= await compileAndImport(MLP, "tensor-lists-mlp"));
const W1 = () => tensor([[0.1, 0.2], [0.3, -0.4]], { dtype: "float64" }), W2 = () => tensor([[0.5], [-0.6]], { dtype: "float64" });
const X = () => tensor([[1, 2]], { dtype: "float64" });

test("an empty array: no pieces, an empty gradient", async () => {
  const m = await load();
  assert.equal(m.g([], X()), []);
});

test("central differences agree with grad piece by piece", async () => {
  const m = await load();
  const Ws = [W1(), W2()];
  const got: Tensor[] = m.g(Ws, X());
  const f = (ws: Tensor[]) => (m.mlp(ws, X()) as Tensor).item();
  const h = 1e-6;
  Ws.forEach((W, p) => {
    for (let i = 0; i < W.numel(); i++) {
      const bump = (d: number) => Ws.map((V, q) => (q !== p ? V : tensor(Array.from(V.data, (v, j) => (j === i ? v + d : v)), { dtype: "float64" }).reshape([...V.shape])));
      const fd = (f(bump(h)) - f(bump(-h))) / (2 * h);
      assert.ok(Math.abs(got[p].data[i] - fd) < 1e-8, `piece ${p} entry ${i}: ${got[p].data[i]} vs ${fd}`);
    }
  });
});

test("map and reduce over an array of Tensors to numbers: grad agrees with central differences", async () => {
  const m = await compileAndImport(`import { grad, type Tensor } from "jacc";
export function norms(Ws: Tensor[]): number {
  return Ws.map((W) => W.square().sum().item()).reduce((s, n) => s + Math.sqrt(n), 0) + Ws.findIndex((W) => W.numel() > 3);
}
export const g = grad(norms);
`, "tensor-lists-norms");
  const Ws = [W1(), W2()];
  const got: Tensor[] = m.g(Ws);
  // ∂/∂W of Σ ‖W‖ is W / ‖W‖
  Ws.forEach((W, p) => {
    const norm = Math.hypot(...W.data);
    W.data.forEach((v, i) => assert.ok(Math.abs(got[p].data[i] - v / norm) < 1e-14, `piece ${p} entry ${i}`));
  });
  assert.is(m.norms(Ws), Math.hypot(...W1().data) + Math.hypot(...W2().data) + 0);
});

test("bad arrays and tangents: TypeErrors and RangeErrors naming the marker and the element", async () => {
  const m = await load();
  throwsWith(() => m.g([W1(), 3], X()), TypeError, /^grad\(mlp\): argument 1\[1\] must be a Tensor, got number/);
  throwsWith(() => m.g(W1(), X()), TypeError, /^grad\(mlp\): argument 1 must be an array of Tensors, got/);
  throwsWith(() => m.g([W1(), tensor([[0.5], [-0.6]])], X()), TypeError, /every Tensor must have one dtype and device, got float64 on cpu and float32 on cpu/);
  throwsWith(() => m.t([W1(), W2()], X(), [W1()]), RangeError, /does not run over the array's 6 entries/);
});

gpuTest("tensor-lists.test.ts", "WebGPU: the gradient of an array of device Tensors is the CPU's", async () => {
  registerAllKernels();
  const m = await load();
  const f32 = (t: Tensor) => tensor(Array.from(t.data), { dtype: "float32" }).reshape([...t.shape]);
  const cpu: Tensor[] = m.g([f32(W1()), f32(W2())], f32(X()));
  const gpu: Tensor[] = m.g([f32(W1()).to("webgpu"), f32(W2()).to("webgpu")], f32(X()).to("webgpu"));
  for (let p = 0; p < 2; p++) {
    assert.equal([...gpu[p].shape], [...cpu[p].shape]);
    const got = await gpu[p].read();
    cpu[p].data.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-5, `piece ${p} entry ${i}`));
  }
});

test("per-sample gradients: vmap(grad(loss), { inDims: [null, 0, 0] }) with an unbatched array of Tensors equals grad row by row", async () => {
  const src = `import { grad, vmap, tensor, type Tensor } from "jacc";
function loss(Ws: Tensor[], x: Tensor, y: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < Ws.length; i++) h = h.matmul(Ws[i]).tanh();
  return h.sub(y).square().sum();
}
export const per = vmap(grad(loss), { inDims: [null, 0, 0] });
export const one = grad(loss);
`;
  const m = await compileAndImport(src, "tensor-lists-per-sample");
  const Ws = [W1(), W2()];
  const X = tensor([[1, 2], [0.5, -1], [0.3, 0.3]], { dtype: "float64" }), Y = tensor([[0.1], [0.2], [-0.3]], { dtype: "float64" });
  const per: Tensor[] = m.per(Ws, X, Y);
  assert.equal(per.map((t) => [...t.shape]), [[3, 2, 2], [3, 2, 1]]);
  for (let b = 0; b < 3; b++) {
    const one: Tensor[] = m.one(Ws, X.select(0, b), Y.select(0, b));
    one.forEach((g, p) => g.data.forEach((v, i) => assert.ok(Math.abs(per[p].data[b * g.numel() + i] - v) < 1e-14, `row ${b} piece ${p} entry ${i}`)));
  }
});

test("what stays outside: batching, building new arrays, a let, a rest element, returning it, Tensor methods on it", () => {
  const fn = `import type { Tensor } from "jacc";\nfunction f(Ws: Tensor[], x: Tensor): Tensor { let h = x; for (const W of Ws) h = h.mul(W); return h.sum(); }\n`;
  expectDiagnostic("tensor-list-vmap", `${fn}export const v = vmap(f, { inDims: ‸[0, 0] });`, { code: "invalid-option", message: [/`Ws` is not a number, array or Tensor, so it cannot be batched/] });
  expectDiagnostic("tensor-list-vmap-grad", `${fn}export const v = vmap(grad(f), { inDims: ‸[0, 0] });`, { code: "invalid-option", message: [/vmap: the array `Ws` cannot be batched: give it `null` in `inDims`/] });
  expectDiagnostic("tensor-list-vmap-hessian", `${fn.replace("): Tensor {", "): number {").replace("h.sum()", "h.sum().item()")}export const v = vmap(hessian(‸f), { inDims: [null, 0] });`, { code: "unsupported-construct", message: [/`hessian` differentiates the array of records `Ws` only as a parameter of a function given to a marker in plain code/] });
  expectDiagnostic("tensor-list-vmap-outdims", `${fn}export const v = vmap(grad(f), { inDims: [null, 0], outDims: ‸1 });`, { code: "invalid-option", message: [/`outDims` of a result over an array of records or Tensors must be 0/] });
  expectDiagnostic("tensor-list-vmap-inside", `${fn}function outer(Ws: Tensor[], x: Tensor): Tensor { return vmap(grad(‸f), { inDims: [null, 0] })(Ws, x).sum(); }\nexport const g = grad(outer);`, { code: "unsupported-construct", message: [/only as a parameter of a function given to a marker in plain code/] });
  expectDiagnostic("tensor-list-filter", `import type { Tensor } from "jacc";\nfunction f(Ws: Tensor[]): Tensor { return ‸Ws.slice(1)[0].sum(); }\nexport const g = grad(f);`, {
    code: "unsupported-construct",
    message: [/`.slice` of a differentiated array of Tensors is not supported: index it, loop over it, or use map, forEach, reduce, some, every or findIndex/],
  });
  expectDiagnostic("tensor-list-let", `import type { Tensor } from "jacc";\nfunction f(Ws: Tensor[], x: Tensor): Tensor { let ‸q = Ws; return x.mul(q.length).sum(); }\nexport const g = grad(f);`, {
    code: "unsupported-construct",
    message: [/a differentiated array of Tensors can be named by a `const`, not a `let`/],
  });
  expectDiagnostic("tensor-list-rest", `import type { Tensor } from "jacc";\nfunction f(Ws: Tensor[]): Tensor { const [a, ‸...rest] = Ws; return a.sum(); }\nexport const g = grad(f);`, {
    code: "unsupported-construct",
    message: [/a rest element of a differentiated array of Tensors is not supported/],
  });
  expectDiagnostic("tensor-list-method", `import type { Tensor } from "jacc";\nfunction f(Ws: Tensor[]): Tensor { return ‸Ws.sum(); }\nexport const g = grad(f);`, {
    code: "unsupported-construct",
    message: [/method call `.sum\(\)` is not supported in a differentiated function/],
  });
  expectDiagnostic("tensor-list-hessian", `${fn.replace("): Tensor {", "): [Tensor, Tensor] {").replace("return h.sum();", "return [h.sum(), h];")}export const h = hessian(‸f);`, {
    code: "unsupported-construct",
    message: [/`hessian` of an array of records or Tensors needs a function with a single number or 0-d Tensor output/],
  });
});

test("hessian over an array of Tensors or of records whose output is a 0-d Tensor (PyTorch's usual loss): the blocks of the same function with .item(), and 2·diag for a sum of squares", async () => {
  const m = await compileAndImport(`import { hessian, tensor, type Tensor } from "jacc";
export function sq(Ws: Tensor[]): Tensor { let s = Ws[0].mul(0).sum(); for (const W of Ws) s = s.add(W.mul(W).mul(W.sin()).sum()); return s; }
export function sqItem(Ws: Tensor[]): number { return sq(Ws).item(); }
interface P { x: number; y: number }
export function e(ps: P[]): Tensor { let s = tensor(0, { dtype: "float64" }); for (const p of ps) s = s.add(p.x * p.x * p.y); return s; }
export const h = hessian(sq);
export const hItem = hessian(sqItem);
export const he = hessian(e);
`, "tensor-lists-hessian-0d");
  const Ws = [tensor([0.5, -1.2], { dtype: "float64" }), tensor([[0.3]], { dtype: "float64" })];
  const H = m.h(Ws) as Tensor[][];
  const Hi = m.hItem(Ws) as Tensor[][];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
    assert.equal([...H[i][j].shape], [...Ws[i].shape, ...Ws[j].shape]);
    assert.equal([...H[i][j].data], [...Hi[i][j].data]);
  }
  // d²/dw² of w²·sin w = 2 sin w + 4w cos w − w² sin w, on the diagonal only
  const d2 = (w: number) => 2 * Math.sin(w) + 4 * w * Math.cos(w) - w * w * Math.sin(w);
  assert.ok(Math.abs(H[0][0].data[0] - d2(0.5)) < 1e-14 && H[0][0].data[1] === 0 && Math.abs(H[0][0].data[3] - d2(-1.2)) < 1e-14);
  assert.ok(H[0][1].data.every((x) => x === 0) && Math.abs(H[1][1].data[0] - d2(0.3)) < 1e-14);
  // Σ x²y over records: ∂²/∂x² = 2y, ∂²/∂x∂y = 2x, within each record
  const He = m.he([{ x: 1, y: 2 }, { x: 3, y: 4 }]) as { x: { x: number; y: number }[]; y: { x: number; y: number }[] }[];
  assert.equal(He[1].x[1], { x: 8, y: 6 });
  assert.equal(He[0].y[0], { x: 2, y: 0 });
  assert.equal(He[0].x[1], { x: 0, y: 0 });
});

test.run();
