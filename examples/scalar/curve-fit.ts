// Fitting a damped oscillation to measurements given as an array of records: Newton steps with grad and hessian (the data set a constant, read in place), then the fitted loss differentiated with respect to the data itself (an array of { t, y } records).
import { grad, hessian } from "jacc";

export interface Sample { t: number; y: number }

/** Mean squared residual of y ≈ a·exp(−b·t)·cos(ω·t), p = [a, b, ω]. */
export function loss(p: Float64Array, data: readonly Sample[]): number {
  let s = 0;
  for (const { t, y } of data) {
    const r = p[0] * Math.exp(-p[1] * t) * Math.cos(p[2] * t) - y;
    s += r * r;
  }
  return s / data.length;
}

const g = grad(loss); // argnums 0: the data is not differentiated
const H = hessian(loss);
const dData = grad(loss, { argnums: 1 }); // the samples differentiated: one { t, y } record of derivatives per sample

/** x solving A x = b for a small dense A (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = M.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(M[best][c]) ? c + i : best), c);
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

export function main() {
  const data: Sample[] = [];
  for (let i = 0; i < 40; i++) {
    const t = 0.1 * i;
    data.push({ t, y: 1.5 * Math.exp(-0.4 * t) * Math.cos(2 * t) + 0.01 * Math.sin(7 * i) });
  }
  let p = Float64Array.of(1.3, 0.3, 2.1);
  const start = Float64Array.from(p);
  for (let step = 0; step < 8; step++) {
    const d = solve(H(p, data).toArray() as number[][], Array.from(g(p, data).data));
    p = p.map((v, i) => v - d[i]);
  }
  const at = Array.from(start);
  // which measurement the fitted loss leans on most
  const sens = dData(p, data);
  const worst = sens.reduce((best, s, i) => (Math.abs(s.y) > Math.abs(sens[best].y) ? i : best), 0);
  const samplesOf = (q: number[]): Sample[] => data.map((_, i) => ({ t: q[2 * i], y: q[2 * i + 1] }));
  return {
    "fitted [a, b, ω] (data made with 1.5, 0.4, 2)": Array.from(p, (v) => +v.toFixed(4)),
    "loss before / after": [loss(start, data), loss(p, data)].map((v) => +v.toExponential(3)),
    "grad of the loss at the start": { value: g(start, data), of: (q: number[]) => loss(Float64Array.from(q), data), at: [at] },
    "hessian at the start (vs differences of the gradient)": { value: H(start, data), of: (q: number[]) => Array.from(g(Float64Array.from(q), data).data), at: [at] },
    "the sample the fitted loss is most sensitive to, and its ∂loss/∂y": [worst, +sens[worst].y.toExponential(3)],
    "∂loss/∂(t, y) of every sample, from records": { value: sens.flatMap((s) => [s.t, s.y]), of: (q: number[]) => loss(p, samplesOf(q)), at: [data.flatMap((s) => [s.t, s.y])], quiet: true },
  };
}
