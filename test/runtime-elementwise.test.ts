// Elementwise ops: values, broadcasting, scalars, dtype promotion, where,
// clamp, and the errors (shapes, operand types, devices).
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Tensor, abs, add, arange, clamp, cos, div, exp, log, maximum, minimum, mul, neg, ones, pow, relu, sigmoid, sin, sqrt, sub,
  tanh, tensor, where, zeros,
} from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

const f64 = (d: Parameters<typeof tensor>[0]) => tensor(d, { dtype: "float64" });

test("add sub mul div on same shapes", () => {
  const a = f64([[1, 2], [3, 4]]), b = f64([[10, 20], [30, 40]]);
  tensorIs(a.add(b), [2, 2], "float64", [[11, 22], [33, 44]]);
  tensorIs(sub(b, a), [2, 2], "float64", [[9, 18], [27, 36]]);
  tensorIs(mul(a, b), [2, 2], "float64", [[10, 40], [90, 160]]);
  tensorIs(b.div(a), [2, 2], "float64", [[10, 10], [10, 10]]);
});

test("numbers as operands, on either side", () => {
  const a = f64([1, 2, 4]);
  values(a.add(1), [2, 3, 5]);
  values(add(1, a), [2, 3, 5]);
  values(a.sub(1), [0, 1, 3]);
  values(sub(1, a), [0, -1, -3]);
  values(a.mul(2), [2, 4, 8]);
  values(div(1, a), [1, 0.5, 0.25]);
  values(a.div(2), [0.5, 1, 2]);
  values(a.pow(2), [1, 4, 16]);
  values(pow(2, a), [2, 4, 16]);
});

test("add / sub with alpha", () => {
  const a = f64([1, 2]), b = f64([10, 20]);
  values(a.add(b, { alpha: 2 }), [21, 42]);
  values(sub(a, b, { alpha: 0.5 }), [-4, -8]);
  values(a.add(3, { alpha: 2 }), [7, 8]);
});

test("broadcasting: trailing dims, size-1 dims, leading dims, both sides", () => {
  const m = f64([[1, 2, 3], [4, 5, 6]]);
  tensorIs(m.add(f64([10, 20, 30])), [2, 3], "float64", [[11, 22, 33], [14, 25, 36]]);
  tensorIs(m.add(f64([[100], [200]])), [2, 3], "float64", [[101, 102, 103], [204, 205, 206]]);
  tensorIs(f64([[1], [2]]).mul(f64([1, 10, 100])), [2, 3], "float64", [[1, 10, 100], [2, 20, 200]]);
  tensorIs(f64([1, 2]).add(f64([[[0]], [[10]]])), [2, 1, 2], "float64", [[[1, 2]], [[11, 12]]]);
  tensorIs(m.sub(f64([1])), [2, 3], "float64", [[0, 1, 2], [3, 4, 5]]);
  tensorIs(m.mul(f64(2)), [2, 3], "float64", [[2, 4, 6], [8, 10, 12]]);
  tensorIs(f64(2).mul(f64(3)), [], "float64", 6);
  // a size-1 dim in the middle of both operands
  const a = arange(6, { dtype: "float64" }).reshape(2, 1, 3);
  const b = arange(4, { dtype: "float64" }).reshape(1, 4, 1);
  const c = a.add(b);
  assert.equal([...c.shape], [2, 4, 3]);
  values(c.select(0, 1).select(0, 2), [5, 6, 7]);
  tensorIs(zeros(0, 3).add(f64([1, 2, 3])), [0, 3], "float64", []);
  tensorIs(zeros(2, 1).add(zeros(0)), [2, 0], "float32", [[], []]);
});

test("broadcast errors name the op and both shapes", () => {
  throwsWith(() => add(zeros(2, 3), zeros(4)), RangeError, "add: shapes [2,3] and [4] cannot be broadcast");
  throwsWith(() => zeros(2, 3).mul(zeros(3, 2)), RangeError, "mul: shapes [2,3] and [3,2] cannot be broadcast");
  throwsWith(() => maximum(zeros(2), zeros(3)), RangeError, "maximum", "[2]", "[3]");
});

test("operand type errors", () => {
  throwsWith(() => add(1, 2), TypeError, "add", "two numbers");
  throwsWith(() => zeros(2).add([1, 2] as never), TypeError, "add", "Tensor or a number", "an array");
  throwsWith(() => exp(3 as never), TypeError, "exp", "expected a Tensor", "number 3");
  throwsWith(() => mul("x" as never, zeros(1)), TypeError, "mul");
  throwsWith(() => zeros(2).add(1, { alpha: "2" as never }), TypeError, "alpha");
});

test("dtype promotion: float64 wins, numbers and 0-d tensors do not promote", () => {
  const a32 = tensor([1, 2]), a64 = f64([1, 2]);
  assert.is(a32.add(a64).dtype, "float64");
  assert.is(a64.mul(a32).dtype, "float64");
  assert.is(a32.mul(0.1).dtype, "float32");
  assert.is(add(0.5, a32).dtype, "float32");
  assert.is(a32.add(f64(1)).dtype, "float32"); // 0-d float64 does not promote a 1-D float32
  assert.is(tensor(1).add(a64).dtype, "float64");
  assert.is(tensor(1).add(f64(1)).dtype, "float64"); // both 0-d: ordinary promotion
  assert.is(a32.add(f64([1])).dtype, "float64");
});

test("float32 results are rounded to float32", () => {
  const t = tensor([1]).mul(0.1);
  assert.is(t.data[0], Math.fround(0.1));
});

test("unary ops", () => {
  const x = f64([-1, 0, 0.5, 2]);
  values(neg(x), [1, -0, -0.5, -2]);
  values(x.abs(), [1, 0, 0.5, 2]);
  values(abs(x), [1, 0, 0.5, 2]);
  values(x.exp(), [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)]);
  values(f64([1, Math.E, 0]).log(), [0, 1, -Infinity]);
  values(log(f64([-1])), [NaN]);
  values(sqrt(f64([4, 2, -1])), [2, Math.SQRT2, NaN]);
  values(sin(x), [Math.sin(-1), 0, Math.sin(0.5), Math.sin(2)]);
  values(cos(x), [Math.cos(-1), 1, Math.cos(0.5), Math.cos(2)]);
  values(tanh(x), [Math.tanh(-1), 0, Math.tanh(0.5), Math.tanh(2)]);
  values(sigmoid(f64([0, 2, -800, 800])), [0.5, 1 / (1 + Math.exp(-2)), 0, 1]);
  values(relu(f64([-2, 0, 3, NaN])), [0, 0, 3, NaN]);
  values(x.relu(), [0, 0, 0.5, 2]);
  tensorIs(exp(tensor([[0, 1]])), [1, 2], "float32", [[1, Math.fround(Math.E)]]);
  tensorIs(f64(0).exp(), [], "float64", 1);
});

test("pow follows C at the edges: pow(1, NaN) = 1, pow(x, 0) = 1", () => {
  values(f64([1, 2, -1, 0]).pow(f64([NaN, 0, Infinity, 0])), [1, 1, 1, 1]);
  values(f64([4, -8]).pow(0.5), [2, NaN]);
  values(f64([2, 3]).pow(f64([[1], [2]])), [[2, 3], [4, 9]]);
});

test("maximum / minimum propagate NaN", () => {
  const a = f64([1, 5, NaN]), b = f64([3, 2, 0]);
  values(maximum(a, b), [3, 5, NaN]);
  values(minimum(a, b), [1, 2, NaN]);
  values(a.maximum(2), [2, 5, NaN]);
  values(b.minimum(f64([[1], [4]])), [[1, 1, 0], [3, 2, 0]]);
});

test("IEEE results are not errors", () => {
  values(f64([1, -1, 0]).div(0), [Infinity, -Infinity, NaN]);
});

test("where picks elementwise, broadcasting all three", () => {
  const c = tensor([1, 0, 1]);
  values(where(c, f64([1, 2, 3]), f64([10, 20, 30])), [1, 20, 3]);
  values(where([true, false, true], f64([1, 2, 3]), -1), [1, -1, 3]);
  tensorIs(where(tensor([[1], [0]]), f64([1, 2]), 0), [2, 2], "float64", [[1, 2], [0, 0]]);
  tensorIs(where(tensor([1, 0]), 5, 6), [2], "float32", [5, 6]);
  values(where(tensor([NaN, -1, 0]), 1, 0), [1, 1, 0]);
  values(f64([1, 2]).where([false, true], 9), [9, 2]);
  throwsWith(() => where(tensor([1, 0, 1]), zeros(2), 0), RangeError, "where", "[3]", "[2]");
  throwsWith(() => where(tensor([1]), "a" as never, 0), TypeError, "where");
});

test("clamp with numbers, one side, tensors; min > max gives max", () => {
  const x = f64([-2, 0, 1, 5, NaN]);
  values(x.clamp(0, 2), [0, 0, 1, 2, NaN]);
  values(x.clamp(0), [0, 0, 1, 5, NaN]);
  values(x.clamp(null, 1), [-2, 0, 1, 1, NaN]);
  values(x.clamp(undefined, 1), [-2, 0, 1, 1, NaN]);
  values(clamp(f64([1, 2, 3]), 3, 1), [1, 1, 1]);
  values(clamp(f64([1, 2, 3]), f64([2, 2, 2]), f64([[2.5], [10]])), [[2, 2, 2.5], [2, 2, 3]]);
  assert.is(tensor([1]).clamp(0, 1).dtype, "float32");
  throwsWith(() => x.clamp(), TypeError, "clamp", "at least one");
  throwsWith(() => x.clamp(zeros(2)), RangeError, "clamp", "[5]", "[2]");
});

test("results are new tensors; inputs are untouched", () => {
  const a = f64([1, 2]);
  const r = a.add(0);
  assert.is.not(r, a);
  assert.is.not(r.data, a.data);
  a.mul(f64([3, 3]));
  values(a, [1, 2]);
});

test("mixed devices are a TypeError; nothing is computed", () => {
  const gpu = ones(2);
  Object.defineProperty(gpu, "device", { value: "webgpu" });
  throwsWith(() => add(ones(2), gpu), TypeError, "add", "different devices", "cpu", "webgpu");
  throwsWith(() => gpu.exp(), TypeError, "exp", "webgpu");
  assert.instance(gpu, Tensor);
});

test.run();
