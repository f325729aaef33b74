// Vector lanes and the adjoint clean-up of reverse sweeps (issue 19): a
// vector output written as a literal of m ≤ 8 numbers is differentiated by
// one reverse sweep carrying m cotangent lanes (rows of one block), a tuple
// output alike; the cleaned-up sweeps give the same numbers. Checked against
// forward mode (one tangent sweep per input, a different code path) and
// central finite differences, with loops, branches, number and vector
// inputs; a literal longer than 8, or one that escapes, keeps the per-row
// sweeps. Tolerance: 1e-12 relative between the modes (reassociation only),
// 1e-6 against finite differences. Last, Hessians whose pattern is cached per
// argument lengths (a path fixed by the lengths) and ones that must not be (a
// branch on a value, a captured constant), called at points with different
// patterns.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { close, compileAndImport, compileOrThrow } from "./util/compile.js";

const PROGRAMS = `
import { jacrev, jacfwd } from "jacc";
let L: Float64Array = new Float64Array([0.5, 1.5, 1, 0.75, 1.25]);
export function arm(q: Float64Array) {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) {
    th += q[i];
    x += L[i % 5] * Math.cos(th);
    y += L[i % 5] * Math.sin(th);
  }
  return [x, y];
}
function sq(a: number): number { return a * a; }
export function branchy(v: Float64Array) {
  let s = 0, p = 1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] > 0) s += Math.exp(v[i]); else p *= 1 + v[i] * v[i];
  }
  const t = s * p;
  return [t, s - p, Math.tanh(t), 3, s * s];
}
export function scalars(a: number, b: number) {
  const r = Math.hypot(a, b);
  return [r, Math.atan2(b, a), a * b];
}
export function eight(v: Float64Array) {
  const a = v[0], b = v[1];
  return [a, b, a * b, a + b, a - b, a / b, Math.sin(a), Math.exp(b)];
}
export function nine(v: Float64Array) {
  const a = v[0], b = v[1];
  return [a, b, a * b, a + b, a - b, a / b, Math.sin(a), Math.exp(b), a * a * b];
}
export function called(v: Float64Array) {
  return [sq(v[0]) * v[1], v[1]];
}
export function escapes(v: Float64Array) {
  const out = [v[0] * v[1], v[0]];
  out[1] = out[0] + v[1];
  return out;
}
export function tuple(q: Float64Array): [number, number] {
  let x = 0, y = 0;
  for (let i = 0; i < q.length; i++) { x += q[i] * q[i]; y = y * 0.5 + Math.sin(q[i]); }
  return [x, y];
}
export const armRev = jacrev(arm), armFwd = jacfwd(arm);
export const branchyRev = jacrev(branchy), branchyFwd = jacfwd(branchy);
export const scalarsRev = jacrev(scalars, { argnums: [0, 1] }), scalarsFwd = jacfwd(scalars, { argnums: [0, 1] });
export const eightRev = jacrev(eight), eightFwd = jacfwd(eight);
export const nineRev = jacrev(nine), nineFwd = jacfwd(nine);
export const calledRev = jacrev(called), calledFwd = jacfwd(called);
export const escapesRev = jacrev(escapes), escapesFwd = jacfwd(escapes);
export const tupleRev = jacrev(tuple), tupleFwd = jacfwd(tuple);
`;

function flat(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (x instanceof Tensor) return Array.from(x.data);
  if (Array.isArray(x)) return x.flatMap(flat);
  if (ArrayBuffer.isView(x)) return Array.from(x as Float64Array);
  throw new Error(`unexpected ${String(x)}`);
}

function agree(a: number[], b: number[], tol: number, what: string): void {
  assert.is(a.length, b.length, `${what}: lengths`);
  a.forEach((x, i) => assert.ok(close(x, b[i], tol), `${what}[${i}]: ${x} vs ${b[i]}`));
}

/** Central finite differences of f: R^n → R^m, as the [m, n] Jacobian, row-major. */
function fdJac(f: (v: Float64Array) => unknown, v: Float64Array, h = 1e-6): number[] {
  const n = v.length;
  const cols: number[][] = [];
  for (let j = 0; j < n; j++) {
    const p = Float64Array.from(v), q = Float64Array.from(v);
    p[j] += h;
    q[j] -= h;
    const fp = flat(f(p)), fq = flat(f(q));
    cols.push(fp.map((x, i) => (x - fq[i]) / (2 * h)));
  }
  const m = cols[0].length;
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.push(cols[j][i]);
  return out;
}

const code = () => compileOrThrow(PROGRAMS, "lanes.ts").code;
const body = (src: string, fn: string) => {
  const at = src.indexOf(`function ${fn}(`);
  assert.ok(at >= 0, `${fn} not in the output`);
  return src.slice(at, src.indexOf("\n}\n", at));
};

test("a literal vector output of m ≤ 8 numbers runs one reverse sweep with m lanes, no arrays for its cotangent", () => {
  const src = code();
  for (const [fn, m] of [["jacrev_arm", 2], ["jacrev_eight", 8], ["jacrev_branchy", 5], ["jacrev_scalars", 3]] as const) {
    const b = body(src, fn);
    assert.ok(b.includes(`a lane per output (${m})`), `${fn}: one sweep with ${m} lanes\n${b}`);
    assert.not.ok(/reverse sweep for element/.test(b), `${fn}: no per-row sweeps`);
    assert.not.ok(/out_bar|arr_bar|\.fill\(0\)/.test(b), `${fn}: no cotangent arrays, no zero fill`);
  }
  // longer literals, literals written to, and sweeps that call (a callee's reverse pops the tape) keep the per-row sweeps
  assert.ok(body(src, "jacrev_nine").includes("reverse sweep for element"));
  assert.ok(body(src, "jacrev_escapes").includes("reverse sweep for element"));
  assert.ok(body(src, "jacrev_called").includes("reverse sweep for element"));
});

test("the arm's cleaned-up sweep has no adjoint moves: one backward loop accumulating two sums", () => {
  const b = body(code(), "jacrev_arm");
  const loop = b.slice(b.indexOf("for (iter"));
  assert.not.ok(/(\w+_bar\d*) = 0;/.test(loop), `no zero stores in the backward loop\n${loop}`);
  assert.not.ok(/(\w+_bar\d*) = \1 \+ \w+_bar\d*;/.test(loop), `no accumulation of one cotangent into another\n${loop}`);
});

test("lanes agree with forward mode and finite differences", async () => {
  const m = await compileAndImport(PROGRAMS, "lean-sweeps");
  const points: Float64Array[] = [
    new Float64Array([0.3, -0.7, 1.1]),
    new Float64Array([-0.2, 0.4, 0.9, -1.3, 0.05, 0.6, -0.8]),
    new Float64Array([0.5]),
  ];
  for (const name of ["arm", "branchy", "tuple"]) {
    for (const v of points) {
      const rev = m[`${name}Rev`](v), fwd = m[`${name}Fwd`](v);
      if (name !== "tuple") {
        assert.ok(rev instanceof Tensor, `${name}: one block`);
        const outLen = flat(m[name](v)).length;
        assert.equal(rev.shape, [outLen, v.length], `${name}: shape [m, n]`);
      }
      agree(flat(rev), flat(fwd), 1e-12, `${name} rev vs fwd at n = ${v.length}`);
      agree(flat(rev), fdJac(m[name], v), 1e-6, `${name} rev vs finite differences at n = ${v.length}`);
    }
  }
  for (const name of ["eight", "nine", "escapes", "called"]) {
    const v = new Float64Array([0.7, 1.3]);
    const rev = m[`${name}Rev`](v);
    assert.equal(rev.shape, [flat(m[name](v)).length, 2]);
    agree(flat(rev), flat(m[`${name}Fwd`](v)), 1e-12, `${name} rev vs fwd`);
    agree(flat(rev), fdJac(m[name], v), 1e-6, `${name} rev vs finite differences`);
  }
  // number inputs: a [3] block per input
  const [ja, jb] = m.scalarsRev(0.6, -1.7);
  const [fa, fb] = m.scalarsFwd(0.6, -1.7);
  assert.equal(ja.shape, [3]);
  agree(flat(ja), flat(fa), 1e-12, "scalars d/da");
  agree(flat(jb), flat(fb), 1e-12, "scalars d/db");
  const h = 1e-6;
  const da = flat(m.scalars(0.6 + h, -1.7)).map((x, i) => (x - flat(m.scalars(0.6 - h, -1.7))[i]) / (2 * h));
  agree(flat(ja), da, 1e-6, "scalars d/da vs finite differences");
});

test("an empty input gives an empty [m, 0] block", async () => {
  const m = await compileAndImport(PROGRAMS, "lean-sweeps");
  const J = m.armRev(new Float64Array(0));
  assert.equal(J.shape, [2, 0]);
});

const HESSIANS = `
import { hessian, jacfwd, jacrev } from "jacc";
let K = 1;
export function setK(k: number): void { K = k; }
export function rosen(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i += 2) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}
// which entries interact depends on the signs of the values
export function signs(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0) s += x[i] * x[(i + 1) % x.length]; else s += x[i] ** 3;
  }
  return s;
}
// and here on a captured constant (the stride)
export function strided(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + K < x.length; i++) s += x[i] * x[i + K];
  return s;
}
export const hRosen = hessian(rosen);
export const hSigns = hessian(signs);
export const hStrided = hessian(strided);
export const dRosen = jacfwd(jacrev(rosen)), dSigns = jacfwd(jacrev(signs)), dStrided = jacfwd(jacrev(strided));
`;

test("hessian: the pattern is cached per argument lengths only where the path depends on the lengths alone", async () => {
  const src = compileOrThrow(HESSIANS, "hessians.ts").code;
  const line = (name: string) => src.split("\n").find((l) => l.startsWith(`export const ${name} =`)) ?? "";
  assert.ok(/adHessianSparse\(.*__jaccHessianCache_\w+\(\)[,)]/.test(line("hRosen")), `rosen's Hessian is cached\n${line("hRosen")}`);
  assert.not.ok(line("hSigns").includes("HessianCache"), "a branch on a value: not cached");
  assert.not.ok(line("hStrided").includes("HessianCache"), "a captured constant in a bound: not cached");
  const m = await compileAndImport(HESSIANS, "hessians");
  const pts = (n: number, sign: number) => Float64Array.from({ length: n }, (_, i) => sign * (0.3 + 0.1 * i) * (i % 3 === 2 ? -1 : 1));
  for (const [n, sign] of [[10, 1], [10, -1], [7, 1], [10, 1], [4, -1]] as const) {
    const x = pts(n, sign);
    agree(flat(m.hRosen(x)), flat(m.dRosen(x)), 1e-12, `rosen n = ${n}`);
    agree(flat(m.hSigns(x)), flat(m.dSigns(x)), 1e-12, `signs n = ${n}, sign ${sign}`);
    for (const k of [1, 3, 2]) {
      m.setK(k);
      agree(flat(m.hStrided(x)), flat(m.dStrided(x)), 1e-12, `strided n = ${n}, K = ${k}`);
    }
  }
});

test.run();
