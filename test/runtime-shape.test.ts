// Shape ops: reshape view flatten squeeze unsqueeze transpose permute expand t.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { arange, expand, flatten, permute, reshape, squeeze, t, tensor, transpose, unsqueeze, view, zeros } from "../runtime/index.js";
import { tensorIs, throwsWith, values } from "./runtime-assert.js";

const m = () => arange(6, { dtype: "float64" }).reshape(2, 3); // [[0,1,2],[3,4,5]]
const c = () => arange(24).reshape(2, 3, 4);

test("reshape / view: sizes as an array or as numbers, -1 inferred", () => {
  tensorIs(m().reshape([3, 2]), [3, 2], "float64", [[0, 1], [2, 3], [4, 5]]);
  tensorIs(m().reshape(3, 2), [3, 2], "float64", [[0, 1], [2, 3], [4, 5]]);
  tensorIs(m().reshape(-1), [6], "float64", [0, 1, 2, 3, 4, 5]);
  tensorIs(m().view(1, -1, 2), [1, 3, 2], "float64", [[[0, 1], [2, 3], [4, 5]]]);
  tensorIs(reshape(m(), [6, 1]), [6, 1], "float64", [[0], [1], [2], [3], [4], [5]]);
  tensorIs(view(tensor([7]), []), [], "float32", 7);
  tensorIs(tensor(7).reshape(1, 1), [1, 1], "float32", [[7]]);
  tensorIs(zeros(0, 3).reshape(-1, 3), [0, 3], "float32", []);
});

test("reshape results own their data", () => {
  const a = m();
  const b = a.reshape(6);
  b.data[0] = 99;
  assert.is(a.data[0], 0);
});

test("reshape errors", () => {
  throwsWith(() => m().reshape(4), RangeError, "reshape: cannot reshape [2,3] (6 elements) to [4]");
  throwsWith(() => m().view([4, -1]), RangeError, "view: cannot reshape [2,3] (6 elements) to [4,-1]");
  throwsWith(() => m().reshape(-1, -1), RangeError, "reshape", "only one");
  throwsWith(() => m().reshape(2, -2), RangeError, "reshape");
  throwsWith(() => m().reshape(1.5, 4), RangeError, "reshape");
  throwsWith(() => m().reshape("6" as never), TypeError, "reshape");
  throwsWith(() => zeros(0, 3).reshape(0, -1), RangeError, "reshape");
});

test("flatten", () => {
  assert.equal([...c().flatten().shape], [24]);
  assert.equal([...c().flatten(1).shape], [2, 12]);
  assert.equal([...flatten(c(), 0, 1).shape], [6, 4]);
  assert.equal([...c().flatten(-2, -1).shape], [2, 12]);
  assert.equal([...c().flatten(1, 1).shape], [2, 3, 4]);
  tensorIs(tensor(3).flatten(), [1], "float32", [3]);
  values(c().flatten(1).select(0, 1), [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  throwsWith(() => c().flatten(2, 1), RangeError, "flatten");
  throwsWith(() => c().flatten(0, 3), RangeError, "flatten", "out of range");
});

test("squeeze / unsqueeze", () => {
  const x = zeros(1, 2, 1, 3);
  assert.equal([...x.squeeze().shape], [2, 3]);
  assert.equal([...x.squeeze(0).shape], [2, 1, 3]);
  assert.equal([...x.squeeze(-2).shape], [1, 2, 3]);
  assert.equal([...x.squeeze(1).shape], [1, 2, 1, 3]); // size 2: kept, as in PyTorch
  assert.equal([...squeeze(x, [0, 2]).shape], [2, 3]);
  assert.equal([...zeros(1).squeeze().shape], []);
  assert.equal([...m().unsqueeze(0).shape], [1, 2, 3]);
  assert.equal([...m().unsqueeze(2).shape], [2, 3, 1]);
  assert.equal([...m().unsqueeze(-1).shape], [2, 3, 1]);
  assert.equal([...unsqueeze(m(), -3).shape], [1, 2, 3]);
  assert.equal([...tensor(1).unsqueeze(0).shape], [1]);
  values(m().unsqueeze(1), [[[0, 1, 2]], [[3, 4, 5]]]);
  throwsWith(() => m().unsqueeze(3), RangeError, "unsqueeze: dim 3 out of range for shape [2,3] (expected -3..2)");
  throwsWith(() => x.squeeze(4), RangeError, "squeeze", "out of range");
});

test("transpose / t / T", () => {
  tensorIs(m().transpose(0, 1), [3, 2], "float64", [[0, 3], [1, 4], [2, 5]]);
  tensorIs(transpose(m(), -1, -2), [3, 2], "float64", [[0, 3], [1, 4], [2, 5]]);
  tensorIs(m().t(), [3, 2], "float64", [[0, 3], [1, 4], [2, 5]]);
  tensorIs(t(tensor([1, 2])), [2], "float32", [1, 2]);
  tensorIs(m().T, [3, 2], "float64", [[0, 3], [1, 4], [2, 5]]);
  const x = c().transpose(0, 2);
  assert.equal([...x.shape], [4, 3, 2]);
  values(x.select(0, 1), [[1, 13], [5, 17], [9, 21]]);
  assert.equal([...c().T.shape], [4, 3, 2]);
  tensorIs(tensor(5).transpose(0, -1), [], "float32", 5);
  throwsWith(() => c().t(), RangeError, "t", "[2,3,4]");
  throwsWith(() => m().transpose(0, 2), RangeError, "transpose", "out of range");
});

test("permute: dims as an array or as numbers", () => {
  const x = c().permute(2, 0, 1);
  assert.equal([...x.shape], [4, 2, 3]);
  values(x.select(0, 3), [[3, 7, 11], [15, 19, 23]]);
  assert.equal([...permute(c(), [-1, 1, 0]).shape], [4, 3, 2]);
  tensorIs(tensor(2).permute([]), [], "float32", 2);
  throwsWith(() => c().permute(0, 1), RangeError, "permute", "expected 3 dims", "[2,3,4]");
  throwsWith(() => c().permute(0, 1, 1), RangeError, "permute", "repeat");
  throwsWith(() => c().permute(0, 1, 3), RangeError, "permute", "out of range");
});

test("expand: size-1 dims repeat, new leading dims, -1 keeps", () => {
  tensorIs(tensor([1, 2, 3]).expand(2, 3), [2, 3], "float32", [[1, 2, 3], [1, 2, 3]]);
  tensorIs(tensor([[1], [2]]).expand([2, 3]), [2, 3], "float32", [[1, 1, 1], [2, 2, 2]]);
  tensorIs(tensor([[1], [2]]).expand(-1, 2), [2, 2], "float32", [[1, 1], [2, 2]]);
  tensorIs(expand(tensor([[1], [2]]), 2, -1, 2), [2, 2, 2], "float32", [[[1, 1], [2, 2]], [[1, 1], [2, 2]]]);
  tensorIs(tensor(4).expand(3), [3], "float32", [4, 4, 4]);
  tensorIs(tensor([1]).expand(0), [0], "float32", []);
  throwsWith(() => tensor([1, 2]).expand(3), RangeError, "expand: cannot expand [2] to [3]");
  throwsWith(() => tensor([1, 2]).expand(-1, 2), RangeError, "expand", "[-1,2]");
  throwsWith(() => zeros(2, 2).expand(2), RangeError, "expand");
});

test.run();
