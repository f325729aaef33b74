// The int32 dtype (issue 17 §3: indices and argmax / argmin): where int32
// tensors come from, which ops keep them int32 (PyTorch's type promotion: the
// registry's `integral` ops with int32 operands and integral numbers), that
// every other op reads them as float32 with the values a float tensor would
// give, indices, the errors, and dtype conversions inside differentiated code.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "../runtime/index.js";
import { Tensor, tensor, zeros, ones, full, eye, arange } from "../runtime/index.js";
import { BINARY_OPS, BOOL_OPS, INTEGRAL_OPS, UNARY_OPS } from "../runtime/ops/elementwise.gen.js";
import { tensorIs, throwsWith } from "./runtime-assert.js";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";

const I = () => tensor([[3, -2, 0], [7, 5, -4]], { dtype: "int32" });
const J = () => tensor([2, -3, 5], { dtype: "int32" });
const same = (a: Tensor, b: Tensor, what: string) => {
  assert.equal([...a.shape], [...b.shape], `${what}: shape`);
  const x = Array.from(a.data), y = Array.from(b.data);
  x.forEach((v, i) => assert.ok(Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i])) || Math.abs(v - y[i]) <= 1e-6 * (1 + Math.abs(y[i])), `${what}: element ${i} is ${v}, expected ${y[i]}`));
};

test("int32 tensors: typed arrays, the dtype option, .int() / .to truncate toward zero, printing", () => {
  tensorIs(tensor(new Int32Array([1, -2])), [2], "int32", [1, -2]);
  tensorIs(tensor([[1.7, -1.7], [2.5, -0.2]], { dtype: "int32" }), [2, 2], "int32", [[1, -1], [2, 0]]);
  tensorIs(tensor([1.9, -2.9, NaN, Infinity]).int(), [4], "int32", [1, -2, 0, 0]);
  tensorIs(tensor([1.9, -2.9]).to("int32"), [2], "int32", [1, -2]);
  tensorIs(tensor([true, false]).int(), [2], "int32", [1, 0]);
  tensorIs(J().float(), [3], "float32", [2, -3, 5]);
  tensorIs(J().bool(), [3], "bool", [true, true, true]);
  tensorIs(zeros(2, { dtype: "int32" }), [2], "int32", [0, 0]);
  tensorIs(ones([2], { dtype: "int32" }), [2], "int32", [1, 1]);
  tensorIs(full([2], 7, { dtype: "int32" }), [2], "int32", [7, 7]);
  tensorIs(eye(2, { dtype: "int32" }), [2, 2], "int32", [[1, 0], [0, 1]]);
  tensorIs(arange(1, 7, 2, { dtype: "int32" }), [3], "int32", [1, 3, 5]);
  assert.ok(J().data instanceof Int32Array);
  assert.is(String(J()), "tensor([2, -3, 5], dtype=int32)");
  throwsWith(() => arange(0, 2, 0.5, { dtype: "int32" }), RangeError, "arange", "integral start and step");
  throwsWith(() => jt.linspace(0, 1, 3, { dtype: "int32" as never }), TypeError, "linspace", "dtype");
  throwsWith(() => jt.rand([2], { dtype: "int32" as never }), TypeError, "rand", "dtype");
});

test("argmax / argmin give int32 indices", () => {
  const x = tensor([[0.5, 3, 3], [-1, -7, 2]]);
  tensorIs(x.argmax(1), [2], "int32", [1, 2]);
  tensorIs(x.argmin(), [], "int32", 4);
  tensorIs(x.argmax(0, true), [1, 3], "int32", [[0, 0, 0]]);
});

test("elementwise ops: int32 stays int32 exactly where the registry says PyTorch keeps integers; elsewhere the float32 values", () => {
  const x = I();
  for (const op of UNARY_OPS.filter((o) => o in jt)) {
    const r = (jt as any)[op](x) as Tensor;
    const expected = BOOL_OPS.has(op) ? "bool" : INTEGRAL_OPS.has(op) ? "int32" : "float32";
    assert.is(r.dtype, expected, `${op}: dtype`);
    same(r.float(), ((jt as any)[op](x.float()) as Tensor).float(), op);
  }
  const y = tensor([[1, 2, 3], [2, 1, 2]], { dtype: "int32" });
  for (const op of BINARY_OPS.filter((o) => o in jt)) {
    for (const [a, b, what] of [[x, y, "int32, int32"], [x, 3, "int32, 3"], [5, y, "5, int32"]] as [Tensor | number, Tensor | number, string][]) {
      const r = (jt as any)[op](a, b) as Tensor;
      const expected = BOOL_OPS.has(op) ? "bool" : INTEGRAL_OPS.has(op) ? "int32" : "float32";
      assert.is(r.dtype, expected, `${op}(${what}): dtype`);
      const f = (v: Tensor | number) => (typeof v === "number" ? v : v.float());
      same(r.float(), ((jt as any)[op](f(a), f(b)) as Tensor).float(), `${op}(${what})`);
    }
  }
  // a fractional number, a float tensor or a 0-d float64 tensor promote to float (PyTorch's categories)
  tensorIs(J().mul(2.5), [3], "float32", [5, -7.5, 12.5]);
  tensorIs(J().add(tensor([0.5, 0.5, 0.5], { dtype: "float64" })), [3], "float64", [2.5, -2.5, 5.5]);
  tensorIs(J().add(tensor(0.5, { dtype: "float64" })), [3], "float64", [2.5, -2.5, 5.5]);
  tensorIs(J().div(2), [3], "float32", [1, -1.5, 2.5]);
  tensorIs(J().add(tensor([true, false, true])), [3], "int32", [3, -3, 6]);
  tensorIs(J().remainder(2), [3], "int32", [0, 1, 1]);
  tensorIs(J().fmod(2), [3], "int32", [0, -1, 1]);
  tensorIs(J().pow(2), [3], "int32", [4, 9, 25]);
  tensorIs(J().mul(J()).add(1), [3], "int32", [5, 10, 26]);
  // what PyTorch refuses in integer arithmetic
  throwsWith(() => J().remainder(tensor([1, 0, 1], { dtype: "int32" })), RangeError, "remainder", "integer division by zero");
  throwsWith(() => J().fmod(0), RangeError, "fmod", "integer division by zero");
  throwsWith(() => J().pow(-1), RangeError, "pow", "negative integer powers");
  tensorIs(J().pow(-1.5).isnan(), [3], "bool", [false, true, false]);
});

test("reductions and scans: sum, prod, max, min, cumsum, cumprod stay int32; mean, norm, var, std, logsumexp refuse it", () => {
  const x = I();
  tensorIs(x.sum(), [], "int32", 9);
  tensorIs(x.sum(1), [2], "int32", [1, 8]);
  tensorIs(x.prod(0), [3], "int32", [21, -10, 0]);
  tensorIs(x.max(1), [2], "int32", [3, 7]);
  tensorIs(x.min(0), [3], "int32", [3, -2, -4]);
  tensorIs(x.cumsum(1), [2, 3], "int32", [[3, 1, 1], [7, 12, 8]]);
  tensorIs(x.cumprod(0), [2, 3], "int32", [[3, -2, 0], [21, -10, 0]]);
  throwsWith(() => x.mean(), TypeError, "mean", "int32");
  for (const op of ["norm", "var", "std"]) throwsWith(() => (x as any)[op](), TypeError, op, "int32");
  throwsWith(() => x.logsumexp(1), TypeError, "logsumexp", "int32");
  tensorIs(x.float().mean(), [], "float32", 1.5);
});

test("shape ops, cat / stack, where and maskedFill keep int32", () => {
  const x = I();
  for (const [name, r] of [
    ["reshape", x.reshape(3, 2)], ["t", x.t()], ["flip", x.flip([1])], ["roll", x.roll(1, 1)], ["narrow", x.narrow(1, 1, 2)],
    ["select", x.select(0, 1)], ["index", x.index(1)], ["expand", J().expand(2, 3)], ["clone", x.clone()], ["tril", x.tril()],
    ["repeat", J().repeat(2)], ["unsqueeze", J().unsqueeze(0)], ["cat", jt.cat([x, x])], ["stack", jt.stack([J(), J()])],
    ["where", jt.where(x.gt(0), x, 0)], ["maskedFill", x.maskedFill(x.lt(0), 9)], ["indexSelect", x.indexSelect(1, J().abs().sub(2).clamp(0, 2))],
  ] as [string, Tensor][]) {
    assert.is(r.dtype, "int32", `${name}: dtype`);
    assert.ok(r.data instanceof Int32Array, `${name}: storage`);
  }
  tensorIs(x.maskedFill(x.lt(0), 2.7), [2, 3], "int32", [[3, 2, 0], [7, 5, 2]]);
  tensorIs(jt.where(x.gt(0), x, 0.5), [2, 3], "float32", [[3, 0.5, 0.5], [7, 5, 0.5]]);
  tensorIs(jt.cat([J(), tensor([0.5])]), [4], "float32", [2, -3, 5, 0.5]);
});

test("int32 indices: gather, scatterAdd, indexSelect, crossEntropy / nllLoss targets give what float indices give", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" });
  const fi = tensor([[2, 0], [1, 1]]);
  const ii = fi.int();
  tensorIs(x.gather(1, ii), [2, 2], "float64", [[3, 1], [5, 5]]);
  same(x.gather(1, ii), x.gather(1, fi), "gather");
  same(zeros([2, 3]).scatterAdd(1, ii, ones([2, 2])), zeros([2, 3]).scatterAdd(1, fi, ones([2, 2])), "scatterAdd");
  same(x.indexSelect(1, tensor([2, 0], { dtype: "int32" })), x.indexSelect(1, [2, 0]), "indexSelect");
  const logits = tensor([[0.2, -1, 3], [1.5, 0.3, -0.7]], { dtype: "float64" });
  same(jt.crossEntropy(logits, tensor([2, 0], { dtype: "int32" })), jt.crossEntropy(logits, tensor([2, 0])), "crossEntropy");
  same(jt.nllLoss(logits.logSoftmax(1), tensor([1, 2], { dtype: "int32" })), jt.nllLoss(logits.logSoftmax(1), tensor([1, 2])), "nllLoss");
  throwsWith(() => x.gather(1, tensor([[3, 0], [0, 0]], { dtype: "int32" })), RangeError, "gather");
});

const SRC = `
import { grad, jacrev, jacfwd, hessian, vmap, type Tensor } from "jacc";
// the largest entry picked by its int32 index, a mask as float, and a float64 → float32 → float64 round trip
export function f(x: Tensor): Tensor {
  const i = x.argmax(0, true);
  const picked = x.gather(0, i).sum();
  const positive = x.gt(0).float().mul(x).sum();
  return picked.add(positive).add(x.float().square().double().sum()).add(x.argmin().double());
}
// int32 arithmetic on indices inside the function: the entry after the largest
export function g(x: Tensor): Tensor {
  const next = x.argmax(0, true).add(1).remainder(x.size(0));
  return x.gather(0, next).mul(x.int().double()).sum().add(x.exp().sum());
}
// the same conversions written with .to(dtype)
export function t(x: Tensor): Tensor {
  return x.to("float32").exp().to("float64").mul(x).sum().add(x.gt(0).to("float64").sum()).add(x.to("int32").to("float64").sum());
}
export const gt = grad(t);
export const jt = jacfwd(t);
export const gf = grad(f);
export const jf = jacfwd(f);
export const hf = hessian(f);
export const vg = vmap(grad(f));
export const gg = grad(g);
export const jg = jacrev(g);
`;

test("inside differentiated code: argmax indices, .int() / .float() / .double() / .bool(), int32 arithmetic; every marker", async () => {
  const m = await compileAndImport(SRC, "int32");
  const x = tensor([0.5, -1.25, 2, 1.5], { dtype: "float64" });
  // d/dx of x[argmax] + Σ relu-mask·x + Σ x² (+ argmin, a constant): e_argmax + [x > 0] + 2x (the float32 square rounds)
  const expected = [1 + 1, -2.5, 1 + 1 + 4, 1 + 3];
  for (const name of ["gf", "jf"]) tensorIs(m[name](x), [4], "float64", expected, 1e-6);
  tensorIs(m.hf(x), [4, 4], "float64", [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]], 1e-6);
  const X = jt.stack([x, x.neg()]);
  tensorIs(m.vg(X), [2, 4], "float64", [expected, [0 - 1, 1 + 1 + 2.5, -4, -3]], 1e-6);
  // g: x[(argmax + 1) % n] · Σ trunc(x) + Σ exp(x): the index is int32 arithmetic, trunc a constant
  const e = x.exp();
  const gExpected = [0, 0, 0, 0].map((_, k) => e.data[k] + (k === 3 ? 0 - 1 + 2 + 1 : 0));
  tensorIs(m.gg(x), [4], "float64", gExpected, 1e-12);
  // t: Σ float32(eˣ)·x (+ constants): eˣ (1 + x), eˣ rounded to float32
  const tExpected = Array.from(x.data, (v) => Math.fround(Math.exp(v)) * (1 + v));
  for (const name of ["gt", "jt"]) tensorIs(m[name](x), [4], "float64", tExpected, 1e-7);
  tensorIs(m.jg(x), [4], "float64", gExpected, 1e-12);
});

test("inside differentiated code .to takes a literal dtype: a device or a computed dtype is a located diagnostic", () => {
  expectDiagnostic("to-device", `import { grad, type Tensor } from "jacc";\nexport const g = grad((x: Tensor): Tensor => x.to(‸"webgpu").sum());\n`, {
    code: "unsupported-construct",
    message: [/`.to` takes a dtype written as a literal/, /move tensors between devices before calling/],
  });
});

const GPU_SRC = `
import { grad, jacfwd, type Tensor } from "jacc";
export function h(x: Tensor): Tensor {
  const i = x.argmax(0, true);
  return x.gather(0, i).sum().add(x.gt(0).float().mul(x).sum()).add(x.square().sum());
}
export const gh = grad(h);
export const jh = jacfwd(h);
`;

gpuTest("int32", "WebGPU: int32 tensors are f32 integers on the device, labelled and read back as int32, with the CPU's dtype rules", async () => {
  registerAllKernels();
  const x = tensor([[0.5, 3, 3], [-1, -7, 2]]);
  const g = x.to("webgpu");
  const check = async (got: Tensor, cpu: Tensor, what: string) => {
    assert.is(got.device, "webgpu", `${what}: device`);
    assert.is(got.dtype, cpu.dtype, `${what}: dtype`);
    const data = await got.read();
    if (cpu.dtype === "int32") assert.ok(data instanceof Int32Array, `${what}: read back as an Int32Array`);
    assert.equal(mismatches(Array.from(data), Array.from(cpu.data), 1e-6), [], `${what}: values`);
  };
  await check(g.argmax(1), x.argmax(1), "argmax");
  await check(g.argmin(), x.argmin(), "argmin");
  await check(g.int(), x.int(), ".int()");
  await check(g.neg().int(), x.neg().int(), ".int() of negatives");
  const i = I(), gi = i.to("webgpu");
  await check(gi, i, "upload");
  await check(gi.add(1), i.add(1), "add");
  await check(gi.mul(gi), i.mul(i), "mul");
  await check(gi.abs(), i.abs(), "abs");
  await check(gi.mul(0.5), i.mul(0.5), "mul 0.5 (float32)");
  await check(gi.exp(), i.exp(), "exp (float32)");
  await check(gi.sum(1), i.sum(1), "sum");
  await check(gi.cumsum(1), i.cumsum(1), "cumsum");
  await check(gi.gt(0), i.gt(0), "gt");
  await check(gi.float(), i.float(), ".float()");
  await check(jt.cat([gi, gi]), jt.cat([i, i]), "cat");
  await check(jt.where(gi.gt(0), gi, 0), jt.where(i.gt(0), i, 0), "where");
  throwsWith(() => gi.mean(), TypeError, "mean", "int32");
  throwsWith(() => tensor([2 ** 24 + 1], { dtype: "int32" }).to("webgpu"), RangeError, "2^24");
  assert.match(String(gi), /dtype=int32, device=webgpu/);
  // compiled: the argmax index gathers on the device, as on the CPU
  const m = await compileAndImport(GPU_SRC, "int32-gpu");
  const v = tensor([0.5, -1.25, 2, 1.5]);
  for (const name of ["gh", "jh"]) {
    const cpu = m[name](v) as Tensor;
    const dev = m[name](v.to("webgpu")) as Tensor;
    assert.is(dev.device, "webgpu", `${name}: on the device`);
    assert.equal(mismatches(Array.from(await dev.read()), Array.from(cpu.data), 1e-5), [], `${name}: values`);
  }
});

test.run();
