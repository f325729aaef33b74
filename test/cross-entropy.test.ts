// crossEntropy (runtime/ops/loss.ts; compiler/ops/tensor.ts, crossEntropy and
// ad.ceTarget): values against the formula, class indices and probabilities,
// bad targets named, and the same numbers on WebGPU (class indices there become
// a one-hot by comparison; an index that is not a class gives NaN, as the CPU
// gives a RangeError). Derivatives: test/rules-tensor.test.ts (every marker
// against finite differences) and fixtures/tensor/61_cross_entropy.ts (PyTorch's values).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { crossEntropy, nllLoss, tensor, Tensor } from "../runtime/index.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
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
  throwsWith(() => crossEntropy(tensor([[[1]]]), tensor([0])), RangeError, /^crossEntropy: input must be \[C\] or \[N, C\]/);
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
  throwsWith(() => crossEntropy(x, tensor([2, 1, 0]), { weight: x } as never), RangeError, /^crossEntropy: unknown option "weight" \(it takes \{ reduction, ignoreIndex, labelSmoothing \}\)$/);
  assert.ok(Math.abs(nllLoss(x.logSoftmax(-1), tensor([2, 1, 0], { dtype: "float64" }), { ignoreIndex: 1 }).item() - (full[0] + full[2]) / 2) < 1e-15);
  throwsWith(() => nllLoss(x, tensor([2, 1, 0]), { labelSmoothing: 0.1 } as never), RangeError, /^nllLoss: unknown option "labelSmoothing" \(it takes \{ reduction, ignoreIndex \}\)$/);
});

test("inside a differentiated function the options are literals in range", () => {
  expectDiagnostic("ce-smoothing", `import { crossEntropy, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { labelSmoothing: ‸2 }));\n`, {
    code: "invalid-option",
    message: [/option `labelSmoothing` of `crossEntropy` must be a number in \[0, 1\], got 2/],
  });
  expectDiagnostic("ce-ignore", `import { crossEntropy, type Tensor } from "jacc";\nexport const g = grad((z: Tensor, t: Tensor): Tensor => crossEntropy(z, t, { ignoreIndex: ‸0.5 }));\n`, {
    code: "invalid-option",
    message: [/option `ignoreIndex` of `crossEntropy` must be an integer, got 0\.5/],
  });
});

test.run();
