// `.item()` and `.detach()` of WebGPU tensors in compiled code. A number taken
// from a device tensor cannot be read synchronously, so inside generated code
// `t.item()` is a 0-d device tensor (compiler/opt/device-numbers.ts, runtime
// adItem) carried through the number arithmetic (adNumAdd & co, adNumMath for
// Math.exp & co and **) and differentiated like any number; what cannot take one (a
// branch on it, a typed array) is a TypeError that says so, never a wrong
// number. `detach` is a view of the same buffer. Each derivative runs on
// float32 CPU tensors and on their WebGPU copies and must agree (a number the
// CPU gives is a 0-d float32 device tensor there), and is checked in closed form.
import * as assert from "uvu/assert";
import { test } from "uvu";
import { Tensor, tensor, webgpuExecutor } from "../runtime/internal.js";
import * as jt from "../runtime/internal.js";
import { compileAndImport } from "./util/compile.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { gpuTest, kind, mismatches, numbers, readBack, registerAllKernels } from "./util/webgpu.js";

const FILE = "webgpu-item";
const TOL = 1e-4;

const SRC = `
import { grad, jacrev, jacfwd, hessian, vjp, jvp, vmap, detach, type Tensor } from "jacc";

const f = (x: Tensor): number => x.mul(x).sum().item();
const scaled = (x: Tensor) => x.mul(x.sum().item());
const viaMath = (x: Tensor, s: number) => Math.exp(x.sum().item() * s);
const squared = (x: Tensor) => (x.sum().item() - 1) ** 2;
const d = (x: Tensor) => x.mul(x.detach()).sum();
const e = (x: Tensor) => detach(x).mul(x).sin();
// a constant number from a detached tensor scales the structured tangent on the device (a 0-d tensor operand of sj)
const constScale = (x: Tensor) => x.mul(x.detach().sum().item()).sin();
const branchy = (x: Tensor) => (x.sum().item() > 0 ? x.mul(2) : x.neg()).sum();

export const gradF = (x: Tensor) => grad(f)(x);
export const jacrevF = (x: Tensor) => jacrev(f)(x);
export const jacfwdF = (x: Tensor) => jacfwd(f)(x);
export const hessF = (x: Tensor) => hessian(f)(x);
export const vjpF = (x: Tensor, ct: number) => vjp(f, [x])[1](ct);
export const jvpF = (x: Tensor, t: Tensor) => jvp(f, [x], [t]);
export const jacrevScaled = (x: Tensor) => jacrev(scaled)(x);
export const jacfwdScaled = (x: Tensor) => jacfwd(scaled)(x);
export const gradMath = (x: Tensor, s: number) => grad(viaMath, { argnums: [0, 1] })(x, s);
export const gradSquared = (x: Tensor) => grad(squared)(x);
export const gradD = (x: Tensor) => grad(d)(x);
export const jacfwdD = (x: Tensor) => jacfwd(d)(x);
export const jacrevE = (x: Tensor) => jacrev(e)(x);
export const jacfwdE = (x: Tensor) => jacfwd(e)(x);
export const jacrevConst = (x: Tensor) => jacrev(constScale)(x);
export const jacfwdConst = (x: Tensor) => jacfwd(constScale)(x);
export const gradBranchy = (x: Tensor) => grad(branchy)(x);
export const vmapF = (xs: Tensor) => vmap(f)(xs);
`;

type Mod = Record<string, (...a: any[]) => unknown>;
let mod: Mod | undefined;
const load = async (): Promise<Mod> => (mod ??= await compileAndImport<Mod>(SRC, "webgpu-item"));

const X = [0.3, -0.7, 1.1, 0.45];
const cpuX = () => tensor(X, { dtype: "float32" });
const gpuX = () => cpuX().to("webgpu");
const S = X.reduce((a, b) => a + b, 0);

/** The CPU's structure as the device gives it (float64 blocks are float32 there; a number is a 0-d tensor). */
function onDevice(cpu: string): string {
  return cpu.replace(/T64\[/g, "T32[").replace(/(^|[[,:])n(?=$|[\],])/g, "$1T32[]");
}

/** Runs `name` on the CPU and on WebGPU and compares; returns the device's result, read back. */
async function both(name: string, cpuArgs: unknown[], gpuArgs: unknown[]): Promise<unknown> {
  const m = await load();
  const cpu = m[name](...cpuArgs);
  const raw = m[name](...gpuArgs);
  const devices = (v: unknown): string[] => (v instanceof Tensor ? [v.device] : Array.isArray(v) ? v.flatMap(devices) : []);
  assert.ok(devices(raw).length > 0 && devices(raw).every((dv) => dv === "webgpu"), `${name}: results on webgpu (${devices(raw).join(", ")})`);
  const gpu = await readBack(raw);
  assert.is(kind(gpu), onDevice(kind(cpu)), `${name}: structure on webgpu vs cpu`);
  const bad = mismatches(numbers(gpu), numbers(cpu), TOL);
  assert.ok(bad.length === 0, `${name}: ${bad.length} mismatch(es)\n  ${bad.slice(0, 6).join("\n  ")}`);
  return gpu;
}

const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));
const closeTo = (got: number[], want: number[], what: string) => assert.equal(mismatches(got, want, TOL), [], what);
const diag = (v: number[]) => v.flatMap((a, i) => v.map((_, j) => (i === j ? a : 0)));

it("grad / jacrev / jacfwd of x.mul(x).sum().item() on the device: 2x", async () => {
  for (const name of ["gradF", "jacrevF", "jacfwdF"]) {
    const g = await both(name, [cpuX()], [gpuX()]);
    assert.is(kind(g), "T32[4]");
    closeTo(numbers(g), X.map((x) => 2 * x), name);
  }
});

it("hessian, vjp and jvp of an .item() program (the number tangent is a 0-d device tensor)", async () => {
  closeTo(numbers(await both("hessF", [cpuX()], [gpuX()])), diag(X.map(() => 2)), "hessian");
  closeTo(numbers(await both("vjpF", [cpuX(), 1.5], [gpuX(), 1.5])), X.map((x) => 3 * x), "vjp");
  const t = [1, -2, 0.5, 3];
  const j = await both("jvpF", [cpuX(), tensor(t)], [gpuX(), tensor(t).to("webgpu")]);
  assert.is(kind(j), "[T32[],T32[]]");
  closeTo(numbers(j), [X.reduce((a, x) => a + x * x, 0), X.reduce((a, x, i) => a + 2 * x * t[i], 0)], "jvp");
});

it("the .item() number back into a tensor op, through Math.exp and a number parameter, and **", async () => {
  const want = X.flatMap((xi, i) => X.map((_, j) => (i === j ? S : 0) + xi));
  closeTo(numbers(await both("jacrevScaled", [cpuX()], [gpuX()])), want, "jacrev");
  closeTo(numbers(await both("jacfwdScaled", [cpuX()], [gpuX()])), want, "jacfwd");
  const k = 0.7, ex = Math.exp(k * S);
  const g = await both("gradMath", [cpuX(), k], [gpuX(), k]);
  assert.is(kind(g), "[T32[4],T32[]]");
  closeTo(numbers(g), [...X.map(() => k * ex), S * ex], "d/dx, d/ds");
  closeTo(numbers(await both("gradSquared", [cpuX()], [gpuX()])), X.map(() => 2 * (S - 1)), "d (Σx - 1)² = 2 (Σx - 1)");
});

it("detach on the device: x.mul(x.detach()).sum() has gradient x; detach(x).mul(x).sin() is diag(x cos x²); a detached .item() scales", async () => {
  closeTo(numbers(await both("gradD", [cpuX()], [gpuX()])), X, "grad");
  closeTo(numbers(await both("jacfwdD", [cpuX()], [gpuX()])), X, "jacfwd");
  const want = diag(X.map((x) => x * Math.cos(x * x)));
  closeTo(numbers(await both("jacrevE", [cpuX()], [gpuX()])), want, "jacrev (structured on the device)");
  closeTo(numbers(await both("jacfwdE", [cpuX()], [gpuX()])), want, "jacfwd");
  const c = diag(X.map((x) => S * Math.cos(S * x)));
  closeTo(numbers(await both("jacrevConst", [cpuX()], [gpuX()])), c, "jacrev of x · (Σx detached).item()");
  closeTo(numbers(await both("jacfwdConst", [cpuX()], [gpuX()])), c, "jacfwd of x · (Σx detached).item()");
});

it("what cannot take a device number is a TypeError that says so, not a wrong value", async () => {
  const m = await load();
  assert.throws(() => m.gradBranchy(gpuX()), (e: Error) => e instanceof TypeError && /\.item\(\)` of a WebGPU tensor.*reaches `gt`/.test(e.message));
  closeTo(numbers(m.gradBranchy(cpuX())), X.map(() => 2), "the CPU runs it");
  const rows = tensor([[0.3, -0.7], [1.1, 0.45]]);
  assert.throws(() => m.vmapF(rows.to("webgpu")), (e: Error) => e instanceof TypeError && /reaches `a typed array`/.test(e.message));
  closeTo(numbers(m.vmapF(rows)), [0.3 ** 2 + 0.7 ** 2, 1.1 ** 2 + 0.45 ** 2], "vmap on the CPU");
});

it("runtime: detach is a view of the same buffer, adItem a 0-d view; adNumMath runs the op; kernels as RUNTIME_KERNELS lists", async () => {
  const ex = webgpuExecutor()!;
  const within = (fn: string, run: () => unknown) => {
    ex.used.clear();
    const r = run();
    assert.equal([...ex.used].filter((k) => !RUNTIME_KERNELS[fn].includes(k)), [], `${fn}: kernels beyond its RUNTIME_KERNELS entry`);
    return r;
  };
  const x = gpuX();
  const d = within("detach", () => jt.detach(x)) as Tensor & { storage: unknown };
  assert.is(d.device, "webgpu");
  assert.equal(d.shape, [4]);
  assert.is(d.storage, (x as unknown as { storage: unknown }).storage, "detach shares the buffer");
  assert.is((x.detach() as unknown as { storage: unknown }).storage, (x as unknown as { storage: unknown }).storage, "the method too");
  const total = jt.sum(x);
  const s = within("adItem", () => jt.adItem(total)) as Tensor;
  assert.is(s.device, "webgpu");
  assert.equal(s.shape, []);
  closeTo(Array.from(await s.read()), [S], "adItem");
  assert.throws(() => jt.adItem(x), (e: Error) => e instanceof RangeError && /item: only a one-element tensor.*\[4\]/.test(e.message));
  const positive = jt.adItem(jt.sum(jt.abs(x)));
  for (const fn of ["exp", "log", "sqrt", "sin", "cos", "tanh"] as const) {
    const r = within("adNumMath", () => jt.adNumMath(fn, positive)) as Tensor;
    closeTo(Array.from(await r.read()), [Math[fn](X.reduce((a, b) => a + Math.abs(b), 0))], `adNumMath ${fn}`);
  }
  const p = within("adNumMath", () => jt.adNumMath("pow", positive, 1.5)) as Tensor;
  closeTo(Array.from(await p.read()), [X.reduce((a, b) => a + Math.abs(b), 0) ** 1.5], "adNumMath pow");
  assert.is(jt.adNumMath("exp", 0.5), Math.exp(0.5));
  assert.is(jt.adNumMath("pow", 2, 0.5), 2 ** 0.5);
});

test.run();
