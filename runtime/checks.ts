// What the check files of `jacc emit --with-checks` run (import from "jacc/checks"):
// every generated derivative against central finite differences of the
// original function, at the sample points written in the check file.
// Not part of the differentiated language; a check file is a plain script.
import { Tensor } from "./tensor.js";

export type Sample = number | number[] | Float64Array | Float32Array | Tensor;

export interface DerivativeCheck {
  /** the export being checked, e.g. "dsq = grad(sq)" */
  name: string;
  kind: "grad" | "jacrev" | "jacfwd" | "hessian";
  derivative: (...args: any[]) => unknown;
  original: (...args: any[]) => unknown;
  /** argnums as the marker has them (undefined: 0) */
  argnums?: number | number[];
  /** f returns a tuple (its declared return type is a tuple type) */
  tupleOut?: boolean;
  args: Sample[];
}

const copy = (a: Sample): Sample => (typeof a === "number" ? a : a instanceof Tensor ? new Tensor(a.data.slice() as Float64Array, a.shape) : (a.slice() as Sample));
const size = (a: Sample): number => (typeof a === "number" ? 1 : a instanceof Tensor ? a.data.length : a.length);
function withElem(a: Sample, e: number, d: number): Sample {
  if (typeof a === "number") return a + d;
  const c = copy(a);
  if (c instanceof Tensor) (c.data as Float64Array)[e] += d;
  else (c as number[])[e] += d;
  return c;
}

/** Every number of a value, depth first (numbers, arrays, typed arrays, Tensors, nested). */
export function flatten(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (v instanceof Tensor) return Array.from(v.data);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.flatMap(flatten);
  throw new TypeError(`checks: cannot read numbers from ${String(v)}`);
}

/** The output's leaves: one for a single output, one per entry of a tuple. */
const leaves = (y: unknown, tuple: boolean): number[][] => (tuple ? (y as unknown[]).map(flatten) : [flatten(y)]);

/** d leaf / d args[j], row-major (leaf elements outer, input elements inner), by central differences. */
function fdBlock(g: (args: Sample[]) => number[][], args: Sample[], j: number, h0: number): number[][] {
  const n = size(args[j]);
  const base = g(args);
  const blocks = base.map((l) => new Array<number>(l.length * n).fill(0));
  for (let e = 0; e < n; e++) {
    const x = typeof args[j] === "number" ? (args[j] as number) : flatten(args[j])[e];
    const h = h0 * Math.max(1, Math.abs(x));
    const at = (d: number) => g(args.map((a, k) => (k === j ? withElem(a, e, d) : a)));
    const [p1, m1, p2, m2] = [at(h), at(-h), at(2 * h), at(-2 * h)];
    base.forEach((l, i) => {
      for (let q = 0; q < l.length; q++) blocks[i][q * n + e] = (-p2[i][q] + 8 * p1[i][q] - 8 * m1[i][q] + m2[i][q]) / (12 * h);
    });
  }
  return blocks;
}

/** What finite differences say the derivative is, flattened in the marker's result order. */
function expected(c: DerivativeCheck): number[] {
  const nums = c.argnums === undefined ? [0] : Array.isArray(c.argnums) ? c.argnums : [c.argnums];
  const f = (a: Sample[]) => leaves(c.original(...a.map(copy)), !!c.tupleOut);
  if (c.kind !== "hessian") {
    const per = nums.map((j) => fdBlock(f, c.args, j, 1e-4)); // [argnum][leaf]
    const nLeaves = per[0].length;
    // results nest outputs outside, argnums inside
    const out: number[] = [];
    for (let i = 0; i < nLeaves; i++) for (let k = 0; k < nums.length; k++) out.push(...per[k][i]);
    return out;
  }
  // hessian: the Jacobian (argnums × argnums) of the gradient, the gradient itself by differences
  const grad = (a: Sample[]) => nums.map((j) => fdBlock(f, a, j, 1e-3)[0]);
  const out: number[] = [];
  const per = nums.map((j) => fdBlock(grad, c.args, j, 1e-3)); // [argnum j][gradient part i]
  for (let i = 0; i < nums.length; i++) for (let k = 0; k < nums.length; k++) out.push(...per[k][i]);
  return out;
}

/** Compares one derivative with finite differences; prints one line; returns whether it agrees. */
export function checkDerivative(c: DerivativeCheck, tol = c.kind === "hessian" ? 1e-3 : 1e-5): boolean {
  let got: number[];
  let want: number[];
  try {
    got = flatten(c.derivative(...c.args.map(copy)));
    want = expected(c);
  } catch (e) {
    console.log(`FAIL ${c.name}: threw ${(e as Error).message}`);
    return false;
  }
  if (got.length !== want.length) {
    console.log(`FAIL ${c.name}: ${got.length} values, finite differences give ${want.length}`);
    return false;
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    // (NaN where f itself is NaN around the sample agrees: NaNs propagate, SPEC §4)
    const err = Number.isNaN(got[i]) && Number.isNaN(want[i]) ? 0 : got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= worst)) (worst = Number.isNaN(err) ? Infinity : err), (at = i);
  }
  const ok = worst <= tol;
  const nans = got.filter(Number.isNaN).length;
  console.log(`${ok ? "ok  " : "FAIL"} ${c.name}: ${got.length} value(s), max relative error ${worst.toExponential(2)}${nans ? ` (${nans} NaN, as f is there: edit the samples)` : ""}${ok ? "" : ` at ${at}: ${got[at]} vs ${want[at]} (finite differences)`}`);
  return ok;
}

/**
 * For modules with WGSL: runs `fn` on the CPU and on WebGPU with the same
 * Tensor arguments (float32, WebGPU's only dtype) and compares. Skipped, with
 * a line saying why, where WebGPU is not available.
 */
export async function checkCpuVsWebGPU(name: string, fn: (...args: any[]) => unknown, args: Sample[], tol = 1e-3): Promise<boolean> {
  const rt = (await import("./index.js")) as Record<string, unknown>;
  const init = rt.initWebGPU as (() => Promise<unknown>) | undefined;
  if (!init) return (console.log(`skip ${name}: CPU vs WebGPU (this runtime has no WebGPU)`), true);
  try {
    await init();
  } catch (e) {
    return (console.log(`skip ${name}: CPU vs WebGPU (${(e as Error).message})`), true);
  }
  // (WebGPU holds float32 only: both sides run on float32 copies of the Tensor samples)
  const f32 = (a: Sample) => (a instanceof Tensor ? a.to("float32") : copy(a));
  let cpu: number[];
  let gpu: number[];
  try {
    cpu = flatten(fn(...args.map(f32)));
    const gpuOut = fn(...args.map((a) => (a instanceof Tensor ? a.to({ dtype: "float32", device: "webgpu" }) : copy(a))));
    const read = async (v: unknown): Promise<unknown> => (v instanceof Tensor && v.device !== "cpu" ? new Tensor(await v.read(), v.shape) : Array.isArray(v) ? Promise.all(v.map(read)) : v);
    gpu = flatten(await read(gpuOut));
  } catch (e) {
    console.log(`FAIL ${name}: CPU vs WebGPU threw ${(e as Error).message}`);
    return false;
  }
  const bad = cpu.length !== gpu.length ? 0 : cpu.findIndex((x, i) => !(Math.abs(x - gpu[i]) <= tol * (1 + Math.abs(x))));
  console.log(`${bad < 0 ? "ok  " : "FAIL"} ${name}: CPU vs WebGPU${bad < 0 ? "" : ` at ${bad}: ${cpu[bad]} vs ${gpu[bad]}`}`);
  return bad < 0;
}
