// matmul (torch.matmul's rules for 1-D, 2-D and batched operands), dot, outer.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { arange, dot, matmul, outer, rand, tensor, zeros, type Tensor } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

const f64 = (d: Parameters<typeof tensor>[0]) => tensor(d, { dtype: "float64" });
const A = () => f64([[1, 2, 3], [4, 5, 6]]); // [2,3]
const B = () => f64([[1, 0], [0, 1], [2, -1]]); // [3,2]

/** Reference product by the definition, for random checks. */
function naive(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
}

test("2-D @ 2-D", () => {
  tensorIs(A().matmul(B()), [2, 2], "float64", [[7, -1], [16, -1]]);
  tensorIs(matmul(B(), A()), [3, 3], "float64", [[1, 2, 3], [4, 5, 6], [-2, -1, 0]]);
});

test("1-D @ 1-D is a 0-d dot product", () => {
  tensorIs(f64([1, 2, 3]).matmul(f64([4, 5, 6])), [], "float64", 32);
});

test("1-D @ 2-D and 2-D @ 1-D drop the added dim", () => {
  tensorIs(f64([1, 1]).matmul(A()), [3], "float64", [5, 7, 9]);
  tensorIs(A().matmul(f64([1, 0, -1])), [2], "float64", [-2, -2]);
});

test("batched: batch dims broadcast", () => {
  const a = arange(12, { dtype: "float64" }).reshape(2, 2, 3); // two [2,3]
  const r = a.matmul(B());
  assert.equal([...r.shape], [2, 2, 2]);
  values(r, [[[0 + 0 + 4, 1 - 2], [3 + 0 + 10, 4 - 5]], [[6 + 0 + 16, 7 - 8], [9 + 0 + 22, 10 - 11]]]);
  // [2,1,2,3] @ [3,3,2] → [2,3,2,2]
  const x = rand([2, 1, 2, 3], { seed: 1, dtype: "float64" });
  const y = rand([3, 3, 2], { seed: 2, dtype: "float64" });
  const z = x.matmul(y);
  assert.equal([...z.shape], [2, 3, 2, 2]);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const xi = x.select(0, i).select(0, 0).toArray() as number[][];
      const yj = y.select(0, j).toArray() as number[][];
      values(z.select(0, i).select(0, j), naive(xi, yj));
    }
  }
});

test("batched with 1-D operands", () => {
  const a = arange(12, { dtype: "float64" }).reshape(2, 2, 3);
  tensorIs(a.matmul(f64([1, 0, 1])), [2, 2], "float64", [[2, 8], [14, 20]]);
  tensorIs(f64([1, -1]).matmul(a), [2, 3], "float64", [[-3, -3, -3], [-3, -3, -3]]);
});

test("larger sizes match the definition (blocked kernel, leftover rows)", () => {
  for (const [m, k, n] of [[7, 5, 3], [9, 33, 1], [1, 4, 6], [13, 40, 1100]]) {
    const a = rand([m, k], { seed: m, dtype: "float64" }), b = rand([k, n], { seed: n, dtype: "float64" });
    values(a.matmul(b), naive(a.toArray() as number[][], b.toArray() as number[][]), 1e-12);
  }
});

test("dtype: float32 stays float32 (accumulated in float64); mixed promotes", () => {
  const a = tensor([[0.1, 0.2]]), b = tensor([[0.3], [0.4]]);
  const r = a.matmul(b);
  assert.is(r.dtype, "float32");
  assert.is(r.item(), Math.fround(Math.fround(0.1) * Math.fround(0.3) + Math.fround(0.2) * Math.fround(0.4)));
  assert.is(a.matmul(b.double()).dtype, "float64");
});

test("empty inner dimension gives zeros", () => {
  tensorIs(zeros(2, 0).matmul(zeros(0, 3)), [2, 3], "float32", [[0, 0, 0], [0, 0, 0]]);
  tensorIs(zeros(0, 2).matmul(zeros(2, 3)), [0, 3], "float32", []);
});

test("matmul errors", () => {
  throwsWith(() => matmul(zeros(2, 3), zeros(4, 5)), RangeError, "matmul: inner dimensions differ: [2,3] @ [4,5]");
  throwsWith(() => matmul(zeros(3), zeros(4)), RangeError, "matmul", "[3] @ [4]");
  throwsWith(() => matmul(zeros(2, 3), zeros(2)), RangeError, "matmul", "[2,3] @ [2]");
  throwsWith(() => matmul(zeros(2, 2, 3), zeros(3, 3, 4)), RangeError, "matmul", "batch", "[2]", "[3]", "[2,2,3] @ [3,3,4]");
  throwsWith(() => matmul(zeros([]), zeros(3)), RangeError, "matmul", "at least 1 dim");
  throwsWith(() => zeros(2).matmul(3 as unknown as Tensor), TypeError, "matmul", "other");
});

test("dot", () => {
  tensorIs(dot(f64([1, 2, 3]), f64([4, 5, 6])), [], "float64", 32);
  tensorIs(tensor([1, 2]).dot(tensor([3, 4])), [], "float32", 11);
  assert.is(tensor([1]).dot(f64([2])).dtype, "float64");
  throwsWith(() => dot(zeros(3), zeros(4)), RangeError, "dot", "[3]", "[4]");
  throwsWith(() => dot(zeros(2, 2), zeros(4)), RangeError, "dot", "[2,2]");
});

test("outer", () => {
  tensorIs(outer(f64([1, 2]), f64([3, 4, 5])), [2, 3], "float64", [[3, 4, 5], [6, 8, 10]]);
  tensorIs(tensor([2]).outer(tensor([1, -1])), [1, 2], "float32", [[2, -2]]);
  throwsWith(() => outer(zeros(2, 1), zeros(2)), RangeError, "outer", "[2,1]");
});

test.run();
