// Reverse mode with respect to a `number` parameter of a function of WebGPU
// tensors (grad, jacrev, vjp, hessian): the parameter's cotangent is a sum over
// device values, kept on the device as a 0-d float32 tensor while it is
// accumulated (compiler/opt/device-numbers.ts, runtime adNum*). Each derivative
// runs on float32 CPU tensors and on their WebGPU copies; the results have the
// CPU's structure (a float64 block of a number input is float32 on the
// device; a plain number cotangent from vjp is a 0-d device tensor there) and
// its numbers at 1e-4. Expected values are also checked in closed form.
import * as assert from "uvu/assert";
import { test } from "uvu";
import { Tensor, tensor, webgpuExecutor } from "../runtime/internal.js";
import * as jt from "../runtime/internal.js";
import { compileAndImport, compileOrThrow } from "./util/compile.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { gpuTest, kind, mismatches, numbers, readBack, registerAllKernels } from "./util/webgpu.js";

const FILE = "webgpu-number-params";
const TOL = 1e-4;

const SRC = `
import { grad, hessian, jacrev, vjp, type Tensor } from "jacc";

const f = (x: Tensor, s: number) => x.mul(s).sin().sum();
const g = (x: Tensor, s: number) => x.mul(s).sin();
// s reaches the output along three paths: three partial sums added on the device
const again = (x: Tensor, s: number) => x.mul(s).add(x.exp().sum().mul(s)).mul(Math.exp(s));
const h = (x: Tensor, v: number[]) => x.mul(v[0]).add(v[1] * v[0]).tanh().sum();
const helper = (t: Tensor, k: number) => t.mul(k).cos();
const viaCall = (x: Tensor, s: number) => helper(x, s).sum().add(helper(x, s * 2).sum());
const kinked = (x: Tensor, s: number) => x.mul(Math.max(s, 0.5)).add(s > 1 ? s * s : -s).exp().sum();

export const gradS = (x: Tensor, s: number) => grad(f, { argnums: 1 })(x, s);
export const gradBoth = (x: Tensor, s: number) => grad(f, { argnums: [0, 1] })(x, s);
export const jacrevS = (x: Tensor, s: number) => jacrev(g, { argnums: 1 })(x, s);
export const jacrevAgain = (x: Tensor, s: number) => jacrev(again, { argnums: [0, 1] })(x, s);
export const vjpS = (x: Tensor, s: number, ct: Tensor) => vjp(g, [x, s])[1](ct);
export const gradVec = (x: Tensor, v: number[]) => grad(h, { argnums: [0, 1] })(x, v);
export const jacrevVec = (x: Tensor, v: number[]) => jacrev(h, { argnums: 1 })(x, v);
export const vjpVec = (x: Tensor, v: number[], ct: Tensor) => vjp(h, [x, v])[1](ct);
export const gradCall = (x: Tensor, s: number) => grad(viaCall, { argnums: 1 })(x, s);
export const gradKinked = (x: Tensor, s: number) => grad(kinked, { argnums: 1 })(x, s);
export const hess = (x: Tensor, s: number) => hessian(f, { argnums: [0, 1] })(x, s);
`;

type Mod = Record<string, (...a: any[]) => unknown>;
let mod: Mod | undefined;
const load = async (): Promise<Mod> => (mod ??= await compileAndImport<Mod>(SRC, "webgpu-number-params"));

const X = [0.3, -0.7, 1.1, 0.45];
const cpuX = () => tensor(X, { dtype: "float32" });
const gpuX = () => cpuX().to("webgpu");

/** The CPU's structure as the device gives it (float64 blocks are float32 there; a number cotangent is a 0-d tensor). */
function onDevice(cpu: string): string {
  return cpu.replace(/T64\[/g, "T32[").replace(/(^|[[,:])n(?=$|[\],])/g, "$1T32[]");
}

/** Runs `name` on the CPU and on WebGPU and compares; returns both (read back). */
async function both(name: string, cpuArgs: unknown[], gpuArgs: unknown[]): Promise<{ cpu: unknown; gpu: unknown }> {
  const m = await load();
  const cpu = m[name](...cpuArgs);
  const raw = m[name](...gpuArgs);
  // every tensor of the device run is on the device (nothing was read back synchronously)
  const devices = (v: unknown): string[] => (v instanceof Tensor ? [v.device] : Array.isArray(v) ? v.flatMap(devices) : []);
  assert.ok(devices(raw).length > 0 && devices(raw).every((d) => d === "webgpu"), `${name}: results on webgpu (${devices(raw).join(", ")})`);
  const gpu = await readBack(raw);
  assert.is(kind(gpu), onDevice(kind(cpu)), `${name}: structure on webgpu vs cpu`);
  const bad = mismatches(numbers(gpu), numbers(cpu), TOL);
  assert.ok(bad.length === 0, `${name}: ${bad.length} mismatch(es)\n  ${bad.slice(0, 6).join("\n  ")}`);
  return { cpu, gpu };
}

const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));
const s = 0.8;
const closeTo = (got: number[], want: number[], what: string) => assert.equal(mismatches(got, want, TOL), [], what);

it("grad w.r.t. a number of x.mul(s).sin().sum(): a 0-d float32 tensor on the device, Σ x cos(s x)", async () => {
  const { gpu } = await both("gradS", [cpuX(), s], [gpuX(), s]);
  assert.is(kind(gpu), "T32[]");
  closeTo(numbers(gpu), [X.reduce((a, x) => a + x * Math.cos(s * x), 0)], "value");
});

it("grad over [x, s] and jacrev w.r.t. s of a tensor output (block out.shape ++ [])", async () => {
  const g2 = await both("gradBoth", [cpuX(), s], [gpuX(), s]);
  assert.is(kind(g2.gpu), "[T32[4],T32[]]");
  closeTo(numbers(g2.gpu), [...X.map((x) => s * Math.cos(s * x)), X.reduce((a, x) => a + x * Math.cos(s * x), 0)], "grad");
  const j = await both("jacrevS", [cpuX(), s], [gpuX(), s]);
  assert.is(kind(j.gpu), "T32[4]");
  closeTo(numbers(j.gpu), X.map((x) => x * Math.cos(s * x)), "jacrev");
});

it("jacrev where s reaches the output along several paths (partial sums added on the device, times a number partial)", async () => {
  const { gpu } = await both("jacrevAgain", [cpuX(), s], [gpuX(), s]);
  assert.is(kind(gpu), "[T32[4,4],T32[4]]");
  // out_i = (s x_i + s Σe^x) e^s; d/ds = (x_i + Σe^x) e^s + out_i
  const E = X.reduce((a, x) => a + Math.exp(x), 0);
  closeTo(numbers(gpu).slice(16), X.map((x) => (x + E) * Math.exp(s) + (s * x + s * E) * Math.exp(s)), "d/ds");
});

it("vjp: the number primal's cotangent is a number on the CPU and a 0-d WebGPU tensor on the device", async () => {
  const ct = [1, -2, 0.5, 3];
  const { cpu, gpu } = await both("vjpS", [cpuX(), s, tensor(ct, { dtype: "float32" })], [gpuX(), s, tensor(ct, { dtype: "float32" }).to("webgpu")]);
  assert.is(kind(cpu), "[T32[4],n]");
  assert.is(kind(gpu), "[T32[4],T32[]]");
  closeTo(numbers(gpu).slice(4), [X.reduce((a, x, i) => a + ct[i] * x * Math.cos(s * x), 0)], "s cotangent");
});

it("a number[] parameter: its cotangent vector holds device values (grad, jacrev, vjp)", async () => {
  const v = [0.6, -0.2];
  // h = Σ tanh(v0 x + v1 v0): ∂/∂v0 = Σ sech²(·)(x + v1), ∂/∂v1 = Σ sech²(·) v0
  const sech2 = X.map((x) => 1 - Math.tanh(v[0] * x + v[1] * v[0]) ** 2);
  const want = [sech2.reduce((a, d, i) => a + d * (X[i] + v[1]), 0), sech2.reduce((a, d) => a + d * v[0], 0)];
  const g = await both("gradVec", [cpuX(), v], [gpuX(), v]);
  assert.is(kind(g.gpu), "[T32[4],T32[2]]");
  closeTo(numbers(g.gpu).slice(4), want, "grad");
  const j = await both("jacrevVec", [cpuX(), v], [gpuX(), v]);
  assert.is(kind(j.gpu), "T32[2]");
  closeTo(numbers(j.gpu), want, "jacrev");
  const p = await both("vjpVec", [cpuX(), v, tensor(2, { dtype: "float32" })], [gpuX(), v, tensor(2, { dtype: "float32" }).to("webgpu")]);
  assert.is(kind(p.gpu), "[T32[4],T32[2]]");
  closeTo(numbers(p.gpu).slice(4), want.map((w) => 2 * w), "vjp");
});

it("a callee's number cotangent comes back to its caller on the device", async () => {
  const { gpu } = await both("gradCall", [cpuX(), s], [gpuX(), s]);
  closeTo(numbers(gpu), [X.reduce((a, x) => a - x * Math.sin(s * x) - 2 * x * Math.sin(2 * s * x), 0)], "value");
});

it("Math.max and a conditional on the number parameter", async () => {
  for (const k of [0.8, 0.3, 1.5]) {
    const { gpu } = await both("gradKinked", [cpuX(), k], [gpuX(), k]);
    // Σ e^{m x + c} (x m' + c'), m = max(k, 0.5), c = k > 1 ? k² : -k
    const m = Math.max(k, 0.5), dm = k > 0.5 ? 1 : 0, c = k > 1 ? k * k : -k, dc = k > 1 ? 2 * k : -1;
    closeTo(numbers(gpu), [X.reduce((a, x) => a + Math.exp(m * x + c) * (x * dm + dc), 0)], `s = ${k}`);
  }
});

it("hessian over [x, s] (forward over reverse through the device cotangent)", async () => {
  const { gpu } = await both("hess", [cpuX(), s], [gpuX(), s]);
  assert.is(kind(gpu), "[[T32[4,4],T32[4]],[T32[4],T32[]]]");
  // ∂²f/∂s² = -Σ x² sin(s x); ∂²f/∂x_i∂s = cos(s x_i) - s x_i sin(s x_i)
  const n = numbers(gpu);
  closeTo(n.slice(16, 20), X.map((x) => Math.cos(s * x) - s * x * Math.sin(s * x)), "∂x∂s");
  closeTo(n.slice(24), [-X.reduce((a, x) => a + x * x * Math.sin(s * x), 0)], "∂s²");
});

it("the runtime helpers: numbers stay numbers, a device value gives a 0-d device tensor, an op of numbers only says why", async () => {
  assert.is(jt.adNumAdd(1.5, 2), 3.5);
  assert.is(jt.adNumMul(1.5, 2), 3);
  assert.is(jt.adNumSub(1.5, 2), -0.5);
  assert.is(jt.adNumDiv(3, 2), 1.5);
  assert.is(jt.adNumNeg(2), -2);
  assert.equal(jt.adNumVec(3), [0, 0, 0]);
  const t = jt.adSumTo(gpuX(), 1) as Tensor;
  assert.is(t.device, "webgpu");
  assert.equal(t.shape, []);
  const sum = jt.adNumMul(jt.adNumAdd(2, t), 3) as Tensor;
  assert.is(sum.device, "webgpu");
  closeTo(Array.from(await sum.read()), [(2 + X.reduce((a, b) => a + b, 0)) * 3], "(2 + Σx) 3");
  const w = jt.adWrapNums([1.5, t, 2], [3]);
  assert.is(w.device, "webgpu");
  closeTo(Array.from(await w.read()), [1.5, X.reduce((a, b) => a + b, 0), 2], "adWrapNums");
  assert.is(jt.adWrapNums([1, 2], [2]).dtype, "float64");
  // a float32 vector (a Float32Array parameter's cotangent) rounds what is stored, as the typed array would
  const v32 = jt.adNumVec(2, true);
  v32[0] = jt.adNumFit(0.1, v32);
  assert.is(v32[0], Math.fround(0.1));
  assert.is(jt.adNumFit(0.1, jt.adNumVec(2)), 0.1);
  assert.is(jt.adNumFit(t, v32), t);
  assert.is(jt.adWrapNums(v32, [2]).dtype, "float32");
  assert.is(jt.adWrapNums(jt.adNumCopy(v32), [2]).dtype, "float32");
  assert.equal(Array.from(jt.adWrapNums(jt.adNumCopy(v32), [2]).data), [Math.fround(0.1), 0]);
  assert.throws(() => jt.adWrapNums([t, t], [3]), /adWrapNums: 2 values for shape \[3\]/);
  assert.is(jt.adNumPlain(2, "exp"), 2);
  assert.throws(() => jt.adNumPlain(t, "exp"), (e: Error) => e instanceof TypeError && /reaches `exp`, which takes only numbers/.test(e.message));
  // a number cotangent vector with a device element fills a row of a device block
  const J = jt.adBlock(tensor([0, 0], { dtype: "float32" }).to("webgpu"), [0, 0, 0], "in") as Tensor;
  jt.adSetRow(J, 1, [t, 0.25, -1] as unknown as number[], 3); // (generated code passes such arrays)
  closeTo(Array.from(await J.read()), [0, 0, 0, X.reduce((a, b) => a + b, 0), 0.25, -1], "adSetRow");
  // each dispatches only the kernels its RUNTIME_KERNELS entry names (what a compiled module brings for it)
  const ex = webgpuExecutor()!;
  const within = (fn: string, run: () => unknown) => {
    ex.used.clear();
    run();
    assert.equal([...ex.used].filter((k) => !RUNTIME_KERNELS[fn].includes(k)), [], `${fn}: kernels beyond its RUNTIME_KERNELS entry`);
  };
  const x = gpuX();
  within("adSumTo", () => jt.adSumTo(x, 1));
  within("adNumAdd", () => jt.adNumAdd(1, t));
  within("adNumSub", () => jt.adNumSub(t, 1));
  within("adNumMul", () => jt.adNumMul(t, 2));
  within("adNumDiv", () => jt.adNumDiv(t, 2));
  within("adNumNeg", () => jt.adNumNeg(t));
  within("adWrapNums", () => jt.adWrapNums([1, t], [2]));
  within("adSetRow", () => jt.adSetRow(J, 0, [0.5, t, 2] as unknown as number[], 3));
});

it("generated code: only what a device sum reaches goes through the helpers", async () => {
  const { code } = compileOrThrow(SRC, "webgpu-number-params.ts", "js");
  assert.match(code, /s_bar = __jt\.adNumAdd\(s_bar, /);
  assert.match(code, /= __jt\.adNumVec\(/);
  assert.match(code, /__jt\.adWrapNums\(/);
  // number code of a program without tensors is untouched
  const plain = compileOrThrow(`import { grad } from "jacc";\nconst f = (a: number, b: number) => Math.sin(a * b) + a;\nexport const d = grad(f, { argnums: [0, 1] })(0.3, 0.4);\n`, "plain.ts", "js").code;
  assert.not.match(plain, /adNum|adWrapNums/);
});
test.run();
