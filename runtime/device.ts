// Device dispatch: the seam between the CPU runtime and the WebGPU backend
// (runtime/webgpu/). The backend registers itself when `initWebGPU()`
// succeeds; until then every check below is one load of `backend.current`,
// and a program that never calls initWebGPU loads none of the WebGPU code.

/** What the WebGPU backend provides to the core runtime. */
export interface WebGPUBackend {
  /** Runs the runtime function `name` (an op or an AD helper) on WebGPU. */
  call(name: string, args: ArrayLike<unknown>): unknown;
  /** A float32 CPU tensor's copy on the device (float64 throws). */
  upload(t: unknown): unknown;
}

export const backend: { current: WebGPUBackend | undefined } = { current: undefined };

function onGpu(x: unknown): boolean {
  return typeof x === "object" && x !== null && (x as { device?: unknown }).device === "webgpu";
}

/** True when WebGPU is initialised and an argument (or an element of an array argument) is a WebGPU tensor. */
export function gpuArgs(args: ArrayLike<unknown>): boolean {
  if (backend.current === undefined) return false;
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (onGpu(x)) return true;
    if (Array.isArray(x)) for (const y of x) if (onGpu(y)) return true;
  }
  return false;
}

/** Runs `name` on WebGPU (only after gpuArgs said so). */
export function gpuCall(name: string, args: ArrayLike<unknown>): any {
  return backend.current!.call(name, args);
}

/** `cpu` with a WebGPU path: a call with a WebGPU tensor among its arguments runs the backend's `name`. */
export function deviceAware<F extends (...a: any[]) => any>(name: string, cpu: F): F {
  return function (this: unknown) {
    // eslint-disable-next-line prefer-rest-params
    if (backend.current !== undefined && gpuArgs(arguments)) return gpuCall(name, arguments);
    // eslint-disable-next-line prefer-rest-params
    return cpu.apply(this, arguments as unknown as Parameters<F>);
  } as unknown as F;
}
