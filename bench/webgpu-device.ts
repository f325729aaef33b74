// GPU figures for issue 5 (npm run bench:webgpu-device): run on a machine with a
// real GPU (Dawn on the GPU's Vulkan driver), not on SwiftShader. It prints:
//  - the ceiling: a large device-to-device copy through the same WebGPU stack;
//  - vmap(jacfwd(lorenz)) and vmap(jacrev(lorenz)) for B = 10⁶ and 10⁷: the whole
//    call (inputs and results stay on the device: encoding, a fresh output
//    buffer, the kernel), with the bytes a row must move (3 floats in, 9 out)
//    over the time, as a fraction of the copy ceiling (the kernel alone:
//    bench/webgpu-kernel-variants.ts);
//  - the Jacobian of tanh(W x) for n = 4096 (jacfwd, jacrev).
// Every figure is checked against a closed form read back from the device first.
// With JACC_TORCH_JSON=<bench/torch_gpu.py's JSON from the same machine> it adds
// ÷ PyTorch (CUDA) and takes PyTorch's device copy as the bandwidth ceiling.
// Not a test: it prints and exits 0; with JACC_BENCH_JSON=<file> it also writes JSON.
import fs from "node:fs";
import { initWebGPU, randn, webgpuExecutor, type Tensor } from "jacc/internal";
import { compileToFile, importFile } from "./compile.js";

const SOURCE = `import { vmap, jacfwd, jacrev, type Tensor } from "jacc";
export function lorenz(x: number, y: number, z: number): [number, number, number] {
  return [10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z];
}
export const lorenzJacfwd = vmap(jacfwd(lorenz, { argnums: [0, 1, 2] }));
export const lorenzJacrev = vmap(jacrev(lorenz, { argnums: [0, 1, 2] }));
export const tanhJacfwd = (W: Tensor) => jacfwd((x: Tensor) => W.matmul(x).tanh());
export const tanhJacrev = (W: Tensor) => jacrev((x: Tensor) => W.matmul(x).tanh());
`;

type Ex = NonNullable<ReturnType<typeof webgpuExecutor>>;
const results: Record<string, unknown>[] = [];
const small = !!process.env.JACC_BENCH_SMALL; // a smoke run on SwiftShader

async function settle(ex: Ex): Promise<void> {
  ex.flush();
  await ex.device.queue.onSubmittedWorkDone();
}

/** Median milliseconds per call over `reps` timed batches of `inner` calls, all on the device. */
async function timeDevice(ex: Ex, fn: () => unknown, reps: number, inner: number): Promise<number> {
  fn();
  await settle(ex);
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    (globalThis as { gc?: () => void }).gc?.(); // results of earlier calls go back to the pool
    await new Promise((ok) => setTimeout(ok, 0));
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    await settle(ex);
    ts.push((performance.now() - t0) / inner);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function maxRelErr(got: Float32Array, want: (i: number) => number, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const w = want(i);
    const e = Math.abs(got[i] - w) / Math.max(1, Math.abs(w));
    if (!(e <= worst)) worst = e; // NaN counts as worst
  }
  return worst;
}

async function main(): Promise<void> {
  let info;
  try {
    info = await initWebGPU({ powerPreference: "high-performance" });
  } catch (e) {
    console.log(`WEBGPU SKIPPED: ${(e as Error).message}`);
    return;
  }
  console.log(`WebGPU adapter: ${info.adapter}`);
  const ex = webgpuExecutor()!;
  const lim = ex.device.limits;
  console.log(`limits: maxStorageBufferBindingSize ${lim.maxStorageBufferBindingSize}, maxBufferSize ${lim.maxBufferSize}`);
  const c = compileToFile(SOURCE, "webgpu-device.ts", "webgpu-device");
  const m = await importFile(c.file);

  // the ceiling: copyBufferToBuffer of 1 GiB, counting bytes read and written
  const copyBytes = small ? 1 << 20 : 1 << 30;
  const a = ex.alloc("copy", copyBytes), b = ex.alloc("copy", copyBytes);
  const tCopy = await timeDevice(ex, () => ex.copy("copy", a, 0, b, 0, copyBytes), 5, 10);
  const webgpuCopy = (2 * copyBytes) / (tCopy * 1e-3) / 1e9;
  console.log(`WebGPU copyBufferToBuffer of ${copyBytes >> 20} MiB: ${tCopy.toFixed(3)} ms, ${webgpuCopy.toFixed(0)} GB/s (read + write)`);
  const torch = process.env.JACC_TORCH_JSON && fs.existsSync(process.env.JACC_TORCH_JSON) ? JSON.parse(fs.readFileSync(process.env.JACC_TORCH_JSON, "utf8")) : undefined;
  const ceiling: number = torch?.copyGBs ?? webgpuCopy;
  console.log(`ceiling: ${ceiling.toFixed(0)} GB/s (${torch ? "PyTorch's device copy on this GPU" : "the WebGPU copy"})`);
  const torchBest = (prefix: string, key: "B" | "n", v: number): number | undefined => {
    const ms = (torch?.rows ?? []).filter((r: Record<string, unknown>) => String(r.what).startsWith(prefix) && !String(r.what).includes("closed") && r[key] === v).map((r: { ms: number }) => r.ms);
    return ms.length ? Math.min(...ms) : undefined;
  };
  const vsTorch = (ms: number, best: number | undefined) => (best === undefined ? "–" : ms <= best ? `${(best / ms).toFixed(1)}× faster` : `${(ms / best).toFixed(1)}× slower`);
  ex.release(a), ex.release(b);
  results.push({ what: "webgpu copy", ms: tCopy, GBs: webgpuCopy, ceilingGBs: ceiling });

  console.log("| program | B | whole call | GB/s (48 B/row) | % of ceiling | ÷ PyTorch best | max rel. error |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const B of small ? [10_000] : [1_000_000, 10_000_000]) {
    const [x, y, z] = [1, 2, 3].map((s) => randn([B], { seed: s }));
    const [gx, gy, gz] = [x, y, z].map((t) => t.to("webgpu"));
    const [xs, ys, zs] = [x, y, z].map((t) => t.data as Float32Array);
    // closed form: [[-10, 10, 0], [28 - z, -1, -x], [y, x, -8/3]]
    const closed: ((i: number) => number)[][] = [
      [() => -10, () => 10, () => 0],
      [(i) => 28 - zs[i], () => -1, (i) => -xs[i]],
      [(i) => ys[i], (i) => xs[i], () => -8 / 3],
    ];
    for (const name of ["lorenzJacfwd", "lorenzJacrev"]) {
      const f = m[name] as (...a: Tensor[]) => Tensor[][];
      const J = f(gx, gy, gz);
      let err = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) err = Math.max(err, maxRelErr((await J[i][j].read()) as Float32Array, closed[i][j], B));
      const inner = B >= 10_000_000 ? 20 : 100;
      const tCall = await timeDevice(ex, () => f(gx, gy, gz), 5, inner);
      const GBs = (48 * B) / (tCall * 1e-3) / 1e9;
      console.log(`| vmap(${name.slice(6).toLowerCase()}(lorenz)) | ${B.toExponential(0)} | ${tCall.toFixed(3)} ms | ${GBs.toFixed(0)} | ${((100 * GBs) / ceiling).toFixed(0)}% | ${vsTorch(tCall, torchBest("lorenz", "B", B))} | ${err.toExponential(1)} |`);
      results.push({ what: name, B, callMs: tCall, GBs, pctCeiling: (100 * GBs) / ceiling, maxRelErr: err });
    }
  }

  const n = small ? 64 : 4096;
  const W = randn([n, n], { seed: 7 }).mul(1 / Math.sqrt(n));
  const xv = randn([n], { seed: 8 });
  const gW = W.to("webgpu"), gx = xv.to("webgpu");
  // closed form: diag(1 - tanh²(W x)) W
  const h = W.matmul(xv).tanh().data as Float32Array;
  const Wd = W.data as Float32Array;
  for (const name of ["tanhJacfwd", "tanhJacrev"]) {
    try {
      const f = (m[name] as (W: Tensor) => (x: Tensor) => Tensor)(gW);
      const t0 = performance.now();
      const Jg = f(gx);
      await settle(ex);
      const first = performance.now() - t0;
      const got = (await Jg.read()) as Float32Array;
      let err = 0;
      for (let i = 0; i < n; i += 97) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(got[i * n + j] - (1 - h[i] * h[i]) * Wd[i * n + j]));
      const d0 = ex.stats.dispatches;
      const t = await timeDevice(ex, () => f(gx), 3, 1);
      const perCall = (ex.stats.dispatches - d0) / 4;
      console.log(`| tanh(W x) n=${n} ${name.slice(4)} | first call ${first.toFixed(1)} ms | ${t.toFixed(2)} ms | ${vsTorch(t, torchBest("tanh", "n", n))} | dispatches per call ${perCall} | max abs error ${err.toExponential(1)} |`);
      results.push({ what: name, n, ms: t, firstMs: first, dispatches: perCall, maxAbsErr: err });
    } catch (e) {
      console.log(`| tanh(W x) n=${n} ${name.slice(4)} | FAILED: ${(e as Error).message.split("\n")[0]} |`);
      results.push({ what: name, n, failed: (e as Error).message.slice(0, 500) });
    }
  }
  if (process.env.JACC_BENCH_JSON) fs.writeFileSync(process.env.JACC_BENCH_JSON, JSON.stringify({ adapter: info.adapter, results }, null, 1));
}

await main();
