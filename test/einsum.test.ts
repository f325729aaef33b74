// einsum (runtime/ops/einsum.ts, runtime/ops/einsum-plan.ts; compiled: compiler/front/einsum.ts):
// values against loops written out, every form of subscripts (explicit, implicit, repeated letters,
// ellipsis, size-1 broadcasting, operands in an array), every bad input a RangeError or TypeError
// naming einsum and the shapes (at run time) or a located diagnostic (compiling), and vmap on the
// batched path. Derivatives: test/rules-tensor.test.ts (its einsum cases, with t.diagonal's) and
// fixtures/tensor/65_einsum_det.ts (PyTorch's values).
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { einsum, tensor, Tensor } from "../runtime/index.js";
import { compileModule, formatDiagnostic } from "../compiler/index.js";
import { compileAndImport, compileOrThrow, tmpDir } from "./util/compile.js";
import { throwsWith } from "./runtime-assert.js";

const close = (a: Tensor, b: number[], shape: number[], what: string): void => {
  assert.equal([...a.shape], shape, `${what}: shape`);
  const d = [...a.data];
  assert.is(d.length, b.length, `${what}: size`);
  d.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12, `${what}: entry ${i}: ${x} vs ${b[i]}`));
};
const f64 = (v: unknown) => tensor(v as number[], { dtype: "float64" });

const A = f64([[1, 2, 3], [4, 5, 6]]);
const B = f64([[1, -1], [0, 2], [3, 1]]);
const S = f64([[1, 2, 3], [4, 5, 6], [7, 8, 10]]);

test("explicit and implicit outputs: matmul, transpose, outer, inner, sums", () => {
  // A B by hand: [[1+0+9, -1+4+3], [4+0+18, -4+10+6]]
  close(einsum("ij,jk->ik", A, B), [10, 6, 22, 12], [2, 2], "matmul");
  close(einsum("ij,jk", A, B), [10, 6, 22, 12], [2, 2], "implicit: i, k in order");
  close(einsum("ij,jk->ki", A, B), [10, 22, 6, 12], [2, 2], "the output transposed");
  close(einsum("ij->ji", A), [1, 4, 2, 5, 3, 6], [3, 2], "transpose");
  close(einsum("ba", A), [1, 4, 2, 5, 3, 6], [3, 2], "implicit output sorts the letters");
  close(einsum("i,j->ij", f64([1, 2]), f64([3, 4, 5])), [3, 4, 5, 6, 8, 10], [2, 3], "outer");
  close(einsum("i,i", f64([1, 2]), f64([3, 4])), [11], [], "inner");
  close(einsum("ij->", A), [21], [], "sum of all");
  close(einsum("ij->j", A), [5, 7, 9], [3], "column sums");
  close(einsum(" i j , j k -> i k ", A, B), [10, 6, 22, 12], [2, 2], "spaces are ignored");
  close(einsum("ij,jk,kl->il", [A, B, f64([[1, 0], [0, 1]])]), [10, 6, 22, 12], [2, 2], "operands in an array");
});

test("repeated letters take diagonals; size-1 dims broadcast; the ellipsis", () => {
  close(einsum("ii->i", S), [1, 5, 10], [3], "diagonal");
  close(einsum("ii", S), [16], [], "trace (implicit output)");
  const T3 = f64([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  close(einsum("iij->j", T3), [1 + 7, 2 + 8], [2], "a diagonal over two of three dims");
  close(einsum("iii->i", T3), [1, 8], [2], "a letter three times");
  close(einsum("ij,j->i", f64([[1], [2]]), f64([1, 2, 3])), [6, 12], [2], "a size-1 dim broadcasts against 3");
  const batch = f64([[[1, 0], [0, 1]], [[2, 0], [0, 3]]]);
  close(einsum("...ij,...jk->...ik", batch, f64([[1, 2], [3, 4]])), [1, 2, 3, 4, 2, 4, 9, 12], [2, 2, 2], "ellipsis: a batch against one matrix");
  close(einsum("...ij,...jk", batch, f64([[1, 2], [3, 4]])), [1, 2, 3, 4, 2, 4, 9, 12], [2, 2, 2], "implicit output keeps the ellipsis in front");
  close(einsum("i...->...i", A), [1, 4, 2, 5, 3, 6], [3, 2], "ellipsis after a letter");
  close(einsum("b...,b->...", f64([[1, 2], [3, 4]]), f64([1, -1])).reshape(2), [-2, -2], [2], "ellipsis of the second dim");
  close(einsum("...->...", f64(5 as unknown as number[])), [5], [], "a 0-d operand");
  assert.is(einsum("ij,jk->ik", tensor([[1, 2]]), tensor([[1], [1]])).dtype, "float32");
});

test("bad inputs: RangeError or TypeError naming einsum and the shapes", () => {
  throwsWith(() => einsum("ij,jk->ik", A, A), RangeError, /^einsum: subscript 'j' has size 3 in one operand and 2 in operand 1 \(operands \[2, 3\], \[2, 3\]\)$/);
  throwsWith(() => einsum("ij,jk->ik", A), RangeError, /^einsum: subscripts "ij,jk->ik" name 2 operand\(s\), got 1$/);
  throwsWith(() => einsum("ijk", A), RangeError, /^einsum: operand 0 of shape \[2, 3\] has 2 dim\(s\) but its subscripts "ijk" name 3 \(operands \[2, 3\]\)$/);
  throwsWith(() => einsum("ii", A), RangeError, /^einsum: subscript 'i' is repeated in operand 0 of shape \[2, 3\] with sizes 2 and 3/);
  throwsWith(() => einsum("ij->iz", A), RangeError, /^einsum: output subscript 'z' does not appear/);
  throwsWith(() => einsum("ij->ii", A), RangeError, /^einsum: output subscript 'i' appears more than once/);
  throwsWith(() => einsum("i1", A), RangeError, /^einsum: operand 0's subscripts "i1" holds '1'/);
  throwsWith(() => einsum("...ij->ij", A), RangeError, /must keep the ellipsis/);
  throwsWith(() => einsum("...ij,...jk->...ik", f64([[[1]], [[1]]]).expand(2, 2, 2), f64([[[1, 1], [1, 1]], [[1, 1], [1, 1]], [[1, 1], [1, 1]]])), RangeError, /^einsum: the dims the ellipsis stands for do not broadcast/);
  throwsWith(() => einsum(3 as unknown as string, A), TypeError, /^einsum: expected a string of subscripts first, got/);
  throwsWith(() => einsum("ij", [[1]] as unknown as Tensor), TypeError, /^einsum: expected a Tensor for operand 0, got/);
});

const SRC = `
import { einsum, grad, jacrev, tensor, vmap, type Tensor } from "jacc";
const W = tensor([[1, 2], [3, 4]], { dtype: "float64" });
export const quad = grad((x: Tensor) => einsum("i,ij,j->", x, W, x));
export const bad = (x: Tensor) => jacrev((y: Tensor) => einsum("ij,jk->ik", y, W))(x);
export const traces = vmap((M: Tensor) => einsum("ii", M.exp()));
export const rowsJac = vmap(jacrev((v: Tensor) => einsum("i,ij->j", v, W)));
`;

test("compiled: grad of a quadratic form; a size mismatch is a RangeError naming einsum; vmap runs batched", async () => {
  const m = await compileAndImport(SRC, "einsum-compiled");
  // ∇ xᵀWx = (W + Wᵀ) x
  close(m.quad(f64([1, -1])), [2 * 1 + 5 * -1, 5 * 1 + 8 * -1], [2], "(W + Wᵀ) x");
  throwsWith(() => m.bad(f64([[1, 2, 3]])), RangeError, /^einsum: subscript 'j' has size 3 in one operand and 2 in operand 1 \(operands \[1, 3\], \[2, 2\]\)$/);
  const Ms = f64([[[0, 1], [2, 0]], [[1, 1], [1, 1]]]);
  close(m.traces(Ms), [2, 2 * Math.E], [2], "traces");
  assert.equal([...(m.rowsJac(f64([[1, 2], [3, 4], [5, 6]])) as Tensor).shape], [3, 2, 2]);
  const code = compileOrThrow(SRC, path.join(tmpDir, "einsum-batched.ts")).code;
  assert.not.match(code, /vmap path: row loop \((?!for WebGPU arguments)/);
});

test("compiling: subscripts that are not a literal, or malformed, are located diagnostics", () => {
  const diag = (body: string) => {
    const src = `import { einsum, grad, type Tensor } from "jacc";\nconst s = "ii";\nexport const g = grad((x: Tensor) => ${body});\n`;
    const r = compileModule(src, path.join(tmpDir, "einsum-diag.ts"));
    assert.is(r.diagnostics.length, 1, r.diagnostics.map(formatDiagnostic).join("\n"));
    return formatDiagnostic(r.diagnostics[0]);
  };
  assert.match(diag("einsum(s, x)"), /einsum-diag\.ts:3:\d+.*the subscripts of `einsum` must be a string literal/s);
  assert.match(diag("einsum(\"ij,jk\", x)"), /einsum-diag\.ts:3:\d+.*einsum: subscripts "ij,jk" name 2 operand\(s\), got 1/s);
  assert.match(diag("einsum(\"i$\", x).sum()"), /einsum: operand 0's subscripts "i\$" holds '\$'/);
  assert.match(diag("x.einsum(\"ii\")"), /`einsum` is a jacc function, not a Tensor method|has no derivative rule|not/);
});

test.run();
