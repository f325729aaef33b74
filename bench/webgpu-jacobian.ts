// Tensor Jacobians with WebGPU inputs (npm run bench:webgpu-jacobian): each
// program compiled twice, with structured Jacobians (the default) and with
// paths { structured: false } (one forward / reverse sweep per element, what every
// WebGPU Jacobian ran before runtime/webgpu/jac.ts), timed per call, with the
// dispatches and the device buffers created per call (buffers return to the
// pool only when garbage collection finalises their tensors: run with
// --expose-gc to see both with and without a gc() between calls). Every
// result is checked against the CPU's. JACC_BENCH_N sets n (default 256),
// JACC_BENCH_PATHS the paths (default structured,sweeps).
// Not a test: it prints a Markdown table and exits 0.
import { initWebGPU, randn, webgpuExecutor, type Tensor } from "jacc/internal";
import { compileToFile, importFile } from "./compile.js";

const SOURCE = `import { jacfwd, jacrev, logSoftmax, type Tensor } from "jacc";
export const tanhFwd = (W: Tensor, x: Tensor) => jacfwd((x: Tensor) => W.matmul(x).tanh())(x);
export const tanhRev = (W: Tensor, x: Tensor) => jacrev((x: Tensor) => W.matmul(x).tanh())(x);
export const sinExpRev = (W: Tensor, x: Tensor) => jacrev((x: Tensor) => x.sin().mul(x.exp()))(x);
export const mlpRev = (W: Tensor, x: Tensor) => jacrev((x: Tensor) => W.matmul(W.matmul(x).relu()).tanh())(x);
export const logSoftmaxFwd = (W: Tensor, x: Tensor) => jacfwd((x: Tensor) => logSoftmax(x, 0))(x);
`;

type Fn = (W: Tensor, x: Tensor) => Tensor;
type Ex = NonNullable<ReturnType<typeof webgpuExecutor>>;
const gc = (globalThis as { gc?: () => void }).gc;

async function settle(ex: Ex): Promise<void> {
  ex.flush();
  await ex.device.queue.onSubmittedWorkDone();
}

async function compile(sweep: boolean): Promise<Record<string, Fn>> {
  const c = compileToFile(SOURCE, "webgpu-jacobian.ts", sweep ? "webgpu-jacobian-sweep" : "webgpu-jacobian", "", sweep ? { structured: false } : undefined);
  return await importFile(c.file);
}

async function main(): Promise<void> {
  let info;
  try {
    info = await initWebGPU({ powerPreference: "high-performance" });
  } catch (e) {
    console.log(`WEBGPU SKIPPED: ${(e as Error).message}`);
    return;
  }
  const ex = webgpuExecutor()!;
  // bytes of the device buffers created (pool misses), counted around the executor's buffer creation
  let bytes = 0;
  const exAny = ex as unknown as { create(b: number): unknown };
  const create = exAny.create.bind(ex);
  exAny.create = (b: number) => ((bytes += b), create(b));
  // bytes of the buffers taken (from the pool or new): what a call holds until its tensors are collected
  let taken = 0;
  const alloc = ex.alloc.bind(ex);
  ex.alloc = (op: string, b: number) => ((taken += b), alloc(op, b));
  const n = Number(process.env.JACC_BENCH_N ?? 256);
  const paths = (process.env.JACC_BENCH_PATHS ?? "structured,sweeps").split(",");
  console.log(`WebGPU adapter: ${info.adapter}; n = ${n}; gc between calls: ${gc ? "yes" : "no (run with --expose-gc)"}`);
  const W = randn([n, n], { seed: 7 }).mul(1 / Math.sqrt(n)), x = randn([n], { seed: 8 });
  const gW = W.to("webgpu"), gx = x.to("webgpu");
  const structured = await compile(false), sweeps = await compile(true);
  console.log("| program | path | ms per call | dispatches per call | MiB taken per call | buffers created, 1st call | buffers (MiB) created, next 2 calls, no gc | max abs error vs CPU |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const name of Object.keys(structured)) {
    const want = structured[name](W, x).data;
    for (const [path, m] of [["structured", structured], ["sweeps", sweeps]] as const) {
      if (!paths.includes(path)) continue;
      const f = m[name];
      gc?.();
      const b0 = ex.stats.buffersCreated, t0 = taken;
      const got = await f(gW, gx).read();
      const first = ex.stats.buffersCreated - b0, mib = (taken - t0) / 2 ** 20;
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
      // buffers made while nothing is collected: what a loop of calls holds without GC pressure
      const b1 = ex.stats.buffersCreated, y1 = bytes;
      for (let r = 0; r < 2; r++) f(gW, gx);
      await settle(ex);
      const held = `${ex.stats.buffersCreated - b1} (${((bytes - y1) / 2 ** 20).toFixed(1)})`;
      const ts: number[] = [];
      const d0 = ex.stats.dispatches;
      const reps = path === "sweeps" ? 1 : 3; // SwiftShader runs a sweep's matmul slowly
      for (let r = 0; r < reps; r++) {
        gc?.();
        await new Promise((ok) => setTimeout(ok, 0));
        const t0 = performance.now();
        f(gW, gx);
        await settle(ex);
        ts.push(performance.now() - t0);
      }
      ts.sort((a, b) => a - b);
      const perCall = (ex.stats.dispatches - d0) / reps;
      console.log(`| ${name} | ${path} | ${ts[ts.length >> 1].toFixed(1)} | ${perCall} | ${mib.toFixed(1)} | ${first} | ${held} | ${err.toExponential(1)} |`);
    }
  }
}

await main();
