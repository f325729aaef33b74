// WebGPU figures (npm run bench:webgpu): the same compiled programs on the CPU
// (float32) and on WebGPU, the device's result read back with `await read()`.
// On a machine without a GPU Dawn runs on SwiftShader, a CPU Vulkan driver, so
// the ratio says what the WebGPU path costs there, not what a GPU gives.
// Also: dispatches and submissions per call (batched into one command buffer),
// with the fused elementwise chains (one kernel per chain) and without them
// (the module compiled with paths { fuse: false }: one kernel per op). Not a test: it
// prints and exits 0.
import fs from "node:fs";
import { initWebGPU, randn, webgpuExecutor, type Tensor } from "jacc/internal";
import { compileToFile, importFile } from "./compile.js";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
process.env.XDG_RUNTIME_DIR ??= "/tmp";

const SOURCE = `import { jacrev, grad, vjp, jvp, type Tensor } from "jacc";
export const mlpJac = (W1: Tensor, b1: Tensor, W2: Tensor) => jacrev((x: Tensor) => W2.matmul(W1.matmul(x).add(b1).tanh()));
export const bigGrad = grad((x: Tensor) => x.sin().mul(x).exp().sum());
export const matmulGrad = grad((a: Tensor, b: Tensor) => a.matmul(b).tanh().sum());
export const chainGrad = grad((x: Tensor, y: Tensor) => x.exp().mul(2).add(y.mul(3)).tanh().sum(), { argnums: [0, 1] });
const chainF = (x: Tensor, y: Tensor) => x.exp().mul(2).sin().add(y.mul(y).sigmoid()).div(3).neg().sqrt().abs();
export const chain = (x: Tensor, y: Tensor) => vjp(chainF, [x, y])[0];
export const sinExpTanhJvp = (x: Tensor, dx: Tensor) => jvp((a: Tensor) => a.sin().mul(a.exp()).tanh(), [x], [dx]);
`;

async function timeAsync(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

async function main(): Promise<void> {
  try {
    const info = await initWebGPU();
    console.log(`WebGPU adapter: ${info.adapter}`);
  } catch (e) {
    console.log(`WEBGPU SKIPPED: ${(e as Error).message}`);
    return;
  }
  const c = compileToFile(SOURCE, "webgpu-bench.ts", "webgpu-bench");
  const m = await importFile(c.file);
  const cOff = compileToFile(SOURCE, "webgpu-bench.ts", "webgpu-bench-unfused", "", { fuse: false });
  const mOff = await importFile(cOff.file);
  const ex = webgpuExecutor()!;
  const f32 = (shape: number[], seed: number) => randn(shape, { seed });
  const gpu = (t: Tensor) => t.to("webgpu");
  const [W1, b1, W2, x] = [f32([128, 64], 1), f32([128], 2), f32([16, 128], 3), f32([64], 4)];
  const big = f32([1 << 20], 5);
  const [A, B] = [f32([256, 256], 6), f32([256, 256], 7)];
  const big2 = f32([1 << 20], 8);
  const read = async (r: unknown) => Promise.all((Array.isArray(r) ? r : [r]).map((t: Tensor) => t.read()));
  const data = (r: unknown) => (Array.isArray(r) ? r : [r]).map((t: Tensor) => t.data);
  // each subject runs the module `k` (fused or not) on CPU tensors or on WebGPU copies
  const subjects: [string, (k: any, on: (t: Tensor) => Tensor) => unknown][] = [
    ["MLP 64→128→16, jacrev (structured: all 64 columns at once)", (k, on) => k.mlpJac(on(W1), on(b1), on(W2))(on(x))],
    ["grad of sum(exp(sin(x)·x)), 1M elements", (k, on) => k.bigGrad(on(big))],
    ["grad of sum(tanh(A@B)) wrt A, 256×256", (k, on) => k.matmulGrad(on(A), on(B))],
    ["grad of sum(tanh(2·exp(x) + 3y)) wrt x and y, 1M elements", (k, on) => k.chainGrad(on(big), on(big2))],
    ["abs(sqrt(−(sin(2·exp(x)) + sigmoid(y²)) / 3)), 1M elements (10 ops)", (k, on) => k.chain(on(big), on(big2))],
    ["jvp of tanh(sin(x)·exp(x)), 1M elements (primal and tangent: 13 ops, one region)", (k, on) => k.sinExpTanhJvp(on(big), on(big2))],
  ];
  const cpuT = (t: Tensor) => t;
  const dispatches = async (k: any, f: (typeof subjects)[number][1]) => {
    const before = { ...ex.stats };
    await read(f(k, gpu));
    return `${ex.stats.dispatches - before.dispatches} / ${ex.stats.submits - before.submits}`;
  };
  console.log("| program | CPU float32 | WebGPU, fused chains | WebGPU, one kernel per op | fused ÷ CPU | dispatches / submissions per call, fused | … one kernel per op |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const [name, f] of subjects) {
    const tc = await timeAsync(async () => data(f(m, cpuT)), 5);
    const [dOn, dOff] = [await dispatches(m, f), await dispatches(mOff, f)];
    const tg = await timeAsync(() => read(f(m, gpu)), 5);
    const tOff = await timeAsync(() => read(f(mOff, gpu)), 5);
    console.log(`| ${name} | ${tc.toFixed(2)} ms | ${tg.toFixed(2)} ms | ${tOff.toFixed(2)} ms | ${(tg / tc).toFixed(1)}× | ${dOn} | ${dOff} |`);
  }
  console.log(`pipelines compiled: ${ex.stats.pipelinesCreated}; buffers created: ${ex.stats.buffersCreated}`);
  // the CPU's fused loops against the ops one by one (float64, the same modules)
  const [x64, dx64] = [randn([1 << 20], { seed: 9, dtype: "float64" }), randn([1 << 20], { seed: 10, dtype: "float64" })];
  const cpuOn = await timeAsync(async () => m.sinExpTanhJvp(x64, dx64), 9);
  const cpuOff = await timeAsync(async () => mOff.sinExpTanhJvp(x64, dx64), 9);
  console.log(`CPU float64, jvp of tanh(sin(x)·exp(x)), 1M elements: fused region ${cpuOn.toFixed(2)} ms, op by op ${cpuOff.toFixed(2)} ms (${(cpuOff / cpuOn).toFixed(1)}× faster fused)`);
}

await main();
