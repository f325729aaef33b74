// Reductions: sum mean prod max min over all dims, one dim, several dims,
// negative dims, keepdim, NaN and empty inputs, and their errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { arange, max, mean, min, prod, sum, tensor, zeros } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

// [[0, 1, 2], [3, 4, 5]]
const m = () => arange(6, { dtype: "float64" }).reshape(2, 3);
// [[[0..3], [4..7], [8..11]], [[12..15], [16..19], [20..23]]]
const c = () => arange(24, { dtype: "float64" }).reshape(2, 3, 4);

test("over all dims gives a 0-d tensor", () => {
  tensorIs(m().sum(), [], "float64", 15);
  tensorIs(m().mean(), [], "float64", 2.5);
  tensorIs(m().add(1).prod(), [], "float64", 720);
  tensorIs(m().max(), [], "float64", 5);
  tensorIs(m().min(), [], "float64", 0);
  tensorIs(sum(tensor([1, 2])), [], "float32", 3);
});

test("over one dim, with keepdim", () => {
  tensorIs(m().sum(0), [3], "float64", [3, 5, 7]);
  tensorIs(m().sum(1), [2], "float64", [3, 12]);
  tensorIs(m().sum(1, true), [2, 1], "float64", [[3], [12]]);
  tensorIs(m().sum(0, true), [1, 3], "float64", [[3, 5, 7]]);
  tensorIs(m().mean(0), [3], "float64", [1.5, 2.5, 3.5]);
  tensorIs(m().add(1).prod(1), [2], "float64", [6, 120]);
  tensorIs(m().max(1), [2], "float64", [2, 5]);
  tensorIs(m().min(0, true), [1, 3], "float64", [[0, 1, 2]]);
  tensorIs(sum(m(), 1), [2], "float64", [3, 12]);
  tensorIs(mean(m(), 1, true), [2, 1], "float64", [[1], [4]]);
});

test("negative dims", () => {
  tensorIs(m().sum(-1), [2], "float64", [3, 12]);
  tensorIs(m().sum(-2), [3], "float64", [3, 5, 7]);
  tensorIs(c().max(-2), [2, 4], "float64", [[8, 9, 10, 11], [20, 21, 22, 23]]);
});

test("over several dims, in any order", () => {
  tensorIs(c().sum([0, 2]), [3], "float64", [6 + 54, 22 + 70, 38 + 86]);
  tensorIs(c().sum([2, 0]), [3], "float64", [60, 92, 124]);
  tensorIs(c().sum([-1, 0], true), [1, 3, 1], "float64", [[[60], [92], [124]]]);
  tensorIs(c().mean([0, 1]), [4], "float64", [10, 11, 12, 13]);
  tensorIs(c().min([1, 2]), [2], "float64", [0, 12]);
  tensorIs(c().prod([0, 1, 2]), [], "float64", 0);
  tensorIs(c().sum([0, 1, 2], true), [1, 1, 1], "float64", [[[276]]]);
  tensorIs(c().sum(1), [2, 4], "float64", [[12, 15, 18, 21], [48, 51, 54, 57]]);
});

test("dim = [] or null means all dims", () => {
  tensorIs(m().sum([]), [], "float64", 15);
  tensorIs(m().sum(null, true), [1, 1], "float64", [[15]]);
  tensorIs(m().max(undefined, true), [1, 1], "float64", [[5]]);
});

test("0-d inputs accept dim 0 and -1", () => {
  tensorIs(tensor(3).sum(0), [], "float32", 3);
  tensorIs(tensor(3).mean(-1, true), [], "float32", 3);
});

test("max / min with a tensor argument are elementwise", () => {
  values(m().max(tensor([1, 1, 10], { dtype: "float64" })), [[1, 1, 10], [3, 4, 10]]);
  values(min(m(), tensor([1, 1, 10], { dtype: "float64" })), [[0, 1, 2], [1, 1, 5]]);
  values(max(m(), 1), [2, 5]);
});

test("NaN propagates through max / min / sum", () => {
  const x = tensor([[1, NaN, 3], [4, 5, 6]], { dtype: "float64" });
  values(x.max(1), [NaN, 6]);
  values(x.min(1), [NaN, 4]);
  values(x.max(0), [4, NaN, 6]);
  values(x.sum(), NaN);
  values(tensor([NaN, 1]).max(), NaN);
});

test("empty reductions: sum 0, prod 1, mean NaN, max / min error", () => {
  const e = zeros(0, 3);
  tensorIs(e.sum(0), [3], "float32", [0, 0, 0]);
  tensorIs(e.prod(0), [3], "float32", [1, 1, 1]);
  values(e.mean(0), [NaN, NaN, NaN]);
  tensorIs(e.sum(1), [0], "float32", []);
  throwsWith(() => e.max(), RangeError, "max", "size 0", "[0,3]");
  throwsWith(() => e.min(0), RangeError, "min");
});

test("float32 sums accumulate in float64 and round once", () => {
  const x = tensor(new Array(10).fill(0.1));
  assert.is(x.sum().item(), Math.fround(10 * Math.fround(0.1)));
  assert.is(x.sum().dtype, "float32");
  assert.is(x.mean().dtype, "float32");
});

test("errors: dim out of range, repeated dims, bad types", () => {
  throwsWith(() => m().sum(2), RangeError, "sum: dim 2 out of range for shape [2,3] (expected -2..1)");
  throwsWith(() => m().mean(-3), RangeError, "mean", "out of range");
  throwsWith(() => m().sum([0, 0]), RangeError, "sum", "more than once");
  throwsWith(() => m().sum([0, -2]), RangeError, "sum", "more than once");
  throwsWith(() => m().max(0.5), TypeError, "max", "integer");
  throwsWith(() => m().sum(0, 1 as never), TypeError, "keepdim");
  throwsWith(() => prod([1, 2] as never), TypeError, "prod");
});

test.run();
