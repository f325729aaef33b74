// The WebGPU backend, loaded by initWebGPU() (runtime/gpu.ts) with a dynamic
// import so that a program that never opens a device neither downloads nor
// parses it. openWebGPU() finds a WebGPU implementation (navigator.gpu in a
// browser, the `webgpu` package's Dawn bindings in Node), opens a device and
// registers the backend with the core runtime, after which `t.to("webgpu")`
// works and ops on WebGPU tensors run the WGSL kernels compiled into the program.

import { backend } from "../device.js";
import { Tensor } from "../tensor.js";
import { Executor, grid } from "./executor.js";
import { gpuOpsTable } from "./ops.js";
import { gpuAd } from "./ad.js";
import { gpuFusedTable } from "./fused.js";
import { gpuJac } from "./jac.js";
import { gpuMatmulBack } from "./matmul-back.js";
import { gpuScans } from "./scans.js";
import { gpuMoves } from "./moves.js";
import { gpuScatter } from "./scatter.js";
import { binding, emptyOn, uploadTensor, WebGPUTensor } from "./tensor.js";
import type { WebGPUInfo, WebGPUOptions } from "../gpu.js";

export { gpuVmapScalar } from "./vmap.js";

/** The Dawn instance in Node: it must stay reachable for the life of the process (Dawn frees itself otherwise). */
let dawn: unknown;
let current: Executor | undefined;
let pending: Promise<WebGPUInfo> | undefined;

async function findGpu(): Promise<{ requestAdapter(opts?: unknown): Promise<unknown> }> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return nav.gpu as never;
  if (dawn) return dawn as never;
  const isNode = typeof process !== "undefined" && !!(process as { versions?: { node?: string } }).versions?.node;
  if (!isNode) throw new Error("initWebGPU: this environment has no WebGPU (navigator.gpu is undefined)");
  let mod: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    // a variable, left to Node at run time: bundlers must not pull Dawn into browser bundles (the comments keep Vite and webpack/Rspack from warning)
    const name = "webgpu";
    mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as never;
  } catch (err) {
    throw new Error(`initWebGPU: no WebGPU in this Node: navigator.gpu is undefined and the "webgpu" package (Dawn) could not be loaded (npm i webgpu): ${(err as Error).message}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  dawn = mod.create([]);
  return dawn as never;
}

/** initWebGPU() once the backend is loaded. */
export function openWebGPU(options: WebGPUOptions = {}): Promise<WebGPUInfo> {
  if (current && current.lost === null && !options.gpu) return Promise.resolve({ device: "webgpu", adapter: current.adapterInfo });
  if (pending && !options.gpu) return pending;
  const p = (async (): Promise<WebGPUInfo> => {
    const gpu = options.gpu ?? (await findGpu());
    const adapter = (await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined)) as any;
    if (!adapter) {
      throw new Error(
        "initWebGPU: no WebGPU adapter is available (requestAdapter() returned null). In Node without a GPU, Dawn can run on " +
          "SwiftShader: set VK_ICD_FILENAMES to SwiftShader's Vulkan ICD (e.g. /usr/lib/chromium/vk_swiftshader_icd.json)",
      );
    }
    // the adapter's own limits for buffer sizes (the defaults stop at 128 MiB per binding)
    const lim = adapter.limits ?? {};
    const requiredLimits: Record<string, number> = {};
    for (const k of ["maxStorageBufferBindingSize", "maxBufferSize"]) if (typeof lim[k] === "number") requiredLimits[k] = lim[k];
    const device = await adapter.requestDevice({ requiredLimits });
    const info = adapter.info ?? {};
    const name = [info.vendor, info.architecture, info.description].filter((s: unknown) => typeof s === "string" && s).join(" ") || "unknown adapter";
    current = new Executor(device, name);
    backend.current = backendFor();
    return { device: "webgpu", adapter: name };
  })();
  if (!options.gpu) {
    pending = p;
    const done = () => void (pending = undefined);
    p.then(done, done);
  }
  return p;
}

function backendFor(): typeof backend.current {
  return {
    call(name, args) {
      const f = gpuOpsTable()[name] ?? gpuAd[name] ?? gpuFusedTable[name] ?? gpuJac[name] ?? gpuMatmulBack[name] ?? gpuScans[name] ?? gpuMoves[name] ?? gpuScatter[name];
      if (!f) throw new Error(`${name}: not available on WebGPU yet`);
      return f(...Array.from(args));
    },
    upload(t) {
      if (!current) throw new Error('to: WebGPU is not initialised (call `await initWebGPU()` first)');
      return uploadTensor(current, t as Tensor);
    },
  };
}

/** The executor of the open device (tests and benchmarks: stats, kernels used, flush). */
export function webgpuExecutor(): Executor | undefined {
  return current;
}

/** gpuRun() (runtime/gpu.ts) once the backend is loaded. */
export function gpuRun(kernel: string, params: ArrayLike<number>, inputs: readonly Tensor[], outputs: readonly (readonly number[])[], threads: number, workgroupSize = 64): Tensor[] {
  const ex = devicesOf(kernel, inputs);
  const outs = outputs.map((shape) => emptyOn(ex, kernel, shape));
  if (threads > 0) {
    ex.dispatch(kernel, kernel, Uint32Array.from(params), [...inputs.map((t) => binding(t as WebGPUTensor)), ...outs.map(binding)], grid(threads, workgroupSize));
  }
  return outs;
}

function devicesOf(op: string, inputs: readonly Tensor[]): Executor {
  if (!current) throw new Error(`${op}: WebGPU is not initialised (call \`await initWebGPU()\` first)`);
  for (const t of inputs) {
    if (!(t instanceof WebGPUTensor)) throw new TypeError(`${op}: expected tensors on the webgpu device, got ${t instanceof Tensor ? t.device : typeof t}`);
    if (t.executor !== current) throw new Error(`${op}: a tensor comes from an earlier WebGPU device (lost or replaced)`);
  }
  current.check(op);
  return current;
}
