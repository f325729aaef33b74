// WebGPU figures (npm run bench:webgpu): the same compiled programs on the CPU
// (float32) and on WebGPU, the device's result read back with `await read()`.
// On a machine without a GPU Dawn runs on SwiftShader, a CPU Vulkan driver, so
// the ratio says what the WebGPU path costs there, not what a GPU gives.
// Also: dispatches and submissions per call (one kernel per op, batched into
// one command buffer). Not a test: it prints and exits 0.
import fs from "node:fs";
import { initWebGPU, randn, webgpuExecutor, type Tensor } from "jacc";
import { compileToFile, importFile } from "./compile.js";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
process.env.XDG_RUNTIME_DIR ??= "/tmp";

const SOURCE = `import { jacrev, grad, type Tensor } from "jacc";
export const mlpJac = (W1: Tensor, b1: Tensor, W2: Tensor) => jacrev((x: Tensor) => W2.matmul(W1.matmul(x).add(b1).tanh()));
export const bigGrad = grad((x: Tensor) => x.sin().mul(x).exp().sum());
export const matmulGrad = grad((a: Tensor, b: Tensor) => a.matmul(b).tanh().sum());
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
  const ex = webgpuExecutor()!;
  const f32 = (shape: number[], seed: number) => randn(shape, { seed });
  const gpu = (t: Tensor) => t.to("webgpu");
  const [W1, b1, W2, x] = [f32([128, 64], 1), f32([128], 2), f32([16, 128], 3), f32([64], 4)];
  const big = f32([1 << 20], 5);
  const [A, B] = [f32([256, 256], 6), f32([256, 256], 7)];
  const subjects: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ["MLP 64→128→16, jacrev (16 reverse sweeps)", async () => m.mlpJac(W1, b1, W2)(x).data, async () => m.mlpJac(gpu(W1), gpu(b1), gpu(W2))(gpu(x)).read()],
    ["grad of sum(exp(sin(x)·x)), 1M elements", async () => m.bigGrad(big).data, async () => m.bigGrad(gpu(big)).read()],
    ["grad of sum(tanh(A@B)) wrt A, 256×256", async () => m.matmulGrad(A, B).data, async () => m.matmulGrad(gpu(A), gpu(B)).read()],
  ];
  console.log("| program | CPU float32 | WebGPU (with upload and read-back) | WebGPU ÷ CPU | dispatches / submissions per call |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, cpu, dev] of subjects) {
    const tc = await timeAsync(cpu, 5);
    const before = { ...ex.stats };
    await dev();
    const d = ex.stats.dispatches - before.dispatches, s = ex.stats.submits - before.submits;
    const tg = await timeAsync(dev, 5);
    console.log(`| ${name} | ${tc.toFixed(2)} ms | ${tg.toFixed(2)} ms | ${(tg / tc).toFixed(1)}× | ${d} / ${s} |`);
  }
  console.log(`pipelines compiled: ${ex.stats.pipelinesCreated}; buffers created: ${ex.stats.buffersCreated}`);
}

await main();
