// adZ (runtime/ad.ts): tensor ops on tangents in forward over reverse, where
// undefined is a structural zero (the tangent of a cotangent nothing varied
// has reached yet). Sums skip it, where takes it as 0, ops linear in it give
// undefined; with every operand defined it is the op itself.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { adNumAdd, adSumTo, adZ } from "../runtime/ad.js";
import { tensor } from "../runtime/index.js";

const a = tensor([1, -2, 3], { dtype: "float64" });
const b = tensor([10, 20, 30], { dtype: "float64" });
const c = tensor([1, 0, 1], { dtype: "float64" });
const data = (t: unknown) => [...(t as { data: Float64Array }).data];

test("adZ: defined operands run the op", () => {
  assert.equal(data(adZ("add", 2, a, b)), [11, 18, 33]);
  assert.equal(data(adZ("where", 3, c, a, b)), [1, 20, 3]);
});

test("adZ: add and sub skip an undefined operand", () => {
  assert.equal(data(adZ("add", 2, undefined, b)), [10, 20, 30]);
  assert.equal(data(adZ("sub", 2, a, undefined)), [1, -2, 3]);
  assert.equal(data(adZ("sub", 2, undefined, b)), [-10, -20, -30]);
  assert.is(adZ("add", 2, undefined, undefined), undefined);
});

test("adZ: where takes an undefined branch as 0, both undefined as undefined", () => {
  assert.equal(data(adZ("where", 3, c, a, undefined)), [1, 0, 3]);
  assert.equal(data(adZ("where", 3, c, undefined, b)), [0, 20, 0]);
  assert.is(adZ("where", 3, c, undefined, undefined), undefined);
});

test("adZ: an op linear in an undefined tangent gives undefined", () => {
  assert.is(adZ("mul", 2, undefined, b), undefined);
  assert.is(adZ("matmul", 2, a, undefined), undefined);
  assert.is(adZ("sum", 1, undefined, undefined, false), undefined);
});

test("adSumTo: an undefined tangent summed to a number is 0 (a number parameter's cotangent adds it), to a Tensor stays undefined", () => {
  // fixtures/fuzz-tensor/fuzz_06e102cc94.ts: hessian threw "add: expected a Tensor or a number for other, got undefined"
  assert.is(adSumTo(undefined, 0.5), 0);
  assert.is(adNumAdd(1.5, adSumTo(undefined, 0.5)), 1.5);
  assert.is(adSumTo(undefined, a), undefined);
  assert.is(adSumTo(b, 0.5), 60);
});

test.run();
