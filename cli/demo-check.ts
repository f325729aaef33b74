// Numbers for the demo: a result flattened to a matrix (rows: output scalars,
// columns: input scalars) beside a central-difference estimate.

type Fn = (...args: any[]) => unknown;

/** What an example's main() returns for a derivative it wants checked. */
export interface Check {
  value: unknown;
  of: Fn;
  at: unknown[];
  tupleOut?: boolean;
  /** print the verdict only (a wide block) */
  quiet?: boolean;
}

export const isCheck = (v: unknown): v is Check =>
  typeof v === "object" && v !== null && "value" in v && typeof (v as Check).of === "function" && Array.isArray((v as Check).at);

/** Every number in a number, array, typed array, Tensor or record (row-major; a record's values in key order). */
export function flat(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (v instanceof Float64Array || v instanceof Float32Array) return Array.from(v);
  if (Array.isArray(v)) return v.flatMap(flat);
  if (v && typeof (v as { toArray?: unknown }).toArray === "function") return flat((v as { toArray(): unknown }).toArray());
  // a record (a Jacobian of records nests them: outputs, then inputs, in key order)
  if (v && typeof v === "object") return Object.values(v).flatMap(flat);
  throw new TypeError(`not numeric: ${String(v)}`);
}

const sizeOf = (v: unknown): number => flat(v).length;

/** The input with element `k` of argument `j` moved by `d` (arguments copied, not mutated). */
function nudge(args: unknown[], j: number, k: number, d: number): unknown[] {
  return args.map((a, i) => {
    if (i !== j) return a;
    if (typeof a === "number") return a + d;
    const copy = a instanceof Float64Array || a instanceof Float32Array ? a.slice() : [...(a as number[])];
    copy[k] += d;
    return copy;
  });
}

/** The check's blocks laid out as one matrix, in the same order as the finite-difference one. */
export function asMatrix(c: Check): { jac: number[][]; fd: number[][] } {
  const outs = c.tupleOut ? (c.of(...c.at) as unknown[]) : [c.of(...c.at)];
  const outSizes = outs.map(sizeOf);
  const inSizes = c.at.map(sizeOf);
  const tupleIn = c.at.length > 1;
  const rows = outSizes.reduce((a, b) => a + b, 0);
  const cols = inSizes.reduce((a, b) => a + b, 0);
  const jac = Array.from({ length: rows }, () => new Array<number>(cols).fill(NaN));
  const fd = Array.from({ length: rows }, () => new Array<number>(cols).fill(NaN));
  let r0 = 0;
  outs.forEach((_, i) => {
    let c0 = 0;
    c.at.forEach((x, j) => {
      const block = c.tupleOut && tupleIn ? (c.value as unknown[])[i] && ((c.value as unknown[][])[i][j]) : c.tupleOut ? (c.value as unknown[])[i] : tupleIn ? (c.value as unknown[])[j] : c.value;
      const b = flat(block);
      for (let k = 0; k < inSizes[j]; k++) {
        const base = flat(typeof x === "number" ? x : (x as number[])[k]);
        const h = 1e-6 * Math.max(1, Math.abs(base[0]));
        const plus = c.of(...nudge(c.at, j, k, h));
        const minus = c.of(...nudge(c.at, j, k, -h));
        const up = flat(c.tupleOut ? (plus as unknown[])[i] : plus);
        const down = flat(c.tupleOut ? (minus as unknown[])[i] : minus);
        for (let a = 0; a < outSizes[i]; a++) {
          jac[r0 + a][c0 + k] = b[a * inSizes[j] + k];
          fd[r0 + a][c0 + k] = (up[a] - down[a]) / (2 * h);
        }
      }
      c0 += inSizes[j];
    });
    r0 += outSizes[i];
  });
  return { jac, fd };
}

/** Largest difference, relative to the size of the entries. */
export function maxError(a: number[][], b: number[][]): number {
  let e = 0;
  a.forEach((row, i) => row.forEach((v, j) => (e = Math.max(e, Math.abs(v - b[i][j]) / (1 + Math.abs(b[i][j]))))));
  return e;
}

export function fmt(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (Math.abs(v) < 1e-12) return "0";
  return String(Number(v.toPrecision(6)));
}

/** Two matrices side by side, columns aligned. */
export function sideBySide(left: number[][], right: number[][], titles: [string, string]): string[] {
  const cells = (m: number[][]) => m.map((r) => r.map(fmt));
  const L = cells(left);
  const R = cells(right);
  const w = Math.max(1, ...L.flat().map((s) => s.length), ...R.flat().map((s) => s.length));
  const line = (r: string[]) => r.map((s) => s.padStart(w)).join(" ");
  const lw = Math.max(titles[0].length, line(L[0] ?? []).length + 4);
  const out = [`${titles[0].padEnd(lw)}   ${titles[1]}`];
  L.forEach((r, i) => out.push(`[ ${line(r)} ]`.padEnd(lw) + "   " + `[ ${line(R[i])} ]`));
  return out;
}
