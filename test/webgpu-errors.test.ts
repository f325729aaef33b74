// WebGPU's errors (SPEC §5): no adapter, float64 on the device, mixed devices,
// reading a device tensor synchronously, a kernel that was not compiled in,
// and a lost device (destroyed on purpose, then initWebGPU() again).
import * as assert from "uvu/assert";
import { test } from "uvu";
import * as jt from "../runtime/internal.js";
import { initWebGPU, tensor, webgpuExecutor } from "../runtime/internal.js";
import { kernelSource } from "../runtime/kernels.js";
import { gpuTest, registerAllKernels } from "./util/webgpu.js";
import { compileOrThrow, repoRoot } from "./util/compile.js";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

const FILE = "webgpu-errors";
const it = (name: string, fn: () => Promise<void> | void) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

function throwsLike(fn: () => unknown, type: Function, re: RegExp, what: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, type, `${what}: ${(e as Error).message}`);
    assert.match((e as Error).message, re, what);
    return;
  }
  assert.unreachable(`${what}: did not throw`);
}

test("no adapter: initWebGPU rejects with an error that says so", async () => {
  try {
    await initWebGPU({ gpu: { requestAdapter: async () => null } });
    assert.unreachable("resolved");
  } catch (e) {
    assert.match((e as Error).message, /no WebGPU adapter/);
  }
});

test("a kernel that no compiled module brought: an error naming the op and the kernel", () => {
  throwsLike(() => kernelSource("no_such_kernel", "exp"), Error, /^exp: the WGSL kernel "no_such_kernel" was not compiled/, "kernelSource");
});

it("float64 on WebGPU is a TypeError that says to convert to float32 first (no silent downcast)", () => {
  const x = tensor([1, 2, 3], { dtype: "float64" });
  throwsLike(() => x.to("webgpu"), TypeError, /float32 only.*\.to\("float32"\)/, 'to("webgpu")');
  throwsLike(() => tensor([1, 2], { dtype: "float64", device: "webgpu" }), TypeError, /float32 only/, "tensor(…, { device })");
  const ok = x.to({ dtype: "float32", device: "webgpu" });
  assert.is(ok.device, "webgpu");
  assert.is(ok.dtype, "float32");
  throwsLike(() => ok.to("float64"), TypeError, /float32 only/, 'to("float64") on the device');
});

it("mixed devices: a TypeError naming the op and the devices", () => {
  const g = tensor([1, 2, 3]).to("webgpu");
  const c = tensor([1, 2, 3]);
  throwsLike(() => g.add(c), TypeError, /^add: tensors are on different devices \(webgpu and cpu\)/, "add");
  throwsLike(() => c.mul(g), TypeError, /^mul: .*webgpu and cpu/, "mul");
  throwsLike(() => jt.matmul(c, g), TypeError, /^matmul: .*webgpu and cpu/, "matmul");
  throwsLike(() => jt.cat([g, c]), TypeError, /^cat: .*webgpu and cpu/, "cat");
  throwsLike(() => jt.where(c, g, 0), TypeError, /^where: .*webgpu and cpu/, "where");
  // numbers go with either device
  assert.is(g.mul(2).device, "webgpu");
});

it("a device tensor leaves the device only through await read()", async () => {
  const g = tensor([[1, 2], [3, 4]]).to("webgpu");
  throwsLike(() => g.data, Error, /await t\.read\(\)/, "data");
  throwsLike(() => g.toArray(), Error, /await t\.read\(\)/, "toArray");
  throwsLike(() => g.item(), Error, /await t\.read\(\)/, "item");
  throwsLike(() => g.to("cpu"), Error, /await t\.read\(\)/, 'to("cpu")');
  assert.equal(Array.from(await g.read()), [1, 2, 3, 4]);
  assert.equal(g.shape, [2, 2]);
  assert.is(g.numel(), 4);
  assert.match(String(g), /device=webgpu/);
  // shape errors are the CPU's
  throwsLike(() => g.add(tensor([1, 2, 3]).to("webgpu")), RangeError, /add: shapes \[2,2\] and \[3\] cannot be broadcast/, "broadcast");
  throwsLike(() => g.matmul(tensor([1, 2, 3]).to("webgpu")), RangeError, /matmul: inner dimensions differ/, "matmul");
});

it("expand, matmul, cat and stack: the same errors as on the CPU (runtime/shape.ts)", () => {
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
    return "did not throw";
  };
  const shapes = [[2, 3], [3], [1, 3], [4, 1], [2, 2, 3], [0], []];
  const on = (device: "cpu" | "webgpu") => shapes.map((s) => jt.zeros(s).to(device));
  const cases: [string, (t: jt.Tensor[]) => unknown][] = [
    ["expand [2,3] to [3,3]", (t) => t[0].expand(3, 3)],
    ["expand [2,3] to [3]", (t) => t[0].expand([3])],
    ["expand [1,3] to [-1,-1,3]", (t) => t[2].expand(-1, -1, 3)],
    ["expand [4,1] to [4,2.5]", (t) => t[3].expand(4, 2.5)],
    ["matmul [2,3] @ [2,3]", (t) => t[0].matmul(t[0])],
    ["matmul [] @ [3]", (t) => t[6].matmul(t[1])],
    ["matmul batch [2,2,3] @ [4,3,1]", (t) => t[4].matmul(jt.zeros([4, 3, 1]).to(t[0].device))],
    ["cat of a non-array", () => jt.cat({} as never)],
    ["cat of nothing", () => jt.cat([])],
    ["cat with a number", (t) => jt.cat([t[0], 3 as never])],
    ["cat [2,3] and [4,1]", (t) => jt.cat([t[0], t[3]])],
    ["cat of a 0-d tensor", (t) => jt.cat([t[6], t[6]])],
    ["cat dim 2 of [2,3]", (t) => jt.cat([t[0], t[5], t[0]], 2)],
    ["stack [2,3] and [1,3]", (t) => jt.stack([t[0], t[2]])],
    ["stack dim 3 of [2,3]", (t) => jt.stack([t[0], t[0]], 3)],
  ];
  const cpu = on("cpu"), gpu = on("webgpu");
  for (const [what, f] of cases) {
    const want = message(() => f(cpu));
    assert.not.equal(want, "did not throw", what);
    assert.is(message(() => f(gpu)), want, what);
  }
});

it("a lost device: every use says so, and initWebGPU() opens a new one", async () => {
  const g = tensor([1, 2, 3]).to("webgpu");
  const pending = g.exp();
  webgpuExecutor()!.destroy("destroyed by the test");
  throwsLike(() => g.exp(), Error, /exp: the WebGPU device was lost \(destroyed by the test\)/, "an op after the loss");
  try {
    await pending.read();
    assert.unreachable("read after loss resolved");
  } catch (e) {
    assert.match((e as Error).message, /device was lost/);
  }
  await initWebGPU();
  const h = tensor([1, 2, 3]).to("webgpu");
  assert.equal(Array.from(await h.mul(2).read()), [2, 4, 6]);
  throwsLike(() => g.add(1), Error, /device was lost/, "an old tensor on the new device");
});

it("where takes nested booleans as its condition on WebGPU (uploaded)", async () => {
  const g = tensor([1, 2, 3]).to("webgpu");
  assert.equal(Array.from(await jt.where([true, false, true], g, -1).read()), [1, -1, 3]);
});

gpuTest(FILE, "a program gets only its own module's kernels: an op outside them names the op and the kernel", () => {
  // a fresh process, so that no other test has registered every kernel
  const dir = path.join(repoRoot, ".tmp", "tests");
  fs.mkdirSync(dir, { recursive: true });
  const src = `import { grad, tensor, type Tensor } from "jacc";\nexport const g = (x: Tensor) => grad((t: Tensor) => t.exp().sum())(x);\n`;
  const mod = path.join(dir, "wg-only-exp.mjs");
  fs.writeFileSync(mod, compileOrThrow(src, path.join(dir, "wg-only-exp.ts")).code);
  const main = path.join(dir, "wg-only-exp-main.mjs");
  fs.writeFileSync(main, [
    `import { initWebGPU, tensor } from "jacc";`,
    `import { g } from "./wg-only-exp.mjs";`,
    `await initWebGPU();`,
    `const x = tensor([1, 2, 3]).to("webgpu");`,
    `console.log("grad", Array.from(await g(x).read()).map((v) => v.toFixed(4)).join(","));`,
    `try { x.matmul(x); console.log("matmul ran"); } catch (e) { console.log("error:", e.message); }`,
  ].join("\n"));
  const r = spawnSync(process.execPath, [main], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /grad 2\.7183,7\.3891,20\.0855/);
  assert.match(r.stdout, /error: matmul: the WGSL kernel "matmul" was not compiled into this program/);
});

gpuTest(FILE, "before initWebGPU the backend is not loaded, and its entry points say WebGPU is not initialised", () => {
  // a fresh process with a module hook that logs every module of runtime/webgpu/ as Node loads it
  const dir = path.join(repoRoot, ".tmp", "tests");
  fs.mkdirSync(dir, { recursive: true });
  const hook = path.join(dir, "log-webgpu-loads.mjs");
  fs.writeFileSync(hook, `export async function load(url, context, next) { if (/\\/runtime\\/webgpu\\//.test(url)) console.log("loaded", url.replace(/.*\\/runtime\\//, "")); return next(url, context); }\n`);
  const main = path.join(dir, "wg-lazy-main.mjs");
  fs.writeFileSync(main, [
    `import { register } from "node:module";`,
    `register(${JSON.stringify(new URL(`file://${hook}`).href)});`,
    `const jt = await import("jacc/internal");`,
    `const say = (f) => { try { f(); return "no error"; } catch (e) { return e.constructor.name + ": " + e.message; } };`,
    `console.log("executor", String(jt.webgpuExecutor()));`,
    `console.log("gpuRun", say(() => jt.gpuRun("axpy", [], [], [[3]], 3)));`,
    `console.log("vmap", say(() => jt.gpuVmapScalar(null, { label: "vmap(f)", reason: "it recurses" }, [])));`,
    `console.log("on webgpu", String(jt.adOnWebGPU([jt.tensor([1, 2])])));`,
    `console.log("cpu", jt.tensor([1, 2]).exp().sum().item().toFixed(4));`,
    `console.log("init");`,
    `await jt.initWebGPU();`,
    `console.log("executor", typeof jt.webgpuExecutor());`,
    `console.log("read", Array.from(await jt.tensor([1, 2, 3]).to("webgpu").read()).join(","));`,
  ].join("\n"));
  const r = spawnSync(process.execPath, [main], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const [before, after] = r.stdout.split("init\n");
  assert.not.match(before, /loaded/, "no module of runtime/webgpu/ before initWebGPU()");
  assert.match(before, /executor undefined/, r.stdout);
  assert.match(before, /gpuRun Error: axpy: WebGPU is not initialised \(call `await initWebGPU\(\)` first\)/);
  assert.match(before, /vmap TypeError: vmap\(f\): has no WebGPU kernel, so it cannot take WebGPU tensors: it recurses/);
  assert.match(before, /on webgpu false/);
  assert.match(before, /cpu 10\.1073/);
  assert.match(after, /loaded webgpu\/index\.js/);
  assert.match(after, /executor object/);
  assert.match(after, /read 1,2,3/);
});

it("a tensor larger than the device's largest buffer: a RangeError naming the op, the shape and the limit, before any allocation", () => {
  const x = tensor([1, 2, 3], { dtype: "float32" }).to("webgpu");
  const max = webgpuExecutor()!.maxBuffer;
  const rows = Math.ceil(max / 4 / 65536) + 1;
  throwsLike(() => jt.gpuRun("huge_kernel", [], [x], [[rows, 65536]], 0), RangeError, new RegExp(`^huge_kernel: a float32 tensor of shape \\[${rows},65536\\] \\(${rows * 65536 * 4} bytes\\) on WebGPU is more than this device's largest buffer \\(${max} bytes\\)`), "gpuRun");
});

it("gpuRun: a kernel of generated code's own (registered by name) on device tensors", async () => {
  jt.gpuKernels({
    test_axpy: [
      "@group(0) @binding(0) var<storage, read> params: array<u32>;",
      "@group(0) @binding(1) var<storage, read> x: array<f32>;",
      "@group(0) @binding(2) var<storage, read> y: array<f32>;",
      "@group(0) @binding(3) var<storage, read_write> out: array<f32>;",
      "@compute @workgroup_size(64)",
      "fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {",
      "  let i = gid.x + gid.y * nwg.x * 64u;",
      "  if (i >= params[0]) { return; }",
      "  out[i] = bitcast<f32>(params[1]) * x[i] + y[i];",
      "}",
    ].join("\n"),
  });
  const x = tensor([1, 2, 3]).to("webgpu"), y = tensor([10, 20, 30]).to("webgpu");
  const [out] = jt.gpuRun("test_axpy", [3, new Uint32Array(Float32Array.of(2).buffer)[0]], [x, y], [[3]], 3);
  assert.equal(Array.from(await out.read()), [12, 24, 36]);
  throwsLike(() => jt.gpuRun("test_axpy", [3, 0], [tensor([1, 2, 3]), y], [[3]], 3), TypeError, /test_axpy: expected tensors on the webgpu device, got cpu/, "a CPU input");
});

test.run();
