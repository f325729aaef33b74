// Joining and slicing: cat stack narrow select index.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { arange, cat, index, narrow, select, stack, tensor, zeros } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

const m = () => arange(6, { dtype: "float64" }).reshape(2, 3); // [[0,1,2],[3,4,5]]

test("cat along dims, negative dims, promotion", () => {
  const a = m(), b = m().add(10);
  tensorIs(cat([a, b]), [4, 3], "float64", [[0, 1, 2], [3, 4, 5], [10, 11, 12], [13, 14, 15]]);
  tensorIs(cat([a, b], 1), [2, 6], "float64", [[0, 1, 2, 10, 11, 12], [3, 4, 5, 13, 14, 15]]);
  tensorIs(cat([a, b.narrow(1, 0, 1)], -1), [2, 4], "float64", [[0, 1, 2, 10], [3, 4, 5, 13]]);
  tensorIs(cat([tensor([1]), tensor([2, 3], { dtype: "float64" })]), [3], "float64", [1, 2, 3]);
  tensorIs(cat([tensor([1, 2])]), [2], "float32", [1, 2]);
  tensorIs(cat([zeros(0), m()]), [2, 3], "float64", [[0, 1, 2], [3, 4, 5]]); // legacy empty 1-D skipped
  tensorIs(cat([zeros(0), zeros(0)]), [0], "float32", []);
});

test("cat errors", () => {
  throwsWith(() => cat([m(), zeros(2, 4)]), RangeError, "cat: shapes [2,3] and [2,4] must match except in dim 0");
  throwsWith(() => cat([m(), zeros(3)]), RangeError, "cat", "[2,3]", "[3]");
  throwsWith(() => cat([]), RangeError, "cat", "non-empty");
  throwsWith(() => cat(m() as never), TypeError, "cat", "array of Tensors");
  throwsWith(() => cat([m(), 1 as never]), TypeError, "cat", "position 1");
  throwsWith(() => cat([tensor(1), tensor(2)]), RangeError, "cat", "0-d");
  throwsWith(() => cat([m(), m()], 2), RangeError, "cat", "out of range");
});

test("stack along a new dim", () => {
  const a = tensor([1, 2], { dtype: "float64" }), b = tensor([3, 4], { dtype: "float64" });
  tensorIs(stack([a, b]), [2, 2], "float64", [[1, 2], [3, 4]]);
  tensorIs(stack([a, b], 1), [2, 2], "float64", [[1, 3], [2, 4]]);
  tensorIs(stack([a, b], -1), [2, 2], "float64", [[1, 3], [2, 4]]);
  tensorIs(stack([tensor(1), tensor(2)]), [2], "float32", [1, 2]);
  const s = stack([m(), m().neg(), m().mul(2)], 1);
  assert.equal([...s.shape], [2, 3, 3]);
  values(s.select(0, 1), [[3, 4, 5], [-3, -4, -5], [6, 8, 10]]);
  throwsWith(() => stack([a, tensor([1, 2, 3])]), RangeError, "stack", "[2]", "[3]", "position 1");
  throwsWith(() => stack([a, b], 2), RangeError, "stack", "out of range");
  throwsWith(() => stack([]), RangeError, "stack");
});

test("narrow", () => {
  tensorIs(m().narrow(1, 1, 2), [2, 2], "float64", [[1, 2], [4, 5]]);
  tensorIs(narrow(m(), 0, 1, 1), [1, 3], "float64", [[3, 4, 5]]);
  tensorIs(m().narrow(-1, -2, 2), [2, 2], "float64", [[1, 2], [4, 5]]);
  tensorIs(m().narrow(1, 3, 0), [2, 0], "float64", [[], []]);
  throwsWith(() => m().narrow(1, 2, 2), RangeError, "narrow", "exceeds", "size 3", "[2,3]");
  throwsWith(() => m().narrow(1, 4, 0), RangeError, "narrow", "start 4");
  throwsWith(() => m().narrow(1, 0, -1), RangeError, "narrow");
  throwsWith(() => m().narrow(2, 0, 1), RangeError, "narrow", "out of range");
  throwsWith(() => m().narrow(1, 0.5, 1), TypeError, "narrow", "start");
  throwsWith(() => tensor(1).narrow(0, 0, 1), RangeError, "narrow", "0-d");
});

test("select removes the dim", () => {
  tensorIs(m().select(0, 1), [3], "float64", [3, 4, 5]);
  tensorIs(select(m(), 1, -1), [2], "float64", [2, 5]);
  tensorIs(tensor([7, 8]).select(0, 0), [], "float32", 7);
  throwsWith(() => m().select(0, 2), RangeError, "select: index 2 out of range for dim 0 of size 2");
  throwsWith(() => m().select(1, -4), RangeError, "select", "-4");
  throwsWith(() => tensor(1).select(0, 0), RangeError, "select", "0-d");
});

test("index gathers along dim 0 like x[idx]", () => {
  tensorIs(m().index([1, 0, 1]), [3, 3], "float64", [[3, 4, 5], [0, 1, 2], [3, 4, 5]]);
  tensorIs(m().index([-1]), [1, 3], "float64", [[3, 4, 5]]);
  tensorIs(m().index([[0], [1]]), [2, 1, 3], "float64", [[[0, 1, 2]], [[3, 4, 5]]]);
  tensorIs(index(tensor([10, 20, 30]), tensor([2, 2, 0])), [3], "float32", [30, 30, 10]);
  tensorIs(tensor([10, 20, 30]).index(new Int32Array([1])), [1], "float32", [20]);
  tensorIs(m().index(1), [3], "float64", [3, 4, 5]);
  tensorIs(m().index([]), [0, 3], "float64", []);
  tensorIs(tensor([5, 6]).index(tensor(1)), [], "float32", 6);
  throwsWith(() => m().index([2]), RangeError, "index", "index 2 out of range for dim 0 of size 2");
  throwsWith(() => m().index([0.5]), TypeError, "index", "integers");
  throwsWith(() => m().index([true, false]), TypeError, "index", "boolean");
  throwsWith(() => tensor(1).index([0]), RangeError, "index", "0-d");
});

test.run();
