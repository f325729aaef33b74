// softmax and logSoftmax: values, stability at large inputs, dims, NaN.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { logSoftmax, softmax, tensor } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

const f64 = (d: Parameters<typeof tensor>[0]) => tensor(d, { dtype: "float64" });
const e = Math.exp;

test("softmax along the last dim and along dim 0", () => {
  const s = 1 + e(1) + e(2);
  tensorIs(f64([0, 1, 2]).softmax(0), [3], "float64", [1 / s, e(1) / s, e(2) / s]);
  tensorIs(softmax(f64([[0, 1], [2, 2]]), 1), [2, 2], "float64", [[1 / (1 + e(1)), e(1) / (1 + e(1))], [0.5, 0.5]]);
  tensorIs(softmax(f64([[0, 1], [2, 2]]), 0), [2, 2], "float64", [[1 / (1 + e(2)), e(1) / (e(1) + e(2))], [e(2) / (1 + e(2)), e(2) / (e(1) + e(2))]]);
  values(f64([[0, 1], [2, 2]]).softmax(-2), softmax(f64([[0, 1], [2, 2]]), 0).toArray() as number[][]);
});

test("softmax over a middle dim sums to one along it", () => {
  const x = tensor([[[1, 2], [3, 4], [5, 0]], [[-1, 0], [0, 0], [9, 9]]], { dtype: "float64" });
  const s = x.softmax(1);
  values(s.sum(1), [[1, 1], [1, 1]], 1e-15);
  values(s.select(0, 0).select(1, 1), [e(2 - 4) / (e(-2) + 1 + e(-4)), 1 / (e(-2) + 1 + e(-4)), e(-4) / (e(-2) + 1 + e(-4))], 1e-15);
});

test("large inputs do not overflow", () => {
  values(f64([1000, 1000]).softmax(0), [0.5, 0.5]);
  values(f64([1000, 0]).softmax(0), [1, 0]);
  values(f64([1000, 1000]).logSoftmax(0), [-Math.LN2, -Math.LN2]);
  values(f64([-1000, 0]).logSoftmax(0), [-1000, 0]);
  values(tensor([100, 0]).softmax(0), [1, Math.fround(e(-100))], 1e-6);
});

test("logSoftmax equals log(softmax)", () => {
  const x = f64([[0.5, -1, 2], [3, 3, 0]]);
  values(logSoftmax(x, 1), x.softmax(1).log().toArray() as number[][], 1e-14);
  values(x.logSoftmax(0), x.softmax(0).log().toArray() as number[][], 1e-14);
});

test("dtype kept; 0-d inputs; NaN fills the slice", () => {
  assert.is(tensor([1, 2]).softmax(0).dtype, "float32");
  tensorIs(tensor(3).softmax(0), [], "float32", 1);
  tensorIs(tensor(3).logSoftmax(-1), [], "float32", 0);
  values(f64([[1, NaN], [1, 1]]).softmax(1), [[NaN, NaN], [0.5, 0.5]]);
});

test("errors: dim is required and checked", () => {
  throwsWith(() => (f64([1]) as unknown as { softmax(): unknown }).softmax(), TypeError, "softmax", "dim");
  throwsWith(() => f64([[1]]).logSoftmax(2), RangeError, "logSoftmax", "out of range", "[1,1]");
  throwsWith(() => softmax([1, 2] as never, 0), TypeError, "softmax");
});

test.run();
