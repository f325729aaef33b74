// torch.linalg's solve and inv, and cross (runtime/ops/linalg.ts; compiler/ops/tensor.ts,
// linalgSolve / linalgInv / cross): values against hand-computed ones, batches that
// broadcast, every bad input a RangeError or TypeError naming the op and the
// shapes, `linalg.solve` read through every way of importing it, and vmap (the
// row loop, said by jacc explain). Derivatives: test/rules-tensor.test.ts (every
// marker against finite differences) and fixtures/tensor/60_linalg.ts (PyTorch's values).
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cross, linalg, tensor, Tensor } from "../runtime/index.js";
import { compileModule } from "../compiler/index.js";
import { compileAndImport, tmpDir } from "./util/compile.js";
import { throwsWith } from "./runtime-assert.js";

const close = (a: Tensor, b: number[], what: string): void => {
  const d = [...a.data];
  assert.is(d.length, b.length, `${what}: size`);
  d.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12, `${what}: entry ${i}: ${x} vs ${b[i]}`));
};

test("solve and inv: hand values, a pivot that needs a row swap, float32 and float64", () => {
  const A = tensor([[0, 2], [1, 1]], { dtype: "float64" }); // the first pivot is 0: rows swap
  close(linalg.solve(A, tensor([4, 3], { dtype: "float64" })), [1, 2], "solve vector");
  close(linalg.solve(A, tensor([[4, 2], [3, 1]], { dtype: "float64" })), [1, 0, 2, 1], "solve matrix");
  close(linalg.inv(A), [-0.5, 1, 0.5, 0], "inv");
  const x = linalg.solve(tensor([[2, 0], [0, 4]]), tensor([1, 1]));
  assert.is(x.dtype, "float32");
  assert.is(linalg.solve(tensor([[2, 0], [0, 4]]), tensor([1, 1], { dtype: "float64" })).dtype, "float64");
  close(x, [0.5, 0.25], "float32");
});

test("batches: A's and B's batch dims broadcast; inv of each matrix of a batch", () => {
  const As = tensor([[[2, 0], [0, 4]], [[1, 1], [0, 1]]], { dtype: "float64" });
  const B = tensor([[2], [4]], { dtype: "float64" });
  const X = linalg.solve(As, B);
  assert.equal([...X.shape], [2, 2, 1]);
  close(X, [1, 1, -2, 4], "batch of A, one B");
  const Bs = tensor([[[2], [4]], [[4], [8]], [[0], [2]]], { dtype: "float64" });
  assert.equal([...linalg.solve(tensor([[2, 0], [0, 4]], { dtype: "float64" }), Bs).shape], [3, 2, 1]);
  close(linalg.inv(As), [0.5, 0, 0, 0.25, 1, -1, 0, 1], "inv batch");
});

test("bad inputs: RangeError or TypeError naming the op and the shapes", () => {
  throwsWith(() => linalg.solve(tensor([[1, 2], [2, 4]]), tensor([1, 1])), RangeError, /^linalg\.solve: A \[2,2\] is singular$/);
  throwsWith(() => linalg.inv(tensor([[[1, 0], [0, 1]], [[0, 0], [0, 0]]])), RangeError, /^linalg\.inv: A \[2,2,2\] is singular \(batch entry 1\)$/);
  throwsWith(() => linalg.solve(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 1])), RangeError, /^linalg\.solve: A must be a batch of square matrices \[\.\.\., n, n\], got \[2,3\]$/);
  throwsWith(() => linalg.inv(tensor([1, 2])), RangeError, /^linalg\.inv: A must be a batch of square matrices/);
  throwsWith(() => linalg.solve(tensor([[1, 0], [0, 1]]), tensor([1, 2, 3])), RangeError, /^linalg\.solve: B must be \[\.\.\., 2\] or \[\.\.\., 2, k\] for A \[2,2\], got \[3\]$/);
  throwsWith(() => linalg.solve(tensor([[[1, 0], [0, 1]], [[1, 0], [0, 1]]]), tensor([[1, 2], [3, 4]])), RangeError, /^linalg\.solve: B \[2,2\] as vectors for a batch of matrices A \[2,2,2\] is not supported: write linalg\.solve\(A, B\.unsqueeze\(-1\)\)\.squeeze\(-1\)$/);
  throwsWith(() => linalg.solve(tensor([[[1, 0], [0, 1]], [[1, 0], [0, 1]]]), tensor([1, 2])), RangeError, /as vectors for a batch of matrices/);
  throwsWith(() => linalg.solve(tensor([[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 0], [0, 1]]]), tensor([[[1], [2]], [[1], [2]]])), RangeError, /^linalg\.solve: shapes \[3\] and \[2\] cannot be broadcast$/);
  throwsWith(() => linalg.solve([[1, 0], [0, 1]] as unknown as Tensor, tensor([1, 2])), TypeError, /^linalg\.solve: expected a Tensor for A, got/);
  throwsWith(() => linalg.inv(3 as unknown as Tensor), TypeError, /^linalg\.inv: expected a Tensor for A, got/);
});

test("cross: hand values along the last dim and along dim 0, broadcasting; bad dims name the op and the shapes", () => {
  const e = (i: number) => tensor([0, 1, 2].map((k) => (k === i ? 1 : 0)), { dtype: "float64" });
  close(cross(e(0), e(1)), [0, 0, 1], "x × y = z");
  close(e(1).cross(e(2)), [1, 0, 0], "y × z = x (method)");
  close(cross(tensor([[1, 0], [0, 1], [0, 0]], { dtype: "float64" }), tensor([[0, 0], [1, 0], [0, 1]], { dtype: "float64" }), 0), [0, 1, 0, 0, 1, 0], "dim 0");
  const many = cross(tensor([[1, 0, 0], [0, 1, 0]], { dtype: "float64" }), e(2));
  assert.equal([...many.shape], [2, 3]);
  close(many, [0, -1, 0, 1, 0, 0], "broadcast");
  throwsWith(() => cross(tensor([1, 2]), tensor([3, 4])), RangeError, /^cross: dim -1 must have size 3 in both operands, got \[2\] and \[2\]$/);
  throwsWith(() => cross(tensor([1, 2, 3]), tensor([3, 4, 5]), 1), RangeError, /^cross: dim 1 out of range for shape \[3\]/);
  throwsWith(() => cross(tensor([[1, 2, 3]]), tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]]).t()), RangeError, /^cross: shapes \[1,3\] and \[3,4\] cannot be broadcast$/);
  throwsWith(() => cross([1, 2, 3] as unknown as Tensor, tensor([1, 2, 3])), TypeError, /^cross: expected a Tensor for input, got/);
});

const SRC = `
import { grad, jacrev, linalg, tensor, vmap, type Tensor } from "jacc";
import * as jc from "jacc";
import { linalg as la } from "jacc";
const A = tensor([[4, 1], [1, 3]], { dtype: "float64" });
export const f = (b: Tensor) => linalg.solve(A, b).mul(b).sum();
export const viaNamespace = grad((b: Tensor) => jc.linalg.solve(A, b).mul(b).sum());
export const viaAlias = grad((b: Tensor) => la.solve(A, b).mul(b).sum());
export const direct = grad(f);
export const rows = vmap((b: Tensor) => linalg.solve(A, b.exp()));
export const rowsJac = vmap(jacrev((M: Tensor) => linalg.inv(M).sum(0)));
`;

test("linalg.solve read through a named import, a namespace import and an alias; vmap runs it row by row", async () => {
  const m = await compileAndImport(SRC, "linalg-forms");
  const b = tensor([1, -2], { dtype: "float64" });
  // d/db bᵀA⁻¹b = (A⁻¹ + A⁻ᵀ) b = 2 A⁻¹ b (A symmetric)
  const want = [...linalg.solve(tensor([[4, 1], [1, 3]], { dtype: "float64" }), b).data].map((v) => 2 * v);
  for (const k of ["direct", "viaNamespace", "viaAlias"]) close(m[k](b), want, k);
  const Bs = tensor([[0, 1], [1, -1], [0.5, 0.5]], { dtype: "float64" });
  const rows = m.rows(Bs) as Tensor;
  assert.equal([...rows.shape], [3, 2]);
  for (let r = 0; r < 3; r++) close(new Tensor(rows.data.slice(2 * r, 2 * r + 2), [2]), [...linalg.solve(tensor([[4, 1], [1, 3]], { dtype: "float64" }), Bs.select(0, r).exp()).data], `row ${r}`);
  const Ms = tensor([[[2, 0], [0, 4]], [[1, 1], [0, 1]]], { dtype: "float64" });
  assert.equal([...(m.rowsJac(Ms) as Tensor).shape], [2, 2, 2, 2]);
  const r = compileModule(SRC, path.join(tmpDir, "linalg-explain.ts"), { explain: true });
  assert.equal(r.diagnostics, []);
});

test("det, slogdet, cholesky: hand values, batches, singular matrices give 0 and -Infinity (no error)", () => {
  const A = tensor([[0, 2], [1, 1]], { dtype: "float64" }); // a row swap: det −2
  close(linalg.det(A), [-2], "det");
  const [sign, logabs] = linalg.slogdet(A);
  close(sign, [-1], "sign");
  close(logabs, [Math.log(2)], "logabsdet");
  close(linalg.det(tensor([[[2, 0], [0, 3]], [[1, 2], [2, 4]]], { dtype: "float64" })), [6, 0], "a batch, one singular");
  const [s0, l0] = linalg.slogdet(tensor([[1, 2], [2, 4]], { dtype: "float64" }));
  close(s0, [0], "singular sign");
  assert.is(l0.data[0], -Infinity);
  // L = [[2, 0], [1, 3]]: L Lᵀ = [[4, 2], [2, 10]]; the upper triangle is not read
  close(linalg.cholesky(tensor([[4, 99], [2, 10]], { dtype: "float64" })), [2, 0, 1, 3], "cholesky");
  assert.equal([...linalg.cholesky(tensor([[[1, 0], [0, 1]], [[4, 2], [2, 10]]])).shape], [2, 2, 2]);
  assert.is(linalg.det(tensor([[1, 2], [3, 4]])).dtype, "float32");
});

test("linalg.norm: vector norms over a dim or of a vector, the 2-norm of everything without ord, \"fro\" of a matrix", () => {
  const x = tensor([[3, -4], [0, 0]], { dtype: "float64" });
  close(linalg.norm(x), [5], "no ord: the flattened 2-norm");
  close(linalg.norm(x, "fro"), [5], "fro");
  close(linalg.norm(x, 1, 1), [7, 0], "1-norm of rows");
  close(linalg.norm(x, Infinity, 0, true), [3, 4], "max of columns, keepdim");
  close(linalg.norm(tensor([3, -4], { dtype: "float64" }), Infinity), [4], "a vector's Infinity-norm");
  close(linalg.norm(x, null, [0, 1]), [5], "two dims, no ord");
});

test("det / slogdet / cholesky / norm bad inputs: errors naming the op and the shapes", () => {
  throwsWith(() => linalg.det(tensor([[1, 2, 3], [4, 5, 6]])), RangeError, /^linalg\.det: A must be a batch of square matrices \[\.\.\., n, n\], got \[2,3\]$/);
  throwsWith(() => linalg.slogdet(tensor([1, 2])), RangeError, /^linalg\.slogdet: A must be a batch of square matrices/);
  throwsWith(() => linalg.cholesky(tensor([[1, 2], [2, 1]])), RangeError, /^linalg\.cholesky: A \[2,2\] is not positive-definite: the leading minor of order 2 is not positive-definite$/);
  throwsWith(() => linalg.cholesky(tensor([[[1, 0], [0, 1]], [[-1, 0], [0, 1]]])), RangeError, /^linalg\.cholesky: A \[2,2,2\] is not positive-definite \(batch entry 1\): the leading minor of order 1/);
  throwsWith(() => linalg.det("A" as unknown as Tensor), TypeError, /^linalg\.det: expected a Tensor for A, got/);
  throwsWith(() => linalg.norm(tensor([[1, 2], [3, 4]]), 2), RangeError, /^linalg\.norm: the matrix norm of ord 2 is not supported \(input \[2,2\]\); give one dim for a vector norm$/);
  throwsWith(() => linalg.norm(tensor([[[1]]]), 1), RangeError, /^linalg\.norm: with ord 1 and no dim the input must be 1-D or 2-D, got \[1,1,1\]$/);
  throwsWith(() => linalg.norm(tensor([1, 2]), "fro"), RangeError, /^linalg\.norm: "fro" is a matrix norm: it needs a 2-D input or 2 dims, got input \[2\]$/);
  throwsWith(() => linalg.norm(tensor([1, 2]), 3 as unknown as 1), RangeError, /^linalg\.norm: ord must be 1, 2, Infinity or "fro" \(or none\), got number 3/);
  throwsWith(() => linalg.norm(tensor([1, 2]), 1, 2), RangeError, /^linalg\.norm: dim 2 out of range/);
});

const DET_SRC = `
import { grad, hessian, jacfwd, linalg, tensor, vmap, type Tensor } from "jacc";
import * as jc from "jacc";
export const detGrad = grad((A: Tensor) => jc.linalg.det(A));
export const detFwd = jacfwd((A: Tensor) => linalg.det(A));
export const logdetGrad = grad((A: Tensor) => linalg.slogdet(A)[1]);
export const cholGrad = grad((A: Tensor) => linalg.cholesky(A).sum());
export const dets = vmap((A: Tensor) => linalg.det(A.exp()));
export const normRows = vmap((x: Tensor) => linalg.norm(x, 1, 0));
export const normAll = vmap((x: Tensor) => linalg.norm(x));
`;

test("compiled: det's gradient is the cofactor matrix (the adjugate at a singular matrix, no error); slogdet's is A⁻ᵀ (Inf / NaN at a singular one); vmap batches det", async () => {
  const m = await compileAndImport(DET_SRC, "linalg-det");
  const A = tensor([[1, 2], [3, 4]], { dtype: "float64" });
  close(m.detGrad(A), [4, -3, -2, 1], "cofactors");
  close(m.detFwd(A), [4, -3, -2, 1], "forward");
  close(m.detGrad(tensor([[1, 2], [2, 4]], { dtype: "float64" })), [4, -2, -2, 1], "the adjugate at a singular matrix");
  close(m.logdetGrad(A), [-2, 1.5, 1, -0.5], "A⁻ᵀ");
  const g = m.logdetGrad(tensor([[0, 0], [0, 0]], { dtype: "float64" })) as Tensor;
  assert.ok([...g.data].every((v) => !Number.isFinite(v)), "Inf / NaN at a zero matrix");
  throwsWith(() => m.cholGrad(tensor([[1, 2], [2, 1]], { dtype: "float64" })), RangeError, /^linalg\.cholesky: A \[2,2\] is not positive-definite/);
  close(m.dets(tensor([[[0, 0], [0, 0]], [[0, 1], [1, 0]]], { dtype: "float64" })), [0, 1 - Math.E * Math.E], "dets");
  close(m.normRows(tensor([[[1, -2], [3, 4]]], { dtype: "float64" })), [4, 6], "vmap of norm over a dim");
  close(m.normAll(tensor([[3, 4], [0, 1]], { dtype: "float64" })), [5, 1], "vmap of norm of everything (row loop)");
  const code = compileModule(DET_SRC, path.join(tmpDir, "linalg-det-explain.ts"), { explain: true }).code;
  assert.match(code, /vmap path: row loop \('linalgNorm': 'linalg\.norm' without dim reads the example's rank\)/);
  assert.is((code.match(/vmap path: row loop \((?!for WebGPU arguments)/g) ?? []).length, 1, "det and norm over a dim run batched");
});

test.run();
