// Variants of the vmapped Lorenz Jacobian kernel on a real GPU (run on the
// `device` machine: node --expose-gc dist/bench/webgpu-kernel-variants.js), to
// choose the layout and launch shape the runtime uses. Each variant is the
// kernel jacc emitted, changed only where named: the output layout (rows
// [B, 9] or aligned columns [9, B]), the workgroup size, and the layout block
// as a uniform instead of read-only storage. The ceilings: compute-shader
// copies (f32 and vec4<f32>) through the same Dawn device. Times are medians of
// batches of back-to-back dispatches. Not a test.
import { initWebGPU, webgpuExecutor, registeredKernels } from "jacc/internal";
import { kernelSource } from "../runtime/kernels.js";
import { compileToFile, importFile } from "./compile.js";

const SOURCE = `import { vmap, jacfwd } from "jacc";
export function lorenz(x: number, y: number, z: number): [number, number, number] {
  return [10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z];
}
export const lorenzJacfwd = vmap(jacfwd(lorenz, { argnums: [0, 1, 2] }));
`;
const STORAGE = 0x0080 | 0x0004 | 0x0008;
const UNIFORM = 0x0040 | 0x0008;

async function main(): Promise<void> {
  const info = await initWebGPU({ powerPreference: "high-performance" }).catch((e: Error) => {
    console.log(`WEBGPU SKIPPED: ${e.message}`);
  });
  if (!info) return;
  console.log(`WebGPU adapter: ${info.adapter}`);
  const ex = webgpuExecutor()!;
  const dev = ex.device;
  await importFile(compileToFile(SOURCE, "variants.ts", "variants").file);
  const name = registeredKernels().find((k) => k.startsWith("vmap_"))!;
  const base = kernelSource(name, "variants");
  const B = Number(process.env.JACC_ROWS ?? 10_000_000);
  const Bp = Math.ceil(B / 64) * 64;

  const buf = (bytes: number, usage = STORAGE) => dev.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage });
  // x, y, z: one buffer each (the kernel binds each input where it lies)
  const inputs = [0, 1, 2].map((k) => {
    const b = buf(B * 4);
    const rnd = new Float32Array(B);
    for (let i = 0; i < B; i++) rnd[i] = Math.sin((i + k * B) * 12.9898) * 20;
    dev.queue.writeBuffer(b, 0, rnd);
    return b;
  });
  const output = buf(9 * Bp * 4);

  async function time(pipeline: unknown, entries: unknown[], groups: number[], inner = 20): Promise<number> {
    const p = pipeline as { getBindGroupLayout(i: number): unknown };
    const bind = dev.createBindGroup({ layout: p.getBindGroupLayout(0), entries: entries.map((resource, binding) => ({ binding, resource })) });
    const run = async (n: number) => {
      const enc = dev.createCommandEncoder();
      for (let i = 0; i < n; i++) {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, 1);
        pass.end();
      }
      dev.queue.submit([enc.finish()]);
      await dev.queue.onSubmittedWorkDone();
    };
    dev.pushErrorScope("validation");
    await run(2);
    const err = await dev.popErrorScope();
    if (err) throw new Error(`variant failed: ${err.message}`);
    const ts: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      await run(inner);
      ts.push((performance.now() - t0) / inner);
    }
    ts.sort((a, b) => a - b);
    return ts[3];
  }
  const pipe = (code: string) => dev.createComputePipeline({ layout: "auto", compute: { module: dev.createShaderModule({ code }), entryPoint: "main" } });
  const grid = (threads: number, wg: number) => {
    const g = Math.ceil(threads / wg);
    const y = Math.ceil(g / 65535);
    return [Math.ceil(g / y), y];
  };

  // ceilings: copies by compute shaders
  const copyBytes = Number(process.env.JACC_COPY_BYTES ?? 1 << 30);
  const src = buf(copyBytes), dst = buf(copyBytes);
  const lines: string[] = [];
  for (const [label, ty, per] of [["f32", "f32", 4], ["vec4<f32>", "vec4<f32>", 16]] as const) {
    const code = `@group(0) @binding(0) var<storage, read> a: array<${ty}>;
@group(0) @binding(1) var<storage, read_write> b: array<${ty}>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = gid.x + gid.y * n.x * 256u;
  if (i < arrayLength(&a)) { b[i] = a[i]; }
}`;
    const t = await time(pipe(code), [{ buffer: src }, { buffer: dst }], grid(copyBytes / per, 256), 10);
    lines.push(`| copy kernel, ${label} | ${copyBytes >> 20} MiB | ${t.toFixed(3)} ms | ${((2 * copyBytes) / (t * 1e-3) / 1e9).toFixed(0)} GB/s |`);
  }
  src.destroy(), dst.destroy();

  const bytes = 48 * B;
  for (const wg of [64, 128, 256]) {
    for (const uniform of [false, true]) {
      let code = base.replaceAll("@workgroup_size(64)", `@workgroup_size(${wg})`).replaceAll("groups.x * 64u", `groups.x * ${wg}u`);
      if (uniform) code = code.replace("var<storage, read> jacc_layout", "var<uniform> jacc_layout");
      const p = pipe(code);
      for (const columns of [false, true]) {
        const meta = new Uint32Array(16);
        meta.set(columns ? [B, 0, 1, Bp] : [B, 0, 9, 1]);
        meta.set([0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0], 4);
        const m = buf(64, uniform ? UNIFORM : STORAGE);
        dev.queue.writeBuffer(m, 0, meta);
        const t = await time(p, [{ buffer: m }, ...inputs.map((buffer) => ({ buffer })), { buffer: output }], grid(B, wg));
        lines.push(`| Lorenz jacfwd kernel, workgroup ${wg}, layout ${uniform ? "uniform" : "storage"}, outputs ${columns ? "columns [9, B]" : "rows [B, 9]"} | ${B.toExponential(0)} rows | ${t.toFixed(3)} ms | ${(bytes / (t * 1e-3) / 1e9).toFixed(0)} GB/s |`);
      }
    }
  }
  console.log("| variant | size | time | GB/s (bytes read + written) |\n| --- | --- | --- | --- |");
  for (const l of lines) console.log(l);
}

await main();
