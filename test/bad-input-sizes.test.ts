// Bad input (e): a Jacobian too big to allocate. Its size is out.numel() × in.numel() elements: a call
// with a large input is a RangeError naming the marker, the block's shape and its bytes, thrown
// before anything that size is allocated (not V8's "Invalid typed array length" or "Array buffer
// allocation failed" from inside a generated driver). Every path that allocates a result block:
// the number drivers (the prelude's __jaccJac), the Tensor sweeps (adBlock), the structured path
// (sjBlock), the direct kernels and the column-coloured Hessian (runtime/dtype.ts allocJacobian).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "jacc";
import type { CompilePaths } from "../compiler/index.js";
import { compileAndImport, withPaths } from "./util/compile.js";

const SRC = `
import { jacrev, jacfwd, hessian, jacobian, type Tensor } from "jacc";
export function twice(x: number[]): number[] {
  const y = new Array(x.length).fill(0);
  for (let i = 0; i < x.length; i++) y[i] = 2 * x[i];
  return y;
}
export function sq(x: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
export function ex(x: Tensor) { return x.exp(); }
export const jr = jacrev(twice), jf = jacfwd(twice), h = hessian(sq), jt = jacrev(ex), jtf = jacfwd(ex);
export const jb = (x: number[]) => jacobian(twice, x);
`;
type M = Record<string, (...a: unknown[]) => unknown>;

const N = 100_000; // a [N, N] block: 10^10 elements, past any engine's typed-array limit
const big = (f32 = false) => (f32 ? new Float32Array(N) : new Float64Array(N)).fill(0.5);
const msg = (label: string, shape: number[], bytesPer: 4 | 8) => `${label}: the Jacobian of shape [${shape.join(", ")}] needs ${shape.reduce((a, b) => a * b, 1) * bytesPer} bytes (float${bytesPer * 8}), more than can be allocated`;

/** Runs `call`, which must throw a RangeError with exactly `message`, quickly (nothing that size was allocated). */
function tooBig(call: () => unknown, message: string): void {
  const t0 = Date.now();
  let err: unknown;
  try {
    call();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RangeError, `expected a RangeError, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  assert.is((err as Error).message, message);
  assert.ok(Date.now() - t0 < 5000, `thrown after ${Date.now() - t0} ms`);
}

test("number drivers: jacrev / jacfwd / jacobian of a long vector → RangeError naming the marker, shape and bytes", async () => {
  const m = await compileAndImport<M>(SRC, "bad-input-sizes");
  tooBig(() => m.jr(big()), msg("jacrev(twice)", [N, N], 8));
  tooBig(() => m.jr(Array.from(big())), msg("jacrev(twice)", [N, N], 8));
  tooBig(() => m.jf(big()), msg("jacfwd(twice)", [N, N], 8));
  tooBig(() => m.jb(big()), msg("jacobian(twice)", [N, N], 8));
  tooBig(() => m.h(big()), msg("hessian(sq)", [N, N], 8));
  // small ones are as before
  assert.equal((m.jr([1, 2]) as { toArray(): unknown }).toArray(), [[2, 0], [0, 2]]);
  assert.equal((m.h([1, 2]) as { toArray(): unknown }).toArray(), [[2, 0], [0, 2]]);
});

test("Tensor drivers: the direct kernel, the structured path and the sweeps → the same RangeError", async () => {
  const x = tensor(big(), { dtype: "float64" });
  const paths: [string, CompilePaths][] = [["direct", {}], ["structured", { direct: false }], ["sweeps", { structured: false }]];
  for (const [path, off] of paths) {
    const m = await withPaths(off, () => compileAndImport<M>(SRC, `bad-input-sizes-${path}`));
    tooBig(() => m.jt(x), msg("jacrev(ex)", [N, N], 8));
    tooBig(() => m.jtf(x.to("float32")), msg("jacfwd(ex)", [N, N], 4));
    assert.equal((m.jt(tensor([0, 0], { dtype: "float64" })) as { toArray(): unknown }).toArray(), [[1, 0], [0, 1]], path);
  }
});

test("an allocation that fails below the engine's limit is the same RangeError (the engine's error replaced)", async () => {
  const m = await compileAndImport<M>(SRC, "bad-input-sizes");
  const n = 50_000; // 2.5e9 elements: within V8's typed-array length, past this machine's memory
  const Real = { f64: globalThis.Float64Array, f32: globalThis.Float32Array };
  // the engine's failure, simulated: nothing of 20 GB is really asked for
  const failing = <C extends object>(C: C) => new Proxy(C, { construct: (t, args) => (args[0] > 1e9 ? (() => { throw new RangeError("Array buffer allocation failed"); })() : Reflect.construct(t as never, args)) });
  const x = new Real.f64(n).fill(1);
  const t = tensor(x, { dtype: "float64" });
  globalThis.Float64Array = failing(Real.f64);
  globalThis.Float32Array = failing(Real.f32);
  try {
    tooBig(() => m.jr(x), msg("jacrev(twice)", [n, n], 8));
    tooBig(() => m.jt(t), msg("jacrev(ex)", [n, n], 8));
  } finally {
    globalThis.Float64Array = Real.f64;
    globalThis.Float32Array = Real.f32;
  }
});

test.run();
