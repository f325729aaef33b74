// The Tensor class: construction, properties, reading values, conversion.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor, tensor, arange, zeros } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

test("constructor wraps the typed array without copying; dtype from the array", () => {
  const data = new Float64Array([1, 2, 3, 4, 5, 6]);
  const t = new Tensor(data, [2, 3]);
  assert.is(t.data, data);
  assert.is(t.dtype, "float64");
  assert.is(t.device, "cpu");
  assert.equal([...t.shape], [2, 3]);
  assert.equal([...t.strides], [3, 1]);
  assert.is(new Tensor(new Float32Array(2), [2]).dtype, "float32");
});

test("constructor: 0-d and empty tensors", () => {
  const s = new Tensor(new Float64Array([7]), []);
  assert.equal([...s.strides], []);
  assert.is(s.toArray(), 7);
  const e = new Tensor(new Float32Array(0), [2, 0, 3]);
  assert.is(e.numel(), 0);
  assert.equal(e.toArray(), [[], []]);
});

test("constructor rejects a shape that does not match the data", () => {
  throwsWith(() => new Tensor(new Float64Array(5), [2, 3]), RangeError, "Tensor", "[2,3]", "6", "5");
  throwsWith(() => new Tensor(new Float64Array(6), [2, -3]), RangeError, "[2,-3]");
  throwsWith(() => new Tensor(new Float64Array(6), [2.5, 2]), RangeError);
  throwsWith(() => new Tensor([1, 2] as unknown as Float64Array, [2]), TypeError, "Float32Array, a Float64Array, a Uint8Array (bool) or an Int32Array");
  throwsWith(() => new Tensor(new Uint16Array(2) as unknown as Float64Array, [2]), TypeError);
});

test("strides are row-major", () => {
  assert.equal([...zeros(2, 3, 4).strides], [12, 4, 1]);
  assert.equal([...zeros(5).strides], [1]);
});

test("numel, ndim, dim(), size()", () => {
  const t = zeros(2, 3, 4);
  assert.is(t.numel(), 24);
  assert.is(t.ndim, 3);
  assert.is(t.dim(), 3);
  assert.equal(t.size(), [2, 3, 4]);
  assert.is(t.size(1), 3);
  assert.is(t.size(-1), 4);
  throwsWith(() => t.size(3), RangeError, "size", "out of range", "[2,3,4]");
  assert.is(tensor(3).numel(), 1);
  assert.is(tensor(3).ndim, 0);
});

test("toArray nests by dims; 0-d gives a number", () => {
  const t = arange(24, { dtype: "float64" }).reshape(2, 3, 4);
  const a = t.toArray() as number[][][];
  assert.is(a.length, 2);
  assert.is(a[0].length, 3);
  assert.equal(a[1][2], [20, 21, 22, 23]);
  assert.equal(tensor([5]).toArray(), [5]);
  assert.is(tensor(2.5).toArray(), 2.5);
  assert.equal(zeros(1, 1, 1).toArray(), [[[0]]]);
});

test("toArray of float32 gives the float32 values", () => {
  assert.equal(tensor([0.1]).toArray(), [Math.fround(0.1)]);
});

test("item", () => {
  assert.is(tensor(4).item(), 4);
  assert.is(tensor([[4]]).item(), 4);
  throwsWith(() => tensor([1, 2]).item(), RangeError, "item", "[2]");
});

test("clone copies the data", () => {
  const t = tensor([1, 2, 3]);
  const c = t.clone();
  c.data[0] = 9;
  assert.is(t.data[0], 1);
  assert.equal([...c.shape], [3]);
  assert.is(c.dtype, "float32");
});

test("to converts dtypes and returns the tensor itself when nothing changes", () => {
  const t = tensor([0.1, 2]);
  const d = t.to("float64");
  tensorIs(d, [2], "float64", [Math.fround(0.1), 2]);
  assert.is(t.to("float32"), t);
  assert.is(t.to("cpu"), t);
  assert.is(d.to({ dtype: "float64" }), d);
  tensorIs(tensor([0.1], { dtype: "float64" }).to("float32"), [1], "float32", [Math.fround(0.1)]);
  assert.is(t.double().dtype, "float64");
  assert.is(d.float().dtype, "float32");
});

test("to: webgpu is not initialised; bad targets are TypeErrors", () => {
  throwsWith(() => tensor([1]).to("webgpu"), Error, "not initialised");
  throwsWith(() => tensor([1]).to("int64" as "float32"), TypeError, "to");
});

test("read resolves to the storage", async () => {
  const t = tensor([1, 2], { dtype: "float64" });
  const r = await t.read();
  assert.instance(r, Float64Array);
  assert.equal([...r], [1, 2]);
});

test("toString is PyTorch-like", () => {
  assert.is(String(tensor([[1, 2], [3, 4]])), "tensor([[1, 2],\n        [3, 4]], dtype=float32)");
  assert.is(String(tensor(0.1)), "tensor(0.1, dtype=float32)");
  assert.is(String(tensor([0.1], { dtype: "float64" })), "tensor([0.1], dtype=float64)");
  assert.is(String(zeros(2, 0)), "tensor([], size=[2,0], dtype=float32)");
  assert.is(String(zeros(0)), "tensor([], dtype=float32)");
  assert.is(String(tensor([[1, 2], [3, 4]], { dtype: "float64" }).reshape(2, 1, 2)), "tensor([[[1, 2]],\n\n        [[3, 4]]], dtype=float64)");
  const big = String(arange(2000));
  assert.ok(big.includes("..."), big);
  assert.ok(big.includes("1999"), big);
  assert.ok(big.length < 200, big);
});

test("methods and functions give the same results", () => {
  const x = tensor([[1, -2], [3, 4]], { dtype: "float64" });
  values(x.abs().mul(2).add(1).sum(1), [8, 16]);
  values(x.T, [[1, 3], [-2, 4]]);
  values(x.t(), [[1, 3], [-2, 4]]);
});

test.run();
