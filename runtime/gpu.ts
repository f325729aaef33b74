// What the core runtime exports about WebGPU, without the backend itself: the
// backend (runtime/webgpu/) is loaded by initWebGPU() with a dynamic import, so
// a program that stays on the CPU neither downloads nor parses it (a bundler
// puts it in a chunk of its own). Before initWebGPU() resolves no WebGPU
// tensor can exist, so the forwarders below only ever report that WebGPU is
// not initialised.
import { Tensor } from "./tensor.js";
import type { Executor } from "./webgpu/executor.js";
import type { VmapKernelMeta } from "./webgpu/vmap.js";

export { gpuKernels, registeredKernels } from "./kernels.js";

export interface WebGPUOptions {
  /** A `GPU` object to use instead of navigator.gpu / the `webgpu` package (tests). */
  gpu?: { requestAdapter(opts?: unknown): Promise<unknown> };
  powerPreference?: "low-power" | "high-performance";
}

export interface WebGPUInfo {
  device: "webgpu";
  /** The adapter's vendor / architecture / description, where it says. */
  adapter: string;
}

type Backend = typeof import("./webgpu/index.js");
let loaded: Backend | undefined;
let loading: Promise<Backend> | undefined;

const notInitialised = (op: string) => new Error(`${op}: WebGPU is not initialised (call \`await initWebGPU()\` first)`);

/**
 * Opens the WebGPU device (loading the backend on the first call). Resolves
 * once the device is ready (again after a device loss, with a new device);
 * rejects when there is no WebGPU or no adapter.
 */
export async function initWebGPU(options: WebGPUOptions = {}): Promise<WebGPUInfo> {
  if (!loaded) {
    loading ??= import("./webgpu/index.js").finally(() => (loading = undefined));
    loaded = await loading;
  }
  return loaded.openWebGPU(options);
}

/** The executor of the open device (tests and benchmarks: stats, kernels used, flush). */
export function webgpuExecutor(): Executor | undefined {
  return loaded?.webgpuExecutor();
}

/**
 * Runs a registered kernel (gpuKernels) on WebGPU tensors, for generated code
 * with kernels of its own (a vmapped scalar program, a fused chain): binding 0
 * holds `params` (u32; floats as their bits), then `inputs` in order, then one
 * new float32 tensor per shape of `outputs`; `threads` invocations of a 1-D
 * kernel `workgroupSize` wide (dispatched as a 2-D grid past 65535 groups,
 * flat id = gid.x + gid.y * nwg.x * workgroupSize, as the runtime's kernels).
 */
export function gpuRun(kernel: string, params: ArrayLike<number>, inputs: readonly Tensor[], outputs: readonly (readonly number[])[], threads: number, workgroupSize = 64): Tensor[] {
  if (!loaded) throw notInitialised(kernel);
  return loaded.gpuRun(kernel, params, inputs, outputs, threads, workgroupSize);
}

/** True when a call's arguments live on WebGPU (the compiled vmap then runs its kernel). */
export function adOnWebGPU(args: readonly unknown[]): boolean {
  return args.some((a) => a instanceof Tensor && a.device === "webgpu");
}

/** A compiled vmap of a scalar program, called with WebGPU tensors: its one kernel (runtime/webgpu/vmap.ts). */
export function gpuVmapScalar(kernel: string | null, meta: VmapKernelMeta, args: readonly unknown[], externals: readonly number[] = []): unknown {
  if (!kernel) throw new TypeError(`${meta.label}: has no WebGPU kernel, so it cannot take WebGPU tensors: ${meta.reason}`);
  if (!loaded?.webgpuExecutor()) throw notInitialised(meta.label);
  return loaded.gpuVmapScalar(kernel, meta, args, externals);
}
