// crossEntropy (runtime/ops/loss.ts; compiler/ops/tensor.ts, crossEntropy and
// ad.ceTarget): values against the formula, class indices and probabilities,
// bad targets named, and the same numbers on WebGPU (class indices there become
// a one-hot by comparison; an index that is not a class gives NaN, as the CPU
// gives a RangeError). Derivatives: test/rules-tensor.test.ts (every marker
// against finite differences) and fixtures/tensor/61_cross_entropy.ts (PyTorch's values).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { binaryCrossEntropyWithLogits, crossEntropy, nllLoss, tensor, Tensor } from "../runtime/index.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { compileAndImport } from "./util/compile.js";
import { gpuTest, registerAllKernels } from "./util/webgpu.js";
import { throwsWith } from "./runtime-assert.js";

const X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]];
/** −mean over rows of log softmax(x)[target]. */
const byHand = (x: number[][], t: number[]): number =>
  -x.reduce((s, row, i) => s + row[t[i]] - Math.log(row.reduce((a, v) => a + Math.exp(v), 0)), 0) / x.length;

test("class indices and probabilities: the formula; one example [C] with a 0-d index", () => {
  const x = tensor(X, { dtype: "float64" });
  assert.ok(Math.abs(crossEntropy(x, tensor([2, 0], { dtype: "float64" })).item() - byHand(X, [2, 0])) < 1e-15);
  // a one-hot probability target is the same loss
  assert.ok(Math.abs(crossEntropy(x, tensor([[0, 0, 1], [1, 0, 0]], { dtype: "float64" })).item() - byHand(X, [2, 0])) < 1e-15);
  assert.ok(Math.abs(crossEntropy(tensor(X[1], { dtype: "float64" }), tensor(0, { dtype: "float64" })).item() - byHand([X[1]], [0])) < 1e-15);
  assert.equal([...crossEntropy(x, tensor([2, 0])).shape], []);
});

test("bad inputs: the op, the shapes and the index named", () => {
  const x = tensor(X);
  throwsWith(() => crossEntropy(x, tensor([3, 0])), RangeError, /^crossEntropy: target 3 at position 0 is not a class index in 0\.\.2 \(input \[2,3\]\)$/);
  throwsWith(() => crossEntropy(x, tensor([0.5, 0])), RangeError, /^crossEntropy: target 0\.5 at position 0 is not a class index/);
  throwsWith(() => crossEntropy(x, tensor([1, 2, 0])), RangeError, /^crossEntropy: target must be class indices \[2\] or probabilities \[2,3\] for input \[2,3\], got \[3\]$/);
  throwsWith(() => crossEntropy(tensor(1), tensor(0)), RangeError, /^crossEntropy: input must be \[C\], \[N, C\] or \[N, C, d1, …\] \(class scores\), got \[\]$/);
  throwsWith(() => crossEntropy(tensor([[[1, 2]]]), tensor([0])), RangeError, /^crossEntropy: target must be class indices \[1,2\] or probabilities \[1,1,2\] for input \[1,1,2\], got \[1\]$/);
  throwsWith(() => crossEntropy(X as unknown as Tensor, tensor([0, 1])), TypeError, /^crossEntropy: expected a Tensor for input, got/);
  throwsWith(() => crossEntropy(x, [0, 1] as unknown as Tensor), TypeError, /^crossEntropy: expected a Tensor for target, got/);
});

gpuTest("cross-entropy.test.ts", "WebGPU: class indices and probabilities give the CPU's numbers; an index that is not a class gives NaN", async () => {
  registerAllKernels();
  const x = tensor(X);
  const cpu = crossEntropy(x, tensor([2, 0])).item();
  const read = async (t: Tensor) => (await t.read())[0];
  assert.ok(Math.abs((await read(crossEntropy(x.to("webgpu"), tensor([2, 0]).to("webgpu")))) - cpu) < 1e-6);
  assert.ok(Math.abs((await read(crossEntropy(x.to("webgpu"), tensor([[0, 0, 1], [1, 0, 0]]).to("webgpu")))) - cpu) < 1e-6);
  assert.ok(Number.isNaN(await read(crossEntropy(x.to("webgpu"), tensor([3, 0]).to("webgpu")))));
  // ignoreIndex and labelSmoothing: the mean over the rows that count, on the device too (NaN where none counts)
  const x3 = tensor([...X, [0.2, 0.2, -0.7]]), t3 = tensor([2, 1, 0]);
  for (const opts of [{ ignoreIndex: 1 }, { labelSmoothing: 0.2 }, { ignoreIndex: 0, labelSmoothing: 0.1 }, { ignoreIndex: 1, reduction: "sum" as const }]) {
    const want = crossEntropy(x3, t3, opts).item();
    assert.ok(Math.abs((await read(crossEntropy(x3.to("webgpu"), t3.to("webgpu"), opts))) - want) < 1e-6, JSON.stringify(opts));
  }
  assert.ok(Number.isNaN(await read(crossEntropy(x3.to("webgpu"), tensor([1, 1, 1]).to("webgpu"), { ignoreIndex: 1 }))));
  // a class weight and [N, C, d]: the CPU's numbers
  const w = tensor([0.5, 2, 1.5]), s = tensor([[[0.3, 1.5], [-1.2, 0.1], [0.8, -0.4]], [[0.2, -1], [0.2, 0.5], [-0.7, 0.4]]]), ts = tensor([[2, 0], [1, 1]]);
  for (const opts of [{ weight: w }, { weight: w, ignoreIndex: 1, labelSmoothing: 0.2 }]) {
    const want = crossEntropy(x3, t3, opts).item();
    assert.ok(Math.abs((await read(crossEntropy(x3.to("webgpu"), t3.to("webgpu"), { ...opts, weight: w.to("webgpu") }))) - want) < 1e-6, JSON.stringify(opts));
    const wantS = crossEntropy(s, ts, opts).item();
    assert.ok(Math.abs((await read(crossEntropy(s.to("webgpu"), ts.to("webgpu"), { ...opts, weight: w.to("webgpu") }))) - wantS) < 1e-6, `[N, C, d] ${JSON.stringify(opts)}`);
  }
  const soft = s.mul(2).softmax(1);
  assert.ok(Math.abs((await read(nllLoss(s.to("webgpu"), ts.to("webgpu"), { weight: w.to("webgpu") }))) - nllLoss(s, ts, { weight: w }).item()) < 1e-6);
  assert.ok(Math.abs((await read(crossEntropy(s.to("webgpu"), soft.to("webgpu"), { weight: w.to("webgpu") }))) - crossEntropy(s, soft, { weight: w }).item()) < 1e-6);
  throwsWith(() => crossEntropy(x3.to("webgpu"), t3.to("webgpu"), { weight: w }), TypeError, /^crossEntropy: weight is on cpu, input on webgpu$/);
});

test("ignoreIndex and labelSmoothing: PyTorch's formula; −100 ignored by default; bad values named", () => {
  const x = tensor([...X, [0.2, 0.2, -0.7]], { dtype: "float64" });
  // rows 0 and 2 count: the mean of their losses
  const full = crossEntropy(x, tensor([2, 1, 0], { dtype: "float64" }), { reduction: "none" }).data;
  assert.ok(Math.abs(crossEntropy(x, tensor([2, 1, 0], { dtype: "float64" }), { ignoreIndex: 1 }).item() - (full[0] + full[2]) / 2) < 1e-15);
  assert.ok(Math.abs(crossEntropy(x, tensor([2, -100, 0], { dtype: "float64" })).item() - (full[0] + full[2]) / 2) < 1e-15);
  assert.ok(Number.isNaN(crossEntropy(x, tensor([1, 1, 1], { dtype: "float64" }), { ignoreIndex: 1 }).item()), "no row counts: NaN, as PyTorch's 0 / 0");
  // smoothing ε: (1 − ε) · nll + ε / C · Σ_c −log p_c per row
  const lp = x.logSoftmax(-1).data, eps = 0.3;
  const row = (i: number, k: number) => (1 - eps) * -lp[i * 3 + k] + (eps / 3) * -(lp[i * 3] + lp[i * 3 + 1] + lp[i * 3 + 2]);
  assert.ok(Math.abs(crossEntropy(x, tensor([2, 1, 0], { dtype: "float64" }), { labelSmoothing: eps }).item() - (row(0, 2) + row(1, 1) + row(2, 0)) / 3) < 1e-14);
  throwsWith(() => crossEntropy(x, tensor([2, 1, 0]), { labelSmoothing: 1.5 }), RangeError, /^crossEntropy: labelSmoothing must be between 0 and 1, got number 1\.5$/);
  throwsWith(() => crossEntropy(x, tensor([2, 1, 0]), { ignoreIndex: 0.5 }), TypeError, /^crossEntropy: ignoreIndex must be an integer, got number 0\.5$/);
  throwsWith(() => crossEntropy(x, x.softmax(-1), { ignoreIndex: 1 }), RangeError, /^crossEntropy: ignoreIndex \(1\) is not supported for a target of probabilities \[3,3\]$/);
  throwsWith(() => crossEntropy(x, tensor([2, 1, 0]), { weights: x } as never), RangeError, /^crossEntropy: unknown option "weights" \(it takes \{ reduction, weight, ignoreIndex, labelSmoothing \}\)$/);
  assert.ok(Math.abs(nllLoss(x.logSoftmax(-1), tensor([2, 1, 0], { dtype: "float64" }), { ignoreIndex: 1 }).item() - (full[0] + full[2]) / 2) < 1e-15);
  throwsWith(() => nllLoss(x, tensor([2, 1, 0]), { labelSmoothing: 0.1 } as never), RangeError, /^nllLoss: unknown option "labelSmoothing" \(it takes \{ reduction, weight, ignoreIndex \}\)$/);
});

test("a class weight: each row times its class's weight, the mean divided by the weight of the rows that count; bad weights named", () => {
  const x = tensor([...X, [0.2, 0.2, -0.7]], { dtype: "float64" }), t = tensor([2, 1, 0], { dtype: "float64" }), w = tensor([0.5, 2, 1.5], { dtype: "float64" });
  const lp = x.logSoftmax(-1).data, W = [0.5, 2, 1.5];
  // PyTorch's: Σ_n w_{t_n} (−log p_{n,t_n}) / Σ_n w_{t_n}
  const terms = [2, 1, 0].map((k, n) => W[k] * -lp[n * 3 + k]);
  assert.ok(Math.abs(crossEntropy(x, t, { weight: w }).item() - (terms[0] + terms[1] + terms[2]) / (1.5 + 2 + 0.5)) < 1e-15);
  assert.ok(Math.abs(crossEntropy(x, t, { weight: w, ignoreIndex: 1 }).item() - (terms[0] + terms[2]) / (1.5 + 0.5)) < 1e-15);
  assert.ok(Math.abs(crossEntropy(x, t, { weight: w, reduction: "sum" }).item() - (terms[0] + terms[1] + terms[2])) < 1e-14);
  assert.equal(Array.from(nllLoss(x.logSoftmax(-1), t, { weight: w, reduction: "none" }).data).map((v, n) => Math.abs(v - terms[n]) < 1e-15), [true, true, true]);
  // probabilities: each class's term times its weight, the mean over rows
  const p = x.mul(2).softmax(-1), pd = p.data;
  const soft = [0, 1, 2].map((n) => -[0, 1, 2].reduce((s, c) => s + W[c] * pd[n * 3 + c] * lp[n * 3 + c], 0));
  assert.ok(Math.abs(crossEntropy(x, p, { weight: w }).item() - (soft[0] + soft[1] + soft[2]) / 3) < 1e-15);
  throwsWith(() => crossEntropy(x, t, { weight: tensor([1, 2]) }), RangeError, /^crossEntropy: weight must be \[3\] \(one per class of input \[3,3\]\), got \[2\]$/);
  throwsWith(() => crossEntropy(x, t, { weight: [1, 2, 3] as never }), TypeError, /^crossEntropy: weight must be a Tensor of one weight per class, got/);
  throwsWith(() => nllLoss(x, t, { weight: tensor([[1, 2, 3]]) }), RangeError, /^nllLoss: weight must be \[3\] \(one per class of input \[3,3\]\), got \[1,3\]$/);
});

test("[N, C, d1, …]: the classes along dim 1, one loss per position (as each position's [N, C] row)", () => {
  // scores [2, 3, 2]: two examples, three classes, two positions; the same as [4, 3] rows with the classes last
  const s = tensor([[[0.3, 1.5], [-1.2, 0.1], [0.8, -0.4]], [[0.2, -1], [0.2, 0.5], [-0.7, 0.4]]], { dtype: "float64" });
  const t = tensor([[2, 0], [1, 1]], { dtype: "float64" }), w = tensor([0.5, 2, 1.5], { dtype: "float64" });
  const rows = s.movedim(1, -1).reshape(4, 3), flat = t.reshape(4);
  const per = crossEntropy(s, t, { reduction: "none", labelSmoothing: 0.1 });
  assert.equal([...per.shape], [2, 2]);
  assert.equal(Array.from(per.data), Array.from(crossEntropy(rows, flat, { reduction: "none", labelSmoothing: 0.1 }).data));
  assert.ok(Math.abs(crossEntropy(s, t, { weight: w, ignoreIndex: 0 }).item() - crossEntropy(rows, flat, { weight: w, ignoreIndex: 0 }).item()) < 1e-15);
  assert.ok(Math.abs(crossEntropy(s, s.softmax(1)).item() - crossEntropy(rows, rows.softmax(-1)).item()) < 1e-15);
  assert.ok(Math.abs(nllLoss(s.logSoftmax(1), t, { weight: w }).item() - nllLoss(rows.logSoftmax(-1), flat, { weight: w }).item()) < 1e-15);
  throwsWith(() => crossEntropy(s, tensor([2, 0])), RangeError, /^crossEntropy: target must be class indices \[2,2\] or probabilities \[2,3,2\] for input \[2,3,2\], got \[2\]$/);
});

test("a class weight that depends on the differentiated input: a diagnostic at the statement (at the marker for an expression body), never a silent zero", () => {
  expectDiagnostic("ce-weight-varies", `import { crossEntropy, grad, tensor, type Tensor } from "jacc";\nconst t = tensor([2, 0]);\nexport const g = grad((z: Tensor): Tensor => {\n  const w = z.sum(0).exp();\n  ‸return crossEntropy(z, t, { weight: w });\n});\n`, {
    code: "unsupported-construct",
    message: [/the derivative of `crossEntropy` with respect to its `weight` is not supported \(PyTorch has none either\)/],
  });
  expectDiagnostic("nll-weight-varies", `import { jacfwd, nllLoss, tensor, type Tensor } from "jacc";\nconst t = tensor([2, 0]);\nexport const g = ‸jacfwd((z: Tensor, w: Tensor): Tensor => nllLoss(z, t, { weight: w }), { argnums: 1 });\n`, {
    code: "unsupported-construct",
    message: [/the derivative of `nllLoss` with respect to its `weight` is not supported/],
  });
});

// ---- binaryCrossEntropyWithLogits's weight and posWeight (values against PyTorch: fixtures/tensor/69_bce_weights.ts)
test("binaryCrossEntropyWithLogits with a weight and a posWeight: w ((1 − y) x − L log σ(x)), L = (p − 1) y + 1; bad ones named", () => {
  const x = tensor([[0.3, -1.2], [1.5, 40]], { dtype: "float64" }), y = tensor([[1, 0], [0.25, 1]], { dtype: "float64" });
  const w = tensor([2, 0.5], { dtype: "float64" }), p = tensor([[3], [0.5]], { dtype: "float64" });
  const got = binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: p, reduction: "none" });
  const ls = (v: number) => -Math.log1p(Math.exp(-v));
  const want = [[0.3, -1.2], [1.5, 40]].map((row, i) => row.map((v, j) => {
    const yy = y.toArray() as number[][], pp = [3, 0.5][i], ww = [2, 0.5][j];
    return ww * ((1 - yy[i][j]) * v - ((pp - 1) * yy[i][j] + 1) * ls(v));
  }));
  (got.toArray() as number[][]).forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-12, `[${i}][${j}] ${v} vs ${want[i][j]}`)));
  throwsWith(() => binaryCrossEntropyWithLogits(x, y, { weight: tensor([1, 2, 3]) }), RangeError, "binaryCrossEntropyWithLogits", "weight of shape [3]", "input's shape [2,2]");
  throwsWith(() => binaryCrossEntropyWithLogits(x, y, { posWeight: [1, 2] as never }), TypeError, "binaryCrossEntropyWithLogits", "posWeight must be a Tensor");
  throwsWith(() => binaryCrossEntropyWithLogits(x, y, { pos_weight: w } as never), RangeError, "unknown option", "posWeight");
});

test("binaryCrossEntropyWithLogits: a posWeight that depends on the differentiated input is a diagnostic", () => {
  expectDiagnostic("bce-pos-weight-varies", `import { binaryCrossEntropyWithLogits, grad, tensor, type Tensor } from "jacc";\nconst t = tensor([1, 0]);\nexport const g = grad((z: Tensor): Tensor => {\n  const p = z.exp();\n  ‸return binaryCrossEntropyWithLogits(z, t, { posWeight: p });\n});\n`, {
    code: "unsupported-construct",
    message: [/the derivative of `binaryCrossEntropyWithLogits` with respect to its `weight` or `posWeight` is not supported/],
  });
});

gpuTest("cross-entropy.test.ts", "WebGPU: binaryCrossEntropyWithLogits with a weight and a posWeight gives the CPU's numbers", async () => {
  registerAllKernels();
  const x = tensor([[0.3, -1.2, 2], [1.5, -0.4, 0.1]]), y = tensor([[1, 0, 0.3], [0, 1, 0.8]]);
  const w = tensor([[1, 0.5, 2], [0.25, 1, 3]]), p = tensor([3, 0.5, 1.5]);
  const want = binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: p }).item();
  const got = (await binaryCrossEntropyWithLogits(x.to("webgpu"), y.to("webgpu"), { weight: w.to("webgpu"), posWeight: p.to("webgpu") }).read())[0];
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
});

test("vmap over the class weight itself: the row loop, each example's weight; its gradient w.r.t. the scores batched too", async () => {
  const m = await compileAndImport(`import { crossEntropy, grad, tensor, vmap, type Tensor } from "jacc";
const z = tensor([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]], { dtype: "float64" }), t = tensor([2, 0], { dtype: "float64" });
const W = tensor([[0.5, 2, 1.5], [1, 1, 1], [3, 0.2, 0.7]], { dtype: "float64" });
const loss = (w: Tensor): Tensor => crossEntropy(z, t, { weight: w });
const dz = (w: Tensor): Tensor => grad((s: Tensor, v: Tensor): Tensor => crossEntropy(s, t, { weight: v }))(z, w);
export const byWeight = vmap(loss)(W);
export const gradByWeight = vmap(dz)(W);
`, "ce-vmap-weight");
  const z = tensor([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]], { dtype: "float64" }), t = tensor([2, 0], { dtype: "float64" });
  const W = [[0.5, 2, 1.5], [1, 1, 1], [3, 0.2, 0.7]];
  assert.equal([...m.byWeight.shape], [3]);
  W.forEach((w, i) => assert.ok(Math.abs(m.byWeight.data[i] - crossEntropy(z, t, { weight: tensor(w, { dtype: "float64" }) }).item()) < 1e-15, `row ${i}`));
  assert.equal([...m.gradByWeight.shape], [3, 2, 3]);
  // ∂/∂z of Σ_n w_{t_n} (−log p_{n,t_n}) / Σ_n w_{t_n}: row n is w_{t_n} (p_n − onehot) / Σ w_{t_n}
  W.forEach((w, i) => {
    const p = z.softmax(-1).data, total = w[2] + w[0];
    const want = [0, 1].flatMap((n) => [0, 1, 2].map((c) => (w[n === 0 ? 2 : 0] * (p[n * 3 + c] - (c === (n === 0 ? 2 : 0) ? 1 : 0))) / total));
    want.forEach((v, k) => assert.ok(Math.abs(m.gradByWeight.data[i * 6 + k] - v) < 1e-14, `row ${i} entry ${k}`));
  });
});

test("inside a differentiated function the options are literals in range", () => {
  expectDiagnostic("ce-smoothing", `import { crossEntropy, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { labelSmoothing: ‸2 }));\n`, {
    code: "invalid-option",
    message: [/option `labelSmoothing` of `crossEntropy` must be a number in \[0, 1\], got 2/],
  });
  expectDiagnostic("ce-weight-array", `import { crossEntropy, grad, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { weight: ‸[1, 2, 3] }));\n`, {
    code: "unsupported-type",
    message: [/option `weight` of `crossEntropy` must be a Tensor/],
  });
  expectDiagnostic("ce-weight-unknown", `import { crossEntropy, grad, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { ‸weights: t }));\n`, {
    code: "invalid-option",
    message: [/unknown option `weights` of `crossEntropy` \(it takes \{ reduction\?: "mean" \| "sum" \| "none", ignoreIndex\?: an integer, labelSmoothing\?: a number in \[0, 1\], weight\?: Tensor \}\)/],
  });
  expectDiagnostic("ce-ignore", `import { crossEntropy, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { ignoreIndex: ‸0.5 }));\n`, {
    code: "invalid-option",
    message: [/option `ignoreIndex` of `crossEntropy` must be an integer, got 0\.5/],
  });
});

test.run();
