// dropout (torch.nn.functional.dropout) and the random factories randLike /
// randnLike: at run time, PyTorch's numbers from a seeded draw; inside a
// differentiated function each is a random op under the marker's `randomness`
// (SPEC §2), except dropout with `training` false, which is its input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dropout, ones, rand, randLike, randn, randnLike, tensor, type Tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";

test("dropout: zeroes with probability p, scales the rest by 1 / (1 − p), from rand's draw; the input itself when not training", () => {
  const x = ones([100, 100], { dtype: "float64" });
  const y = dropout(x, 0.3, true, { seed: 7 });
  // the same uniform draw as rand's with that seed: kept where u ≥ p
  const u = rand([100, 100], { seed: 7, dtype: "float64" });
  let kept = 0;
  y.data.forEach((v, i) => {
    assert.is(v, u.data[i] >= 0.3 ? 1 / 0.7 : 0, `entry ${i}`);
    if (v) kept++;
  });
  assert.ok(kept > 6700 && kept < 7300, `about 70% kept, got ${kept}`);
  assert.is(dropout(x, 0.3, false), x, "evaluation: the input itself");
  assert.is(dropout(x, 0), x, "p = 0: the input itself");
  assert.equal(Array.from(dropout(tensor([1, -2, 3], { dtype: "float64" }), 1).data), [0, -0, 0]);
  const f = dropout(ones([4], { dtype: "float32" }), 0.5, true, { seed: 1 });
  assert.is(f.dtype, "float32");
  f.data.forEach((v) => assert.ok(v === 0 || v === 2));
  assert.throws(() => dropout(x, 1.5), (e: Error) => e instanceof RangeError && /dropout: probability p must be between 0 and 1, got number 1\.5/.test(e.message));
  assert.throws(() => dropout(x, 0.5, "yes" as unknown as boolean), (e: Error) => e instanceof TypeError && /dropout: training must be a boolean/.test(e.message));
  assert.throws(() => dropout([1, 2] as unknown as Tensor), (e: Error) => e instanceof TypeError && /dropout: expected a Tensor for input/.test(e.message));
});

test("randLike / randnLike: the input's shape, dtype and device; seeded as rand / randn", () => {
  const x = ones([2, 3], { dtype: "float32" });
  const a = randLike(x, { seed: 3 }), b = randnLike(x, { seed: 3 });
  assert.equal([...a.shape], [2, 3]);
  assert.is(a.dtype, "float32");
  assert.equal(Array.from(a.data), Array.from(rand([2, 3], { seed: 3, dtype: "float32" }).data));
  assert.equal(Array.from(b.data), Array.from(randn([2, 3], { seed: 3, dtype: "float32" }).data));
  assert.is(randLike(x, { dtype: "float64" }).dtype, "float64");
  assert.throws(() => randLike(ones([2], { dtype: "bool" })), (e: Error) => e instanceof TypeError && /randLike: dtype/.test(e.message));
});

test("inside a differentiated function: dropout(x, p, false) is x; a drawing dropout, randLike and randnLike are random ops", async () => {
  const m = await compileAndImport(`
import { grad, dropout, type Tensor } from "jacc";
export const g = grad((x: Tensor): Tensor => dropout(x.tanh(), 0.25, false).sum());
export const h = grad((x: Tensor): Tensor => x.tanh().sum());
export { tensor } from "jacc";
`, "dropout-eval");
  const x = m.tensor([0.5, -1, 2], { dtype: "float64" });
  assert.equal(Array.from(m.g(x).data), Array.from(m.h(x).data));
  expectDiagnostic("dropout-train", `import { dropout, type Tensor } from "jacc";\nexport const g = grad((x: Tensor): Tensor => ‸dropout(x, 0.2).sum());\n`, {
    code: "random",
    message: [/a random op \(`dropout\(x, 0\.2\)`\) under randomness "error"/, /give `training` the literal false/, /rand\(x\.shape\)\.ge\(p\)/],
  });
  expectDiagnostic("randlike-default", `import { randLike, type Tensor } from "jacc";\nexport const g = grad((x: Tensor): Tensor => x.mul(‸randLike(x)).sum());\n`, {
    code: "random",
    message: [/`randLike\(x\)`/, /draw it outside and pass it in/],
  });
  expectDiagnostic("randnlike-different", `import { randnLike, type Tensor } from "jacc";\nexport const g = jacfwd((x: Tensor): Tensor => x.mul(‸randnLike(x)).sum(), { randomness: "different" });\n`, {
    code: "unsupported-construct",
    message: [/`randnLike\(…\)` \(a random Tensor\) is not supported in a differentiated function/],
  });
  expectDiagnostic("dropout-p", `import { dropout, type Tensor } from "jacc";\nexport const g = grad((x: Tensor): Tensor => dropout(x, ‸2, false).sum());\n`, {
    code: "invalid-option",
    message: [/dropout's p must be a number literal between 0 and 1/],
  });
});

test.run();
