// The WGSL kernels compiled modules registered: generated code calls
// `gpuKernels({ name: text, … })` on its first line (compiler/index.ts emits
// the texts at build time); the WebGPU ops look their shaders up here by name.
// Nothing here builds shader text.

const registered = new Map<string, string>();

/** Registers WGSL kernels by name (a compiled module does this when it is imported). */
export function gpuKernels(kernels: Record<string, string>): void {
  for (const [name, text] of Object.entries(kernels)) {
    if (typeof text !== "string") throw new TypeError(`gpuKernels: kernel ${name} must be WGSL text, got ${typeof text}`);
    registered.set(name, text);
  }
}

/** The WGSL of kernel `name`; an Error naming the op when no compiled module brought it. */
export function kernelSource(name: string, op: string): string {
  const text = registered.get(name);
  if (text === undefined) {
    throw new Error(
      `${op}: the WGSL kernel "${name}" was not compiled into this program. WebGPU kernels come from modules compiled by jacc ` +
        `(the markers' modules register the kernels their tensor code uses); for ops called elsewhere, register them with ` +
        `gpuKernels(allKernels()) from "jacc/compiler" at build time.`,
    );
  }
  return text;
}

/** The names registered so far (tests). */
export function registeredKernels(): string[] {
  return [...registered.keys()].sort();
}
