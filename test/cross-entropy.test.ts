// crossEntropy (runtime/ops/loss.ts; compiler/ops/tensor.ts, crossEntropy and
// ad.ceTarget): values against the formula, class indices and probabilities,
// bad targets named, and the same numbers on WebGPU (class indices there become
// a one-hot by comparison; an index that is not a class gives NaN, as the CPU
// gives a RangeError). Derivatives: test/rules-tensor.test.ts (every marker
// against finite differences) and fixtures/tensor/61_cross_entropy.ts (PyTorch's values).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { crossEntropy, tensor, Tensor } from "../runtime/index.js";
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
});

test.run();
