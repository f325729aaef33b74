// Test helper: a Dawn WebGPU device in Node (the `webgpu` package), on
// SwiftShader when there is no GPU (SPEC's "WebGPU without a GPU"), and a
// runner for the scalar kernels of compiler/emit/wgsl/scalar-kernel.ts.
import fs from "node:fs";
import { dispatchSize, packInputs, type ScalarKernel } from "./scalar-kernel.js";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

// Dawn's instance must stay reachable for the life of the process (else it is
// freed under running callbacks and the process dies): module variables.
let instance: any;
let devicePromise: Promise<{ device?: any; reason?: string }> | undefined;

/** The shared device, or why there is none. */
export function gpuDevice(): Promise<{ device?: any; reason?: string }> {
  devicePromise ??= (async () => {
    try {
      if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
      process.env.XDG_RUNTIME_DIR ??= "/tmp";
      const { create, globals } = await import("webgpu");
      Object.assign(globalThis, globals);
      instance = create([]);
      const adapter = await instance.requestAdapter();
      if (!adapter) return { reason: "requestAdapter() gave no adapter" };
      const device = await adapter.requestDevice({
        requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
      });
      return { device };
    } catch (err) {
      return { reason: `no WebGPU: ${(err as Error).message}` };
    }
  })();
  return devicePromise;
}

/** Dawn's verdict on a shader: "" when it compiles (module and compute pipeline), else the messages. */
export async function shaderErrors(device: any, code: string, entryPoint = "main"): Promise<string> {
  device.pushErrorScope("validation");
  const mod = device.createShaderModule({ code });
  const info = await mod.getCompilationInfo();
  const errs = info.messages.filter((m: any) => m.type === "error").map((m: any) => `${m.lineNum}:${m.linePos} ${m.message}`);
  if (!errs.length) device.createComputePipeline({ layout: "auto", compute: { module: mod, entryPoint } });
  const e = await device.popErrorScope();
  if (errs.length) return errs.join("\n");
  return e ? e.message : "";
}

const pipelines = new Map<string, any>();

/** Runs a kernel over `rows` rows: args in the default layout (batched: rows·length values; unbatched: length). */
export async function runKernel(device: any, kernel: ScalarKernel, rows: number, args: ArrayLike<number>[], batched?: boolean[]): Promise<Float32Array> {
  const sig = kernel.signature;
  let pipe = pipelines.get(kernel.code);
  if (!pipe) {
    const errs = await shaderErrors(device, kernel.code, sig.entryPoint);
    if (errs) throw new Error(`WGSL does not compile:\n${errs}\n${kernel.code}`);
    const mod = device.createShaderModule({ code: kernel.code });
    pipe = device.createComputePipeline({ layout: "auto", compute: { module: mod, entryPoint: sig.entryPoint } });
    pipelines.set(kernel.code, pipe);
  }
  const { input, uniform } = packInputs(sig, rows, args, batched);
  const G = (globalThis as any).GPUBufferUsage;
  const M = (globalThis as any).GPUMapMode;
  const ub = device.createBuffer({ size: uniform.byteLength, usage: G.UNIFORM | G.COPY_DST });
  device.queue.writeBuffer(ub, 0, uniform);
  const ib = device.createBuffer({ size: Math.max(16, input.byteLength), usage: G.STORAGE | G.COPY_DST });
  device.queue.writeBuffer(ib, 0, input);
  const outBytes = Math.max(16, rows * sig.rowWidth * 4);
  const ob = device.createBuffer({ size: outBytes, usage: G.STORAGE | G.COPY_SRC });
  const rb = device.createBuffer({ size: outBytes, usage: G.MAP_READ | G.COPY_DST });
  const bg = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: ub } },
      { binding: 1, resource: { buffer: ib } },
      { binding: 2, resource: { buffer: ob } },
    ],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, bg);
  const [x, y] = dispatchSize(sig, rows);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  enc.copyBufferToBuffer(ob, 0, rb, 0, outBytes);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(M.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0, rows * sig.rowWidth * 4));
  rb.unmap();
  for (const b of [ub, ib, ob, rb]) b.destroy();
  return out;
}
