// Masks (issue 17 §3): the bool dtype, comparisons, logical ops, isnan /
// isfinite / isinf, where with a bool mask, maskedFill, all / any. Runtime
// values against hand-worked ones; derivatives through where / maskedFill in
// every marker against finite differences (masks themselves are constants to
// AD); vmap's batched path against the row loop; the errors bad inputs get.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "../runtime/index.js";
import { Tensor, tensor } from "../runtime/index.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { tensorIs, throwsWith } from "./runtime-assert.js";

const T64 = (x: number[] | number[][]) => tensor(x, { dtype: "float64" });
const arr = (v: unknown): unknown => (v instanceof Tensor ? v.toArray() : Array.isArray(v) ? v.map(arr) : v);
const flat = (v: unknown): number[] => (v instanceof Tensor ? Array.from(v.data) : Array.isArray(v) ? v.flatMap(flat) : [v as number]);

function near(got: unknown, want: unknown, what: string, tol = 1e-7): void {
  const a = flat(got), b = flat(want);
  assert.is(a.length, b.length, `${what}: ${JSON.stringify(arr(got))} vs ${JSON.stringify(arr(want))}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${x}, expected ${b[i]}`));
}

// ---------------------------------------------------------------- runtime values
const X = () => tensor([[-1.5, 0, 2], [NaN, Infinity, -0]]);

test("the bool dtype: Uint8Array storage, booleans out, True / False printed, conversions", () => {
  const m = tensor([[true, false], [false, true]]);
  assert.is(m.dtype, "bool");
  assert.ok(m.data instanceof Uint8Array);
  assert.equal(m.toArray(), [[true, false], [false, true]]);
  assert.is(tensor(true).toArray(), true);
  assert.is(String(m), "tensor([[True, False],\n        [False, True]], dtype=bool)");
  tensorIs(m.float(), [2, 2], "float32", [[1, 0], [0, 1]]);
  tensorIs(m.double(), [2, 2], "float64", [[1, 0], [0, 1]]);
  tensorIs(T64([0, -2, NaN]).bool(), [3], "bool", [false, true, true]);
  tensorIs(jt.zeros(2, { dtype: "bool" }), [2], "bool", [false, false]);
  tensorIs(jt.full([2], 3, { dtype: "bool" }), [2], "bool", [true, true]);
  // shape ops keep the dtype; masks join as masks
  tensorIs(m.t().reshape(4), [4], "bool", [true, false, false, true]);
  tensorIs(jt.stack([m.select(0, 0), m.select(0, 1)]), [2, 2], "bool", [[true, false], [false, true]]);
});

test("comparisons: tensor vs tensor (broadcasting), vs a number, a number vs a tensor; NaN compares false (ne true)", () => {
  const x = X(), y = tensor([0, 0, 2]);
  tensorIs(x.gt(y), [2, 3], "bool", [[false, false, false], [false, true, false]]);
  tensorIs(jt.lt(x, 0), [2, 3], "bool", [[true, false, false], [false, false, false]]);
  tensorIs(x.ge(y), [2, 3], "bool", [[false, true, true], [false, true, false]]);
  tensorIs(jt.le(0, x), [2, 3], "bool", [[false, true, true], [false, true, true]]);
  tensorIs(x.eq(y), [2, 3], "bool", [[false, true, true], [false, false, false]]);
  tensorIs(x.ne(0), [2, 3], "bool", [[true, false, true], [true, true, false]]);
  // a float32 tensor meets a number in float32 (PyTorch's): 0.1 rounds both ways alike
  tensorIs(tensor([0.1]).eq(0.1), [1], "bool", [true]);
  tensorIs(T64([0.1]).eq(tensor([0.1])), [1], "bool", [false]);
});

test("logical ops (nonzero and NaN are true), isnan / isinf / isfinite, all / any", () => {
  const x = X(), b = tensor([true, false, true]);
  tensorIs(jt.logicalAnd(x, b), [2, 3], "bool", [[true, false, true], [true, false, false]]);
  tensorIs(x.logicalOr(b), [2, 3], "bool", [[true, false, true], [true, true, true]]);
  tensorIs(x.logicalXor(b), [2, 3], "bool", [[false, false, false], [false, true, true]]);
  tensorIs(x.logicalNot(), [2, 3], "bool", [[false, true, false], [false, false, true]]);
  tensorIs(x.isnan(), [2, 3], "bool", [[false, false, false], [true, false, false]]);
  tensorIs(jt.isinf(x), [2, 3], "bool", [[false, false, false], [false, true, false]]);
  tensorIs(x.isfinite(), [2, 3], "bool", [[true, true, true], [false, false, true]]);
  tensorIs(x.all(), [], "bool", false);
  tensorIs(x.any(1), [2], "bool", [true, true]);
  tensorIs(jt.all(x.isfinite(), 0, true), [1, 3], "bool", [[false, false, true]]);
  tensorIs(b.any(), [], "bool", true);
});

test("where with a bool mask (and float masks, as before), numbers for either value; maskedFill", () => {
  const x = T64([-2, 0.5, 3]);
  tensorIs(jt.where(x.gt(0), x, x.mul(0.01)), [3], "float64", [-0.02, 0.5, 3]);
  tensorIs(jt.where(x.gt(0), 1, -1), [3], "float32", [-1, 1, 1]);
  tensorIs(jt.where(T64([1, 0, NaN]), x, 7), [3], "float64", [-2, 7, 3]);
  tensorIs(x.where(x.lt(1), 9), [3], "float64", [-2, 0.5, 9]);
  tensorIs(jt.where(x.gt(0), tensor([true, true, false]), x.isnan()), [3], "bool", [false, true, false]);
  tensorIs(x.maskedFill(x.gt(0), 0), [3], "float64", [-2, 0, 0]);
  tensorIs(jt.maskedFill(T64([[1, 2], [3, 4]]), tensor([true, false]), T64([5]).sum()), [2, 2], "float64", [[5, 2], [5, 4]]);
  tensorIs(tensor([true, false]).maskedFill(tensor([false, true]), 1), [2], "bool", [true, true]);
});

test("a mask in float ops reads as 0 / 1 (PyTorch's promotion): float32, or the other operand's float type", () => {
  const m = tensor([true, false, true]);
  tensorIs(m.add(T64([1, 2, 3])), [3], "float64", [2, 2, 4]);
  tensorIs(m.mul(2.5), [3], "float32", [2.5, 0, 2.5]);
  tensorIs(m.exp(), [3], "float32", [Math.E, 1, Math.E], 1e-6);
  tensorIs(m.sum(), [], "float32", 2);
  tensorIs(m.div(m), [3], "float32", [1, NaN, 1]);
  tensorIs(m.matmul(T64([1, 2, 4])), [], "float64", 5);
});

test("bad inputs: TypeErrors naming the op and the dtypes, RangeErrors naming the op and the shapes", () => {
  const m = tensor([true, false]), x = tensor([1, 2]);
  throwsWith(() => m.add(m), TypeError, "add", "bool", "logicalOr");
  throwsWith(() => jt.sub(m, m), TypeError, "sub", "bool");
  throwsWith(() => m.neg(), TypeError, "neg", "bool", "logicalNot");
  throwsWith(() => m.mean(), TypeError, "mean", "bool tensor", ".float()");
  throwsWith(() => x.maskedFill(x, 0), TypeError, "maskedFill", "bool mask", "float32");
  throwsWith(() => x.maskedFill(m, x), TypeError, "maskedFill", "0-d Tensor", "[2]");
  throwsWith(() => x.maskedFill(m, "1" as never), TypeError, "maskedFill", "value");
  throwsWith(() => x.maskedFill(tensor([[true, false], [true, true]]), 0), RangeError, "maskedFill", "[2,2]", "[2]");
  throwsWith(() => x.gt(tensor([1, 2, 3])), RangeError, "gt", "[2]", "[3]");
  throwsWith(() => jt.logicalAnd(x, "a" as never), TypeError, "logicalAnd", "Tensor or a number");
  throwsWith(() => jt.isnan(1 as never), TypeError, "isnan", "Tensor");
  throwsWith(() => jt.all([1] as never), TypeError, "all", "Tensor");
  throwsWith(() => jt.rand(2, { dtype: "bool" }), TypeError, "rand", "dtype");
  throwsWith(() => x.to("int8" as never), TypeError, "to", '"bool"');
});

test("compile time: a tensor compared with `>` points at the mask methods", () => {
  expectDiagnostic("masks-operator", `import type { Tensor } from "jacc";\nexport const g = grad((x: Tensor) => (‸x > 0 ? x : x.neg()).sum());\n`, {
    code: "unsupported-construct",
    message: [/tensors cannot be compared with `>`/, /\.gt\(/, /where/],
  });
});

// ---------------------------------------------------------------- derivatives
const SRC = `
import { grad, jacrev, jacfwd, hessian, vjp, jvp, vmap, where, maskedFill, gt, tensor, type Tensor } from "jacc";
// leaky relu by a mask; a masked mean (the mask from the data, counted in float32)
export const leaky = (x: Tensor): Tensor => where(x.gt(0), x, x.mul(0.01));
export const cubeLeak = (x: Tensor): Tensor => where(gt(0, x), x.mul(x).mul(x), x.exp());
export const masked = (x: Tensor): Tensor => x.mul(x).maskedFill(x.abs().lt(0.5), 0).sum();
export const fillVal = (x: Tensor, s: number): Tensor => x.maskedFill(x.gt(0).logicalAnd(x.lt(1)), s).mul(x).sum();
export const mmean = (x: Tensor): Tensor => { const m = x.gt(0).logicalOr(x.isnan()); return x.mul(m).sum().div(m.sum()); };
export const jr = jacrev(leaky);
export const jf = jacfwd(leaky);
export const jrc = jacrev(cubeLeak);
export const jfc = jacfwd(cubeLeak);
export const gm = grad(masked);
export const hm = hessian(masked);
export const gf = grad(fillVal, { argnums: [0, 1] });
export const gmm = grad(mmean);
export const vj = (x: Tensor) => vjp(leaky, [x]);
export const jv = (x: Tensor, t: Tensor) => jvp(cubeLeak, [x], [t]);
export const vl = vmap(leaky);
export const vgm = vmap(grad(masked));
export const vmf = vmap((x: Tensor, m: Tensor) => x.maskedFill(m, -1), { inDims: [null, 0] });
export const vmf2 = vmap((x: Tensor, m: Tensor) => x.maskedFill(m, -1), { inDims: [0, 0] });
export const vmf3 = vmap((x: Tensor, s: number) => x.maskedFill(x.gt(1), s), { inDims: [0, 0] });
export const vcmp = vmap((x: Tensor, y: Tensor) => x.ge(y).logicalXor(x.isfinite()).all(), { inDims: [0, null] });
export const vany = vmap((x: Tensor) => x.gt(0).any(0, true));
`;

test("where(x.gt(0), …) and maskedFill differentiate in every marker", async () => {
  const m = await compileAndImport(SRC, "masks-ad");
  const x = T64([-1.5, 0.7, 2, -0.3]);
  const d = [0.01, 1, 1, 0.01];
  const diag = (v: number[]) => v.map((a, i) => v.map((_, j) => (i === j ? a : 0)));
  near(m.jr(x), diag(d), "jacrev leaky");
  near(m.jf(x), diag(d), "jacfwd leaky");
  const dc = [-1.5, 0.7, 2, -0.3].map((v) => (v < 0 ? 3 * v * v : Math.exp(v)));
  near(m.jrc(x), diag(dc), "jacrev cube/exp");
  near(m.jfc(x), diag(dc), "jacfwd cube/exp");
  // masked: x² summed where |x| >= 0.5
  near(m.gm(x), [-3, 1.4, 4, 0], "grad masked");
  near(m.hm(x), diag([2, 2, 2, 0]), "hessian masked");
  // fillVal: Σ (x in (0,1) ? s : x) x → d/dx = 2x outside, s inside; d/ds = Σ x inside
  const [gx, gs] = m.gf(x, 2.5);
  near(gx, [-3, 2.5, 4, -0.6], "grad fillVal x");
  near(gs, 0.7, "grad fillVal s");
  // mmean = Σ_{x>0} x / #(x>0)
  near(m.gmm(x), [0, 0.5, 0.5, 0], "grad masked mean");
  const [out, back] = m.vj(x);
  near(out, [-0.015, 0.7, 2, -0.003], "vjp value");
  near(back(T64([1, 2, 3, 4])), [[0.01, 2, 3, 0.04]], "vjp cotangent");
  const [, tan] = m.jv(x, T64([1, 1, 1, 1]));
  near(tan, dc, "jvp tangent");
});
test("vmap: masks, where, maskedFill and all / any batch (no row loop) and agree with the row loop and by hand", async () => {
  const code = compileOrThrow(SRC, "masks-vmap.ts").code;
  assert.not.match(code, /vmap path: row loop \((?!for WebGPU arguments)/);
  const fast = await compileAndImport(SRC, "masks-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(SRC, "masks-vmap-off"));
  const X = T64([[-1.5, 0.7, 2], [0.2, -0.3, 1.5]]);
  const M = tensor([[true, false, false], [false, true, true]]);
  const cases: [string, unknown[], unknown][] = [
    ["vl", [X], [[-0.015, 0.7, 2], [0.2, -0.003, 1.5]]],
    ["vgm", [X], [[-3, 1.4, 4], [0, 0, 3]]],
    ["vmf", [T64([5, 6, 7]), M], [[-1, 6, 7], [5, -1, -1]]],
    ["vmf2", [X, M], [[-1, 0.7, 2], [0.2, -1, -1]]],
    ["vmf3", [X, T64([9, 8])], [[-1.5, 0.7, 9], [0.2, -0.3, 8]]],
    ["vcmp", [X, T64([0, 0, 0])], [false, false]],
    ["vany", [X], [[true], [true]]],
  ];
  for (const [name, args, want] of cases) {
    const a = fast[name](...args), b = slow[name](...args);
    assert.equal(arr(a), arr(b), `${name}: batched == row loop`);
    assert.is((a as Tensor).dtype, (b as Tensor).dtype, `${name}: dtype`);
    near(a, want, name);
  }
});

test.run();
