// conv1d, conv2d, maxPool2d, avgPool2d (runtime/ops/conv.ts; compiler/ops/tensor.ts
// convOp, maxPool2d, avgPool2d; their derivative kernels in compiler/ops/internal.ts):
// values against hand-computed ones, unbatched inputs, groups, the max pool's
// first-max rule and the average pool's divisors, every bad input a RangeError or
// TypeError naming the op and the shapes, the bias written three ways, located
// diagnostics for non-literal arguments, and vmap (the batch folded into N, the
// row loop with a batched weight). Derivatives: test/rules-tensor.test.ts (every
// marker against finite differences) and fixtures/tensor/63_conv.ts (PyTorch's values).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { avgPool2d, conv1d, conv2d, maxPool2d, tensor, Tensor } from "../runtime/index.js";
import { adConvInput, adConvWeight, adMaxPoolBackward } from "../runtime/internal.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { throwsWith, values } from "./runtime-assert.js";

const f64 = (data: number[] | number[][] | number[][][] | number[][][][]) => tensor(data, { dtype: "float64" });

test("conv1d: hand values with bias, stride, padding, dilation; unbatched input", () => {
  const x = f64([[[1, 2, 3, 4, 5]]]);
  const w = f64([[[1, 0, -1]]]);
  values(conv1d(x, w), [[[-2, -2, -2]]]);
  values(conv1d(x, w, f64([10])), [[[8, 8, 8]]]);
  // padding 1: [0 1 2 3 4 5 0] · [1 0 -1], stride 2
  values(conv1d(x, w, undefined, 2, 1), [[[-2, -2, 4]]]);
  // dilation 2: taps at i, i + 2, i + 4
  values(conv1d(x, w, null, 1, 0, 2), [[[-4]]]);
  values(conv1d(f64([[1, 2, 3, 4, 5]]), w), [[-2, -2, -2]]);
});

test("conv2d: hand values, groups (each group its own convolution), float32 in float32 out", () => {
  const x = f64([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
  const w = f64([[[[1, 0], [0, -1]]], [[[1, 1], [1, 1]]]]);
  values(conv2d(x, w, f64([0, 1])), [[[[-4, -4], [-4, -4]], [[13, 17], [25, 29]]]]);
  // groups 2: channel 0 with filter 0, channel 1 with filter 1
  const x2 = f64([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  const w2 = f64([[[[1, 1]]], [[[2, -1]]]]);
  values(conv2d(x2, w2, undefined, 1, 0, 1, 2), [[[3], [7]], [[4], [6]]]);
  assert.is(conv2d(tensor([[[[1]]]]), tensor([[[[2]]]])).dtype, "float32");
  assert.is(conv2d(tensor([[[[1]]]]), f64([[[[2]]]])).dtype, "float64");
});

test("the derivative kernels are adjoint to the convolution: ⟨conv(x, w), ct⟩ = ⟨x, convInput(ct, w)⟩ = ⟨w, convWeight(ct, x)⟩", () => {
  const wave = (shape: number[], a: number) => {
    const n = shape.reduce((p, q) => p * q, 1);
    return new Tensor(Float64Array.from({ length: n }, (_, k) => Math.sin(a * k + 0.3)), shape);
  };
  const dot = (a: Tensor, b: Tensor) => {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
    return s;
  };
  const x = wave([2, 4, 6, 5], 0.7), w = wave([6, 2, 3, 2], 1.1);
  const args = [[2, 1], [1, 0], [1, 2], 2] as const;
  const y = conv2d(x, w, undefined, ...args);
  const ct = wave([...y.shape], 0.4);
  const lhs = dot(y, ct);
  assert.ok(Math.abs(lhs - dot(x, adConvInput(ct, w, x, 2, ...args))) < 1e-10);
  assert.ok(Math.abs(lhs - dot(w, adConvWeight(ct, x, w, 2, ...args))) < 1e-10);
});

test("maxPool2d: the window's maximum, ties to the first (row-major), padding never wins; stride defaults to the kernel", () => {
  const x = f64([[[1, 5, 5, 0], [2, 3, 1, 7], [4, 4, -1, -2], [0, 4, -3, -4]]]);
  values(maxPool2d(x, 2), [[[5, 7], [4, -1]]]);
  values(maxPool2d(x, 2, 1).narrow(1, 0, 1), [[[5, 5, 7]]]);
  // the gradient goes to the first of tied maxima (PyTorch's rule): 5 at (0, 1), 4 at (2, 0)
  const g = adMaxPoolBackward(f64([[[1, 1], [1, 1]]]), x, 2, undefined, 0, 1, false);
  values(g, [[[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 0], [0, 0, 0, 0]]]);
  // all negative with padding 1: the padding is -Infinity, not 0
  values(maxPool2d(f64([[[-1, -2], [-3, -4]]]), 2, 1, 1), [[[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]]);
  // dilation 2 over a 3 × 3: the corners
  values(maxPool2d(f64([[[1, 9, 2], [9, 9, 9], [3, 9, 4]]]), 2, 1, 0, 2), [[[4]]]);
});

test("avgPool2d: countIncludePad and ceilMode as PyTorch's (divisors of windows at the border)", () => {
  const x = f64([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]);
  values(avgPool2d(x, 2), [[[3]]]);
  // ceilMode: a second, partial window in each dim
  values(avgPool2d(x, 2, 2, 0, true), [[[3, 4.5], [7.5, 9]]]);
  // padding 1 counted in the divisor, or not
  values(avgPool2d(x, 2, 2, 1), [[[0.25, 1.25], [2.75, 7]]]);
  values(avgPool2d(x, 2, 2, 1, false, false), [[[1, 2.5], [5.5, 7]]]);
});

test("bad inputs: RangeError / TypeError naming the op and the shapes", () => {
  const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
  const w = tensor([[[[1, 0], [0, 1]]]]);
  throwsWith(() => conv2d(x, tensor([[[[1]], [[1]]]])), RangeError, /^conv2d: input \[1,1,3,3\] has 1 channels, but weight \[1,2,1,1\] with groups 1 expects 2$/);
  throwsWith(() => conv2d(tensor([[[[1]], [[2]], [[3]]]]), tensor([[[[1]]], [[[1]]]]), undefined, 1, 0, 1, 2), RangeError, /^conv2d: groups 2 must divide in_channels 3 \(input \[1,3,1,1\]\)$/);
  throwsWith(() => conv2d(tensor([[[[1]], [[2]]]]), tensor([[[[1]]], [[[1]]], [[[1]]]]), undefined, 1, 0, 1, 2), RangeError, /^conv2d: groups 2 must divide out_channels 3 \(weight \[3,1,1,1\]\)$/);
  throwsWith(() => conv2d(x, tensor([[[[1, 1, 1, 1]]]])), RangeError, /^conv2d: the kernel \[1,4\] \(dilation \[1,1\]\) is larger than the padded input \[3,3\] \(input \[1,1,3,3\], weight \[1,1,1,4\], padding \[0,0\]\)$/);
  throwsWith(() => conv2d(x, w, undefined, 1, 0, 3), RangeError, /^conv2d: the kernel \[2,2\] \(dilation \[3,3\]\) is larger than the padded input/);
  throwsWith(() => conv2d(tensor([1, 2]), w), RangeError, /^conv2d: input must be \[C, H, W\] \(unbatched\) or \[N, C, H, W\] \(batched\), got \[2\]$/);
  throwsWith(() => conv1d(tensor([[1, 2]]), tensor([[1]])), RangeError, /^conv1d: weight must be \[out_channels, in_channels \/ groups, kL\], got \[1,1\]$/);
  throwsWith(() => conv2d(x, w, tensor([1, 2])), RangeError, /^conv2d: bias must be \[out_channels\] = \[1\] for weight \[1,1,2,2\], got \[2\]$/);
  throwsWith(() => conv2d(x, w, undefined, 0), RangeError, /^conv2d: stride must be positive integers, got 0$/);
  throwsWith(() => conv2d(x, w, undefined, [1, 2, 3]), TypeError, /^conv2d: stride must be an integer or an array of 2 integers, got/);
  throwsWith(() => conv2d(x, w, undefined, 1, -1), RangeError, /^conv2d: padding must be non-negative integers, got -1$/);
  throwsWith(() => conv2d(x, w, undefined, 1, 0, 1, 0), RangeError, /^conv2d: groups must be a positive integer, got 0$/);
  throwsWith(() => conv2d([1] as unknown as Tensor, w), TypeError, /^conv2d: expected a Tensor for input, got/);
  throwsWith(() => conv2d(x, w, 1 as unknown as Tensor), TypeError, /^conv2d: expected a Tensor for bias, got/);
  throwsWith(() => maxPool2d(x, 2, 1, 2), RangeError, /^maxPool2d: padding \[2,2\] must be at most half the kernel size \[2,2\]$/);
  throwsWith(() => maxPool2d(x, 4), RangeError, /^maxPool2d: the kernel \[4,4\] \(dilation \[1,1\]\) is larger than the padded input \[3,3\] \(input \[1,1,3,3\], padding \[0,0\]\)$/);
  throwsWith(() => maxPool2d(tensor([1, 2]), 1), RangeError, /^maxPool2d: input must be \[C, H, W\] \(unbatched\) or \[N, C, H, W\] \(batched\), got \[2\]$/);
  throwsWith(() => maxPool2d(x, undefined as unknown as number), TypeError, /^maxPool2d: kernelSize is required$/);
  throwsWith(() => avgPool2d(x, 2, 1, 0, "yes" as unknown as boolean), TypeError, /^avgPool2d: ceilMode must be a boolean, got/);
  throwsWith(() => avgPool2d(x, [2, 2, 2]), TypeError, /^avgPool2d: kernelSize must be an integer or an array of 2 integers, got/);
  throwsWith(() => adConvInput(tensor([1]), w, x, 2, 1, 0, 1, 1), RangeError, /^conv2d \(gradient of the input\): cotangent must be \[1,1,2,2\] \(the convolution's output\), got \[1\]$/);
});

const CNN = `
import { conv1d, conv2d, maxPool2d, avgPool2d, grad, vmap, type Tensor } from "jacc";
export function layer(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return maxPool2d(conv2d(x, w, b, 1, 1).relu(), 2).add(avgPool2d(conv2d(x, w, undefined, 1, 1), 2)).sum();
}
export function noBias(x: Tensor, w: Tensor): Tensor {
  return conv2d(x, w).add(conv2d(x, w, null)).add(conv2d(x, w, undefined)).sum();
}
export function wave(x: Tensor, w: Tensor): Tensor {
  return conv1d(x, w, undefined, 1, 1).tanh().sum();
}
export const perImage = vmap(grad(layer), { inDims: [0, null, null] });
export const perImageFwd = vmap((x: Tensor, w: Tensor, b: Tensor) => maxPool2d(conv2d(x, w, b, 1, 1), 2), { inDims: [0, null, null] });
export const perWeight = vmap(grad(noBias, { argnums: 1 }), { inDims: [null, 0] });
export const waves = vmap(grad(wave), { inDims: [0, null] });
`;

function rnd(shape: number[], seed: number): Tensor {
  let s = seed;
  const n = shape.reduce((p, q) => p * q, 1);
  return new Tensor(Float64Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1), shape);
}

test("the bias left out, undefined or null; vmap folds the batch into N (input batched), the row loop for a batched weight, same numbers", async () => {
  const code = compileOrThrow(CNN, "conv-vmap.ts").code;
  assert.match(code, /__jt\.bFold\("conv2d", 2, \[0\]/);
  assert.match(code, /__jt\.bFold\("maxPool2d", 2, \[0\]/);
  assert.match(code, /__jt\.bFold\("adConvInput", 2, \[0,2\]/);
  assert.match(code, /__jt\.bFold\("adMaxPoolBackward", 2, \[0,1\]/);
  assert.match(code, /__jt\.bFold\("conv1d", 1, \[0\]/);
  assert.match(code, /row loop \(.conv2d.: conv2d with a batched weight or bias runs row by row under vmap\)/);
  const fast = await compileAndImport(CNN, "conv-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(CNN, "conv-vmap-off"));
  const xs = rnd([3, 2, 2, 4, 4], 7), w = rnd([3, 2, 3, 3], 11), b = rnd([3], 13);
  const ws = rnd([2, 3, 2, 3, 3], 17), x = rnd([2, 2, 4, 4], 19);
  const same = (a: unknown, e: unknown, what: string) => {
    const [ta, te] = [a, e] as Tensor[][];
    const flat = (v: Tensor | Tensor[]) => (Array.isArray(v) ? v.flatMap((t) => [...t.data]) : [...v.data]);
    const fa = flat(ta), fe = flat(te);
    assert.is(fa.length, fe.length, what);
    fa.forEach((v, i) => assert.ok(Math.abs(v - fe[i]) < 1e-12, `${what}[${i}]: ${v} vs ${fe[i]}`));
  };
  same(fast.perImage(xs, w, b), slow.perImage(xs, w, b), "vmap(grad) over images");
  same(fast.perImageFwd(xs, w, b), slow.perImageFwd(xs, w, b), "vmap over images");
  assert.equal([...(fast.perImageFwd(xs, w, b) as Tensor).shape], [3, 2, 3, 2, 2]);
  same(fast.perWeight(x, ws), slow.perWeight(x, ws), "vmap(grad) over weights");
  // unbatched examples [C, L]: the batch is the op's N
  const sig = rnd([4, 2, 6], 23), wc = rnd([3, 2, 3], 29);
  same(fast.waves(sig, wc), slow.waves(sig, wc), "vmap over [C, L] examples");
  // the three ways of writing no bias agree: 3 × the plain convolution
  const m = fast as { noBias: (x: Tensor, w: Tensor) => Tensor };
  assert.ok(Math.abs(m.noBias(x, w).item() - 3 * conv2d(x, w).sum().item()) < 1e-10);
});

test("located diagnostics: a computed stride, a number bias, a string padding, conv2d as a method", () => {
  const F = `import { conv2d, maxPool2d, avgPool2d, type Tensor } from "jacc";\n`;
  expectDiagnostic("conv-stride", `${F}const s = 2;\nexport const d = grad((x: Tensor, w: Tensor) => conv2d(x, w, undefined, ‸s).sum());`, { code: "unsupported-construct", message: [/argument 4 of `conv2d`/, /integer or an array of integers/] });
  expectDiagnostic("conv-bias-number", `${F}export const d = grad((x: Tensor, w: Tensor) => conv2d(x, w, ‸1).sum());`, { code: "unsupported-type", message: [/`conv2d` needs a Tensor here/] });
  expectDiagnostic("conv-padding-string", `${F}export const d = grad((x: Tensor, w: Tensor) => conv2d(x, w, null, 1, ‸"same").sum());`, { code: "unsupported-construct", message: [/argument 5 of `conv2d`/] });
  expectDiagnostic("pool-ceil-number", `${F}export const d = grad((x: Tensor) => avgPool2d(x, 2, 2, 0, ‸1).sum());`, { code: "unsupported-construct", message: [/argument 5 of `avgPool2d` must be true or false/] });
  expectDiagnostic("pool-no-kernel", `${F}export const d = grad((x: Tensor) => ‸maxPool2d(x).sum());`, { code: "arity", message: [/`maxPool2d` is missing argument 2/] });
  expectDiagnostic("conv-method", `${F}export const d = grad((x: Tensor, w: Tensor) => ‸x.conv2d(w).sum());`, { code: "unsupported-construct", message: [/conv2d/] });
});

test.run();
