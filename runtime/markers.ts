// Marker stubs. The compiler replaces every marker call with generated code, so
// a stub only runs when a module reached run time without jacc's compiler. It
// must never compute something else: it throws, naming the marker, the caller's
// file and line where the stack shows them, and how to enable the compiler.

export type AnyFn = (...args: any[]) => any;

function callerLocation(): string | undefined {
  const stack = new Error().stack?.split("\n") ?? [];
  // [0] "Error", [1] callerLocation, [2] uncompiled, [3] the marker stub, [4] the user's call
  const line = stack[4];
  const m = line && /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

function uncompiled(marker: string): never {
  const where = callerLocation();
  throw new Error(
    `jacc: \`${marker}\` was called at run time${where ? ` (${where})` : ""}, but markers must be compiled away. ` +
      `Enable jacc's compiler: run with \`node --import jacc/register\`, emit with \`jacc emit\`, ` +
      `or add the jacc plugin to your build (jacc/vite, jacc/babel, jacc/tsc).`,
  );
}

export interface JacobianOptions { createGraph?: boolean; strict?: boolean; vectorize?: boolean; strategy?: "reverse-mode" | "forward-mode" }
export interface JacrevOptions { argnums?: number | readonly number[]; hasAux?: boolean; chunkSize?: number }
export interface JacfwdOptions { argnums?: number | readonly number[]; hasAux?: boolean; randomness?: "error" | "different" | "same" }
export interface HessianOptions { argnums?: number | readonly number[] }
export interface GradOptions { argnums?: number | readonly number[]; hasAux?: boolean }
export interface AuxOptions { hasAux?: boolean }
export interface VmapOptions {
  inDims?: number | null | readonly (number | null)[];
  outDims?: number | null | readonly (number | null)[];
  randomness?: "error" | "different" | "same";
  chunkSize?: number;
}

// The declared result types are deliberately loose (`any`): the shape of a
// result depends on the compiler's static view of the function (SPEC §3).
export function jacobian(_func: AnyFn, _inputs: unknown, _options?: JacobianOptions): any {
  return uncompiled("jacobian");
}
export function jacrev(_func: AnyFn, _options?: JacrevOptions): (...args: any[]) => any {
  return uncompiled("jacrev");
}
export function jacfwd(_func: AnyFn, _options?: JacfwdOptions): (...args: any[]) => any {
  return uncompiled("jacfwd");
}
export function hessian(_func: AnyFn, _options?: HessianOptions): (...args: any[]) => any {
  return uncompiled("hessian");
}
export function grad(_func: AnyFn, _options?: GradOptions): (...args: any[]) => any {
  return uncompiled("grad");
}
export function vjp(_func: AnyFn, _primals: readonly unknown[], _options?: AuxOptions): any {
  return uncompiled("vjp");
}
export function jvp(_func: AnyFn, _primals: readonly unknown[], _tangents: readonly unknown[], _options?: AuxOptions): any {
  return uncompiled("jvp");
}
export function vmap(_func: AnyFn, _options?: VmapOptions): (...args: any[]) => any {
  return uncompiled("vmap");
}

export const MARKERS = ["jacobian", "jacrev", "jacfwd", "hessian", "grad", "vjp", "jvp", "vmap"] as const;
export type MarkerName = (typeof MARKERS)[number];
