// Masks on WebGPU (issue 17 §3): comparisons, logical ops, isnan / isinf /
// isfinite, where with a bool mask, maskedFill and all / any run as kernels on
// the device (a mask is an f32 buffer of 0 / 1 there, dtype "bool") and agree
// with the CPU, NaN and infinities included; a compiled where(x.gt(0), …)
// differentiates on the device as on the CPU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor, tensor, webgpuExecutor } from "../runtime/internal.js";
import * as jt from "../runtime/index.js";
import { RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { compileAndImport } from "./util/compile.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";

const FILE = "webgpu-masks";
const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

const X = () => new Tensor(Float32Array.from([-1.5, 0, 2, NaN, Infinity, -Infinity, 0.5, -0]), [2, 4]);
const Y = () => new Tensor(Float32Array.from([0, 0, NaN, 2]), [4]);
const gpu = (t: Tensor) => t.to("webgpu");

/** f on the CPU and on the device: same dtype, shape and values (a mask read back as a Uint8Array), and only the kernels RUNTIME_KERNELS lists for the ops `fn` names ("gt+where"). */
async function same(fn: string, f: (...a: any[]) => Tensor, args: unknown[]): Promise<void> {
  const cpu = f(...args);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const g = f(...args.map((a) => (a instanceof Tensor ? gpu(a) : a)));
  assert.is(g.device, "webgpu", `${fn}: on the device`);
  assert.is(g.dtype, cpu.dtype, `${fn}: dtype`);
  assert.equal([...g.shape], [...cpu.shape], `${fn}: shape`);
  const data = await g.read();
  if (cpu.dtype === "bool") assert.ok(data instanceof Uint8Array, `${fn}: a mask reads back as a Uint8Array`);
  assert.equal(mismatches(Array.from(data), Array.from(cpu.data), 1e-6), [], `${fn}: values`);
  const allowed = fn.split("+").flatMap((op) => RUNTIME_KERNELS[op] ?? []);
  const extra = [...ex.used].filter((k) => !allowed.includes(k));
  assert.equal(extra, [], `${fn}: kernels outside RUNTIME_KERNELS.${fn}`);
}

it("comparisons, logical ops and isnan / isinf / isfinite: bool tensors on the device, NaN and ±0 as on the CPU", async () => {
  for (const op of ["gt", "lt", "ge", "le", "eq", "ne", "logicalAnd", "logicalOr", "logicalXor"]) {
    await same(op, (x: Tensor, y: Tensor) => (jt as any)[op](x, y), [X(), Y()]);
    await same(op, (x: Tensor) => (jt as any)[op](x, 0), [X()]);
    await same(op, (x: Tensor) => (jt as any)[op](0.5, x), [X()]);
  }
  for (const op of ["logicalNot", "isnan", "isinf", "isfinite"]) await same(op, (x: Tensor) => (jt as any)[op](x), [X()]);
  // masks meet masks; a mask in float arithmetic reads as 0 / 1 (float32)
  await same("gt+isfinite+logicalAnd", (x: Tensor) => x.gt(0).logicalAnd(x.isfinite()), [X()]);
  await same("isfinite+mul", (x: Tensor) => x.isfinite().mul(3), [X()]);
});

it("where with a bool mask, maskedFill (a bool input stays bool), all / any", async () => {
  await same("gt+where", (x: Tensor) => jt.where(x.gt(0), x, 7), [X()]);
  await same("isnan+where", (x: Tensor, y: Tensor) => jt.where(y.isnan(), x, y), [X(), Y()]);
  await same("isnan+maskedFill", (x: Tensor) => x.maskedFill(x.isnan(), 0), [X()]);
  await same("eq+maskedFill", (x: Tensor, y: Tensor) => x.maskedFill(y.eq(0), -1), [X(), Y()]);
  await same("eq+maskedFill", (m: Tensor, y: Tensor) => m.maskedFill(y.eq(0), 1), [tensor([[true, false, false, true]]), Y()]);
  await same("all", (x: Tensor) => x.all(1), [X()]);
  await same("gt+any", (x: Tensor) => x.gt(1).any(0, true), [X()]);
  await same("isinf+any", (x: Tensor) => x.isinf().any(), [X()]);
  // a bool tensor uploaded keeps its dtype, and converts like the CPU's
  const m = tensor([true, false, true]).to("webgpu");
  assert.is(m.dtype, "bool");
  assert.equal(Array.from(await m.to("float32").read()), [1, 0, 1]);
  assert.equal(Array.from(await jt.tensor([0, 2, NaN]).to("webgpu").to("bool").read()), [0, 1, 1]);
  assert.match(String(m), /dtype=bool, device=webgpu/);
});

const SRC = `
import { grad, jacrev, jacfwd, where, type Tensor } from "jacc";
const leaky = (x: Tensor): Tensor => where(x.gt(0), x, x.mul(0.01));
const masked = (x: Tensor): Tensor => x.mul(x).maskedFill(x.abs().lt(0.5), 0).sum();
export const jr = (x: Tensor) => jacrev(leaky)(x);
export const jf = (x: Tensor) => jacfwd(leaky)(x);
export const gm = (x: Tensor) => grad(masked)(x);
`;

it("a compiled where(x.gt(0), …) and maskedFill differentiate on the device as on the CPU", async () => {
  const m = await compileAndImport(SRC, "webgpu-masks");
  const x = tensor([-1.5, 0.7, 2, -0.3]);
  for (const name of ["jr", "jf", "gm"]) {
    const cpu = m[name](x) as Tensor;
    const g = m[name](x.to("webgpu")) as Tensor;
    assert.is(g.device, "webgpu", name);
    assert.equal(mismatches(Array.from(await g.read()), Array.from(cpu.data), 1e-6), [], name);
  }
  const d = [0.01, 1, 1, 0.01];
  assert.equal(mismatches(Array.from((m.jr(x) as Tensor).data), d.flatMap((a, i) => d.map((_, j) => (i === j ? a : 0))), 1e-7), [], "jacrev by hand");
  assert.equal(mismatches(Array.from((m.gm(x) as Tensor).data), [-3, 1.4, 4, 0], 1e-6), [], "grad by hand");
});
test.run();
