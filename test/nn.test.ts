// torch.nn.functional's ops (runtime/ops/nn.ts, loss.ts; compiler/ops/tensor.ts
// linear .. layerNorm, elementwise.ts geluTanh): values against their formulas
// with every reduction, bad inputs named (op, shapes, option), the options
// object's compile-time diagnostics (compiler/front/op-options.ts), and the
// same numbers on WebGPU. Derivatives: test/rules-tensor.test.ts (every marker
// against finite differences), fixtures/tensor/62_nn.ts (PyTorch's values),
// test/vmap-batched.test.ts (batching rules).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { binaryCrossEntropyWithLogits, crossEntropy, gelu, layerNorm, linear, mseLoss, nllLoss, tensor, Tensor } from "../runtime/index.js";
import { gpuTest, registerAllKernels } from "./util/webgpu.js";
import { throwsWith } from "./runtime-assert.js";
import { expectDiagnostic, IMPORTS } from "./util/diagnostic-check.js";
import { compileAndImport } from "./util/compile.js";

const f64 = (d: number | number[] | number[][] | number[][][]) => tensor(d, { dtype: "float64" });
const X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]];
const Y = [[0.5, 0.2, -1], [1, 0, 0.25]];
const close = (a: Tensor | number, b: number[] | number, tol = 1e-14) => {
  const got = typeof a === "number" ? [a] : Array.from(a.data as Float64Array);
  const want = typeof b === "number" ? [b] : b;
  assert.is(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])), `[${i}] ${g} vs ${want[i]}`));
};
const flat = (m: number[][]) => m.flat();
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

test("linear: x Wᵀ + b over leading dims; a 1-D weight; no bias", () => {
  const W = [[0.5, -0.2, 0.3], [0.1, 0.8, -0.4]];
  const b = [0.1, -0.2];
  const want = X.map((r) => W.map((w, o) => w.reduce((s, wi, i) => s + wi * r[i], b[o])));
  close(linear(f64(X), f64(W), f64(b)), flat(want));
  assert.equal([...linear(f64([X, X]), f64(W)).shape], [2, 2, 2]);
  close(linear(f64(X[0]), f64(W[0])), W[0].reduce((s, wi, i) => s + wi * X[0][i], 0));
});

test("layerNorm: (x − mean) / √(var + eps) over the trailing dims, × weight + bias", () => {
  const rowNorm = (r: number[], eps: number) => {
    const m = r.reduce((a, v) => a + v, 0) / r.length;
    const v = r.reduce((a, x) => a + (x - m) ** 2, 0) / r.length;
    return r.map((x) => (x - m) / Math.sqrt(v + eps));
  };
  close(layerNorm(f64(X), 3), flat(X.map((r) => rowNorm(r, 1e-5))), 1e-12);
  const w = [1.5, -1, 0.5], b = [0.1, 0.2, 0.3];
  close(layerNorm(f64(X), [3], f64(w), f64(b), 0.1), flat(X.map((r) => rowNorm(r, 0.1).map((v, i) => v * w[i] + b[i]))), 1e-12);
  // two trailing dims: the whole matrix is one group
  close(layerNorm(f64(X), [2, 3]), rowNorm(flat(X), 1e-5), 1e-12);
});

test("losses: each reduction against its formula", () => {
  const x = f64(X), y = f64(Y);
  const sq = flat(X).map((v, i) => (v - flat(Y)[i]) ** 2);
  close(mseLoss(x, y), sq.reduce((a, v) => a + v, 0) / 6);
  close(mseLoss(x, y, { reduction: "sum" }), sq.reduce((a, v) => a + v, 0));
  close(mseLoss(x, y, { reduction: "none" }), sq);
  // broadcasting, as PyTorch does
  assert.equal([...mseLoss(x, f64(Y[0]), { reduction: "none" }).shape], [2, 3]);
  const bce = flat(X).map((v, i) => -(flat(Y)[i] * Math.log(sigmoid(v)) + (1 - flat(Y)[i]) * Math.log(1 - sigmoid(v))));
  close(binaryCrossEntropyWithLogits(x, y, { reduction: "none" }), bce, 1e-12);
  close(binaryCrossEntropyWithLogits(x, y), bce.reduce((a, v) => a + v, 0) / 6, 1e-12);
  // the stable form: no overflow at large logits
  close(binaryCrossEntropyWithLogits(f64([800, -800]), f64([0, 1]), { reduction: "none" }), [800, 800]);
  const logp = x.logSoftmax(-1);
  const lp = logp.toArray() as number[][];
  close(nllLoss(logp, f64([2, 0]), { reduction: "none" }), [-lp[0][2], -lp[1][0]]);
  close(nllLoss(logp, f64([2, 0]), { reduction: "sum" }), -lp[0][2] - lp[1][0]);
  close(nllLoss(logp, f64([2, 0])), (-lp[0][2] - lp[1][0]) / 2);
  close(crossEntropy(x, f64([2, 0]), { reduction: "none" }), [-lp[0][2], -lp[1][0]], 1e-14);
  close(crossEntropy(x, f64([2, 0]), { reduction: "sum" }), -lp[0][2] - lp[1][0], 1e-14);
  close(nllLoss(f64(lp[1]), f64(0)), -lp[1][0]);
});

test("gelu with approximate \"tanh\": PyTorch's formula; \"none\" is the exact one", () => {
  const xs = [-2, -0.5, 0, 0.7, 3];
  const tanhForm = xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
  close(gelu(f64(xs), { approximate: "tanh" }), tanhForm);
  close(f64(xs).gelu({ approximate: "tanh" }), tanhForm);
  close(gelu(f64(xs), { approximate: "none" }), Array.from(gelu(f64(xs)).data));
  // (the two differ by a little)
  assert.ok(Math.abs(gelu(f64([0.7]), { approximate: "tanh" }).item() - gelu(f64([0.7])).item()) > 1e-5);
});

test("bad inputs: the op, the shapes and the option named", () => {
  const x = tensor(X), W = tensor([[1, 2, 3]]);
  throwsWith(() => linear(x, tensor([[1, 2]])), RangeError, /^linear: weight must be \[out, 3\] or \[3\] for input \[2,3\], got \[1,2\]$/);
  throwsWith(() => linear(x, W, tensor([1, 2])), RangeError, /^linear: bias must be \[1\] for weight \[1,3\], got \[2\]$/);
  throwsWith(() => linear(X as unknown as Tensor, W), TypeError, /^linear: expected a Tensor for input, got/);
  throwsWith(() => layerNorm(x, [2]), RangeError, /^layerNorm: input \[2,3\] does not end in normalizedShape \[2\]$/);
  throwsWith(() => layerNorm(x, 3, tensor([1, 2])), RangeError, /^layerNorm: weight must be \[3\] \(normalizedShape\) for input \[2,3\], got \[2\]$/);
  throwsWith(() => layerNorm(x, "3" as unknown as number), TypeError, /^layerNorm: normalizedShape must be an integer or a non-empty array of integers/);
  throwsWith(() => layerNorm(x, 3, undefined, undefined, -1), RangeError, /^layerNorm: eps must be a number ≥ 0, got -1$/);
  throwsWith(() => mseLoss(x, tensor([1, 2])), RangeError, /^mseLoss: .*\[2,3\].*\[2\]/);
  throwsWith(() => mseLoss(x, x, { reduction: "avg" as "sum" }), RangeError, /^mseLoss: reduction must be "mean", "sum" or "none", got "avg"$/);
  throwsWith(() => mseLoss(x, x, { weight: 1 } as object), RangeError, /^mseLoss: unknown option "weight" \(it takes \{ reduction \}\)$/);
  throwsWith(() => mseLoss(x, x, "sum" as unknown as object), TypeError, /^mseLoss: options must be an object like \{ reduction: "sum" \}, got/);
  throwsWith(() => binaryCrossEntropyWithLogits(x, tensor([1, 0, 1])), RangeError, /^binaryCrossEntropyWithLogits: target must have the input's shape \[2,3\], got \[3\]$/);
  throwsWith(() => nllLoss(x, tensor([3, 0])), RangeError, /^nllLoss: target 3 at position 0 is not a class index in 0\.\.2 \(input \[2,3\]\)$/);
  throwsWith(() => nllLoss(x, x), RangeError, /^nllLoss: target must be class indices \[2\] for input \[2,3\], got \[2,3\]$/);
  throwsWith(() => crossEntropy(x, tensor([1, 0]), { reduction: "max" as "sum" }), RangeError, /^crossEntropy: reduction must be/);
  throwsWith(() => gelu(x, { approximate: "erf" as "tanh" }), RangeError, /^gelu: approximate must be "none" or "tanh", got "erf"$/);
  throwsWith(() => gelu(x, { approx: "tanh" } as object), RangeError, /^gelu: unknown option "approx"/);
});

// ---- the options object inside a differentiated function: literals from the declared sets, located diagnostics
const NN = `import { mseLoss, layerNorm, linear, gelu, type Tensor } from "jacc";\n`;
const diag = (name: string, body: string, code: string, message: RegExp[]) => expectDiagnostic(`nn-${name}`, IMPORTS + NN + body, { code, message }, true);

test("diagnostics: a non-literal option, an unknown field or value, a non-object, a positional literal", () => {
  diag("option-value", `const r = "sum";\nexport const g = grad((x: Tensor, y: Tensor) => mseLoss(x, y, { reduction: ‸r }));`, "invalid-option", [/option `reduction` of `mseLoss` must be a literal/, /"mean" \| "sum" \| "none"/]);
  diag("option-unknown", `export const g = grad((x: Tensor, y: Tensor) => mseLoss(x, y, { ‸weight: 1 }));`, "invalid-option", [/unknown option `weight` of `mseLoss`/, /reduction\?: "mean" \| "sum" \| "none"/]);
  diag("option-bad-value", `export const g = grad((x: Tensor, y: Tensor) => mseLoss(x, y, { reduction: ‸"avg" }));`, "invalid-option", [/option `reduction` of `mseLoss` must be "mean" \| "sum" \| "none", got "avg"/]);
  diag("option-object", `const o = { reduction: "sum" } as const;\nexport const g = grad((x: Tensor, y: Tensor) => mseLoss(x, y, ‸o));`, "invalid-option", [/the options of `mseLoss` must be an object literal/]);
  diag("option-spread", `const o = { reduction: "sum" } as const;\nexport const g = grad((x: Tensor, y: Tensor) => mseLoss(x, y, { ‸...o }));`, "invalid-option", [/must be written `name: literal`/]);
  diag("gelu-value", `export const g = jacrev((x: Tensor) => gelu(x, { approximate: ‸"erf" }));`, "invalid-option", [/option `approximate` of `gelu` must be "none" \| "tanh", got "erf"/]);
  diag("layer-shape", `const n = 3;\nexport const g = jacrev((x: Tensor) => layerNorm(x, ‸n));`, "unsupported-construct", [/the normalizedShape of `layerNorm` must be an integer or an array of integers, written as a literal/]);
  diag("layer-eps", `export const g = jacrev((x: Tensor) => layerNorm(x, 3, undefined, undefined, ‸-1));`, "unsupported-construct", [/the eps of `layerNorm` must be a number in \[0, Infinity\]/]);
  diag("linear-arity", `export const g = jacrev((x: Tensor) => ‸linear(x));`, "arity", [/`linear` needs its weight/]);
  diag("linear-extra", `export const g = jacrev((x: Tensor, w: Tensor) => linear(x, w, w, ‸w));`, "arity", [/too many arguments for `linear`/]);
  diag("linear-number", `export const g = jacrev((x: Tensor) => linear(x, ‸2));`, "unsupported-type", [/the weight of `linear` must be a Tensor/]);
});

test("compiled: defaults and options reach the runtime (jacrev(mseLoss) as an op function, reductions, gelu's variant)", async () => {
  const m = await compileAndImport(`import { jacrev, grad, mseLoss, gelu, tensor, type Tensor } from "jacc";
const x = tensor([[0.3, -1.2], [0.8, 1.5]], { dtype: "float64" }), y = tensor([[0.5, 0.2], [-1, 1]], { dtype: "float64" });
export const direct = jacrev(mseLoss)(x, y);
export const summed = grad((a: Tensor, b: Tensor) => mseLoss(a, b, { reduction: "sum" }))(x, y);
export const tanhGrad = grad((a: Tensor) => gelu(a, { approximate: "tanh" }).sum())(x);
export const exactGrad = grad((a: Tensor) => a.gelu().sum())(x);
`, "nn-compiled");
  const d = [0.3 - 0.5, -1.2 - 0.2, 0.8 + 1, 1.5 - 1];
  close(m.direct, d.map((v) => v / 2));
  close(m.summed, d.map((v) => 2 * v));
  assert.ok(Math.abs(m.tanhGrad.data[0] - m.exactGrad.data[0]) > 1e-6 && Math.abs(m.tanhGrad.data[0] - m.exactGrad.data[0]) < 1e-3);
});

gpuTest("nn.test.ts", "WebGPU: linear, layerNorm, the losses and gelu(tanh) give the CPU's numbers", async () => {
  registerAllKernels();
  const x = tensor(X), y = tensor(Y), W = tensor([[0.5, -0.2, 0.3], [0.1, 0.8, -0.4]]), b = tensor([0.1, -0.2]);
  const g = (t: Tensor) => t.to("webgpu");
  const pairs: [Tensor, Tensor][] = [
    [linear(g(x), g(W), g(b)), linear(x, W, b)],
    [layerNorm(g(x), 3, g(tensor([1.5, -1, 0.5])), g(tensor([0.1, 0.2, 0.3]))), layerNorm(x, 3, tensor([1.5, -1, 0.5]), tensor([0.1, 0.2, 0.3]))],
    [mseLoss(g(x), g(y), { reduction: "sum" }), mseLoss(x, y, { reduction: "sum" })],
    [binaryCrossEntropyWithLogits(g(x), g(y), { reduction: "none" }), binaryCrossEntropyWithLogits(x, y, { reduction: "none" })],
    [nllLoss(g(x.logSoftmax(-1)), g(tensor([2, 0]))), nllLoss(x.logSoftmax(-1), tensor([2, 0]))],
    [crossEntropy(g(x), g(tensor([2, 0])), { reduction: "none" }), crossEntropy(x, tensor([2, 0]), { reduction: "none" })],
    [gelu(g(x), { approximate: "tanh" }), gelu(x, { approximate: "tanh" })],
  ];
  for (const [i, [dev, cpu]] of pairs.entries()) {
    const got = Array.from(await dev.read()), want = Array.from(cpu.data);
    assert.equal([...dev.shape], [...cpu.shape], `pair ${i}`);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 2e-6 * Math.max(1, Math.abs(want[k])), `pair ${i}[${k}]: ${v} vs ${want[k]}`));
  }
  assert.ok(Number.isNaN((await nllLoss(g(x), g(tensor([3, 0]))).read())[0]));
});

test.run();
