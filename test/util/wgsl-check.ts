// Test helper for the scalar WGSL kernels: compile a module's markers to IR
// (the compiler's own pipeline) and to JavaScript (compileModule), run the
// kernel on Dawn over many rows and the generated JavaScript (float64) row by
// row on the same float32-rounded inputs, and compare.
//
// Tolerance, per component: |gpu − cpu| ≤ 1e-4·|cpu| + 1e-6 + 8·sens, where
// sens is how far the float64 result moves when the inputs move by their own
// float32 rounding (two random relative perturbations of ±2^-23 per input
// component): the conditioning of the problem at that row. A float32 kernel
// cannot do better than its inputs' rounding allows, and near a branch or a
// kink (a flipped comparison) sens is large, so such rows are judged by what
// float32 can resolve there.
import { simplifiedFns } from "../../compiler/opt/simplify.js";
import { scalarKernel, type ScalarKernel, type ScalarKernelOptions } from "./scalar-kernel.js";
import { compileAndImport } from "./compile.js";
import { irOfModule, type ModuleIR } from "./ir-of.js";
import { prng } from "./scalar-check.js";
import { runKernel } from "./wgsl-device.js";

/** A result of generated code flattened in the kernel's order (numbers, Tensors' data, arrays in order). */
export function flatten(x: unknown, out: number[] = []): number[] {
  if (typeof x === "number") out.push(x);
  else if (typeof x === "boolean") out.push(x ? 1 : 0);
  else if (x instanceof Float64Array || x instanceof Float32Array) out.push(...x);
  else if (Array.isArray(x)) x.forEach((y) => flatten(y, out));
  else if (x && typeof x === "object" && "data" in x && "shape" in x) out.push(...((x as { data: ArrayLike<number> }).data as number[]));
  else throw new Error(`cannot flatten ${String(x)}`);
  return out;
}

export interface Mismatch { row: number; col: number; gpu: number; cpu: number; tol: number }

export interface CompareReport { rows: number; checked: number; maxRel: number; mismatches: Mismatch[] }

/** Compares a kernel's output (rows × k) with CPU results, rows by index. */
export function compareRows(gpu: Float32Array, k: number, rowsToCheck: number[], cpu: (row: number) => { value: number[]; sens: number[] }): CompareReport {
  const mismatches: Mismatch[] = [];
  let maxRel = 0;
  let checked = 0;
  for (const r of rowsToCheck) {
    const { value, sens } = cpu(r);
    if (value.length !== k) throw new Error(`row ${r}: CPU gives ${value.length} components, the kernel ${k}`);
    for (let j = 0; j < k; j++) {
      const c = value[j];
      const g = gpu[r * k + j];
      checked++;
      if (Number.isNaN(c) || Number.isNaN(g)) {
        if (Number.isNaN(c) && Number.isNaN(g)) continue;
        if (!Number.isFinite(sens[j])) continue; // a perturbation already gives NaN: undecidable in float32
        mismatches.push({ row: r, col: j, gpu: g, cpu: c, tol: NaN });
        continue;
      }
      // beyond float32's range the kernel overflows where float64 does not
      if (Math.abs(c) > 3.4e38 || !Number.isFinite(c)) {
        if (!(Math.abs(g) > 3.4e38 && Math.sign(g) === Math.sign(c))) mismatches.push({ row: r, col: j, gpu: g, cpu: c, tol: Infinity });
        continue;
      }
      const tol = 1e-4 * Math.abs(c) + 1e-6 + 8 * sens[j];
      const err = Math.abs(g - c);
      if (!(err <= tol)) mismatches.push({ row: r, col: j, gpu: g, cpu: c, tol });
      else maxRel = Math.max(maxRel, err / (Math.abs(c) + 1e-30));
    }
  }
  return { rows: rowsToCheck.length, checked, maxRel, mismatches };
}

export interface Case {
  /** the module's source (imports markers from "jacc"); each checked marker is `export const NAME = marker(…)` */
  source: string;
  /** the export to check: a marker result, or a plain function (checked as its own value kernel) */
  name: string;
  /** one row's arguments (numbers or arrays), drawn from the PRNG */
  gen: (rand: () => number) => (number | number[])[];
  rows?: number;
  options?: ScalarKernelOptions;
  /** rows compared (default: all) */
  sample?: number;
  /** values of captured inputs (externals given as { length } or numbers left to run time) */
  externalValues?: Record<string, number | number[]>;
}

const moduleCache = new Map<string, { ir: ModuleIR; js: Record<string, any> }>();
let caseNo = 0;

async function load(source: string): Promise<{ ir: ModuleIR; js: Record<string, any> }> {
  let m = moduleCache.get(source);
  if (!m) {
    const ir = irOfModule(source, `/tmp/jacc-wgsl/case${caseNo}.ts`);
    const js = await compileAndImport(source, `wgsl-case${caseNo++}`);
    m = { ir, js };
    moduleCache.set(source, m);
  }
  return m;
}

/** The kernel of one export of a module: a marker's driver, or a plain function. */
export async function kernelOf(source: string, name: string, options: ScalarKernelOptions = {}): Promise<{ kernel: ScalarKernel; js: (...a: any[]) => unknown }> {
  const { ir, js } = await load(source);
  const decl = new RegExp(`export const ${name}\\s*=\\s*`).exec(source);
  let fn: string;
  if (decl) {
    const at = decl.index + decl[0].length;
    const marker = ir.markers.find((m) => source.startsWith(m.text, at));
    fn = marker ? marker.fn : ir.plain(name); // a marker's result, or a const arrow
  } else fn = ir.plain(name);
  const kernel = scalarKernel(simplifiedFns(ir.fns), fn, options);
  return { kernel, js: js[name] };
}

/** Runs one case on the device and compares it with the generated JavaScript. */
export async function checkCase(device: any, c: Case): Promise<CompareReport & { kernel: ScalarKernel; ms: number }> {
  const { kernel, js } = await kernelOf(c.source, c.name, c.options);
  const rows = c.rows ?? 1000;
  const rand = prng(rows * 7919 + c.name.length);
  const sig = kernel.signature;
  const params = sig.inputs.filter((i) => i.source === "param");
  // the arguments, rounded to float32 (what the kernel reads)
  const argRows: (number | number[])[][] = [];
  const columns = params.map((p) => new Float32Array(rows * p.length));
  for (let r = 0; r < rows; r++) {
    const a = c.gen(rand).map((x) => (Array.isArray(x) ? x.map(Math.fround) : Math.fround(x)));
    argRows.push(a);
    params.forEach((p, i) => columns[i].set(Array.isArray(a[i]) ? (a[i] as number[]) : [a[i] as number], r * p.length));
  }
  for (const x of sig.inputs.filter((i) => i.source === "external")) {
    const v = c.externalValues?.[x.name];
    if (v === undefined) throw new Error(`no value for the captured input ${x.name}`);
    columns.push(Float32Array.from(Array.isArray(v) ? v : [v]));
  }
  const t0 = performance.now();
  const gpu = await runKernel(device, kernel, rows, columns);
  const ms = performance.now() - t0;
  const call = (a: (number | number[])[]) => flatten(js(...a.map((x) => (Array.isArray(x) ? [...x] : x))));
  const prand = prng(99);
  const perturb = (a: (number | number[])[]) => a.map((x) => (Array.isArray(x) ? x.map((y) => y * (1 + (prand() < 0.5 ? -1 : 1) * 2 ** -23)) : x * (1 + (prand() < 0.5 ? -1 : 1) * 2 ** -23)));
  const cpu = (r: number) => {
    const value = call(argRows[r]);
    const sens = value.map(() => 0);
    for (let t = 0; t < 2; t++) {
      const v2 = call(perturb(argRows[r]));
      v2.forEach((y, j) => {
        const d = Math.abs(y - value[j]);
        sens[j] = Number.isNaN(d) ? (Number.isNaN(y) && Number.isNaN(value[j]) ? sens[j] : Infinity) : Math.max(sens[j], d);
      });
    }
    return { value, sens };
  };
  let check = [...Array(rows).keys()];
  if (c.sample && c.sample < rows) {
    const s = prng(5);
    const picked = new Set<number>([0, rows - 1]);
    while (picked.size < c.sample) picked.add(Math.floor(s() * rows));
    check = [...picked].sort((a, b) => a - b);
  }
  return { ...compareRows(gpu, sig.rowWidth, check, cpu), kernel, ms };
}

/** One line for a report: rows, components, worst relative error, the first mismatches. */
export function describe(name: string, r: CompareReport): string {
  const head = `${name}: ${r.rows} rows, ${r.checked} components, max rel err ${r.maxRel.toExponential(2)}, ${r.mismatches.length} mismatches`;
  return r.mismatches.length ? `${head}\n${r.mismatches.slice(0, 6).map((m) => `  row ${m.row} col ${m.col}: gpu ${m.gpu} cpu ${m.cpu} tol ${m.tol}`).join("\n")}` : head;
}
