// Arrays of records and tuples of numbers as differentiated inputs (issue 17
// §1): each marker's result follows torch.func's pytrees (an array of records
// of the blocks), checked against finite differences of the same functions run
// as plain JavaScript; bad arguments are TypeErrors naming the element, and
// the places this does not reach yet are diagnostics. The module is
// fixtures/records/arrays.ts.
import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Tensor } from "jacc";
import ts from "typescript";
import { compileAndImport, repoRoot } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";

const FILE = path.join(repoRoot, "fixtures/records/arrays.ts");
const SRC = fs.readFileSync(FILE, "utf8");

/** The fixture's own functions as plain JavaScript (types stripped, markers left out). */
async function plain(): Promise<any> {
  const body = SRC.replace(/^import .*$/m, "").replace(/^export const \w+ = .*$/gm, "");
  const js = ts.transpileModule(body, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = path.join(repoRoot, ".tmp", "tests", "record-arrays-plain.mjs");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, js);
  return import(`${file}?${Date.now()}`);
}

// an array of records as the flat vector of its numbers (keys in declared order) and back
const numbersOf = (x: unknown): unknown[] => (typeof x === "number" || (x && typeof x === "object" && "shape" in x) ? [x] : Array.isArray(x) ? x.flatMap(numbersOf) : Object.values(x as object).flatMap(numbersOf));
const flat = (xs: unknown[]): number[] => numbersOf(xs) as number[];
function rebuild<T>(like: T, values: Iterator<number>): T {
  if (typeof like === "number") return values.next().value as T;
  if (Array.isArray(like)) return like.map((x) => rebuild(x, values)) as T;
  return Object.fromEntries(Object.entries(like as object).map(([k, x]) => [k, rebuild(x, values)])) as T;
}
const withFlat = <T>(like: T, v: number[]): T => rebuild(like, v[Symbol.iterator]());

/** ∂f/∂(each number of the array `xs`) by the fourth-order central stencil; f may return a vector. */
function fd<T>(f: (xs: T) => number | ArrayLike<number>, xs: T, h = 1e-5): number[][] {
  const v = flat(xs as unknown[]);
  return v.map((_, i) => {
    const at = (d: number) => {
      const r = f(withFlat(xs, v.map((x, j) => (j === i ? x + d : x))));
      return typeof r === "number" ? [r] : Array.from(r);
    };
    const [a, b, c, e] = [at(2 * h), at(h), at(-h), at(-2 * h)];
    return a.map((_, o) => (-a[o] + 8 * b[o] - 8 * c[o] + e[o]) / (12 * h));
  });
}
const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);
const nearAll = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) near(a[i], b[i], tol, `${what}[${i}]`);
};

const ps = [{ x: 0.3, y: 1.2 }, { x: -0.7, y: 0.4 }, { x: 1.1, y: -0.9 }, { x: 0.5, y: 0.25 }];
const pairs: [number, number][] = [[0.6, -0.8], [1.5, 0.2], [-0.3, 0.9]];
const bodies = [
  { p: [0.2, 1.5] as [number, number], v: { x: 0.3, y: -0.4 }, m: 2 },
  { p: [-0.6, 0.7] as [number, number], v: { x: 1.1, y: 0.2 }, m: 0.5 },
];
const samples = [{ t: 0, y: 1.1 }, { t: 0.5, y: 1.9 }, { t: 1, y: 3.2 }, { t: 2, y: 4.8 }];

test("grad, jacrev, jacfwd, jacobian of a number output: an array of records of numbers, equal to finite differences", async () => {
  const [m, p] = await Promise.all([compileAndImport(SRC, "record-arrays-1"), plain()]);
  const want = fd((q: typeof ps) => p.chain(q, 1.7), ps).map((r) => r[0]);
  for (const [name, got] of [["grad", m.gChain(ps, 1.7)], ["jacrev", m.jrChain(ps, 1.7)], ["jacfwd", m.jfChain(ps, 1.7)], ["jacobian", m.jacChain(ps, 1.7)[0]]] as const) {
    assert.is(got.length, ps.length, `${name}: one entry per point`);
    assert.equal(Object.keys(got[0]), ["x", "y"], `${name}: records of the points' keys`);
    nearAll(flat(got), want, 1e-8, `${name}(chain)`);
  }
  const [gps, gk] = m.gChainBoth(ps, 1.7);
  nearAll(flat(gps), want, 1e-8, "grad(chain, argnums [0, 1])[0]");
  near(gk, (p.chain(ps, 1.7 + 1e-6) - p.chain(ps, 1.7 - 1e-6)) / 2e-6, 1e-7, "grad(chain, argnums [0, 1])[1]");
  near(m.jacChain(ps, 1.7)[1], gk, 1e-12, "jacobian(chain, [ps, k])[1]");
  // the caller's array is read, not changed
  assert.equal(ps[0], { x: 0.3, y: 1.2 });
});

test("a vector output: each element's numbers are Tensors of the output's shape; a tuple output nests outside", async () => {
  const [m, p] = await Promise.all([compileAndImport(SRC, "record-arrays-2"), plain()]);
  const cols = fd((q: typeof pairs) => p.radii(q), pairs); // cols[input number][output]
  for (const [name, J] of [["jacrev", m.jrRadii(pairs)], ["jacfwd", m.jfRadii(pairs)], ["jacobian", m.jacRadii(pairs)]] as const) {
    assert.ok(Array.isArray(J) && J.length === pairs.length && Array.isArray(J[0]) && J[0].length === 2, `${name}: an array of pairs`);
    (flat(J) as unknown as Tensor[]).forEach((t, i) => {
      assert.equal(t.shape, [pairs.length], `${name}: each block has the output's shape`);
      nearAll(t.data, cols[i], 1e-8, `${name}(radii) column ${i}`);
    });
  }
  const want = fd((b: typeof bodies) => p.energies(b, 9.8), bodies);
  const [dKin, dPot] = m.jrEnergies(bodies, 9.8);
  assert.equal(Object.keys(dKin[0]), ["p", "v", "m"]);
  assert.ok(Array.isArray(dKin[0].p) && typeof dKin[0].v.x === "number", "nested tuples and records inside each element");
  nearAll(flat(dKin), want.map((r) => r[0]), 1e-8, "jacrev(energies)[0]");
  nearAll(flat(dPot), want.map((r) => r[1]), 1e-8, "jacrev(energies)[1]");
  const [[fKin, fKinG], [fPot, fPotG]] = m.jfEnergies(bodies, 9.8);
  nearAll(flat(fKin), flat(dKin), 1e-12, "jacfwd(energies, argnums [0, 1])[0][0]");
  nearAll(flat(fPot), flat(dPot), 1e-12, "jacfwd(energies, argnums [0, 1])[1][0]");
  assert.is(fKinG, 0);
  near(fPotG, bodies.reduce((s, b) => s + b.m * b.p[1], 0), 1e-12, "jacfwd(energies)[1][1]");
});

test("helpers taking the array, recursion over it, a helper read with a constant and with a differentiated array", async () => {
  const [m, p] = await Promise.all([compileAndImport(SRC, "record-arrays-3"), plain()]);
  nearAll(flat(m.gTotal(ps, 0.8)), fd((q: typeof ps) => p.total(q, 0.8), ps).map((r) => r[0]), 1e-8, "grad(total)");
  // the same loss differentiated by θ (the samples a constant) and by the samples
  const theta = Float64Array.of(0.9, 1.8);
  const gt = m.gTheta(theta, samples) as Tensor;
  nearAll(gt.data, [0, 1].map((i) => (p.loss(theta.map((v, j) => (j === i ? v + 1e-6 : v)), samples) - p.loss(theta.map((v, j) => (j === i ? v - 1e-6 : v)), samples)) / 2e-6), 1e-7, "grad(loss) by θ");
  const gd = m.gData(theta, samples);
  assert.equal(Object.keys(gd[0]), ["t", "y"]);
  nearAll(flat(gd), fd((s: typeof samples) => p.loss(theta, s), samples).map((r) => r[0]), 1e-8, "grad(loss, argnums 1)");
  near(m.gC(1.5, ps), 2 * 1.5 * p.cFirst(1, ps), 1e-12, "grad(cFirst): the array a constant");
  nearAll(flat(m.gMethods(ps, samples)), fd((q: typeof ps) => p.methods(q, samples), ps).map((r) => r[0]), 1e-8, "grad(methods): map, reduce, forEach, slice, some over records");
  const [gl, gc] = m.gLocal(ps, 0.6);
  nearAll(flat(gl), fd((q: typeof ps) => p.local(q, 0.6), ps).map((r) => r[0]), 1e-8, "grad(local): a local function taking the array");
  near(gc, (p.local(ps, 0.6 + 1e-6) - p.local(ps, 0.6 - 1e-6)) / 2e-6, 1e-7, "grad(local) by the captured number");
  nearAll(flat(m.gD(ps)), fd((q: typeof ps) => p.dFirst(q), ps).map((r) => r[0]), 1e-8, "grad(dFirst): the same helper differentiated");
});

test("hessian: an array of records of arrays of records, equal to differences of the gradient", async () => {
  const m = await compileAndImport(SRC, "record-arrays-4");
  for (const [name, H, g] of [["chain", m.hChain(ps, 1.7), (q: typeof ps) => flat(m.gChain(q, 1.7))], ["total", m.hTotal(ps, 0.8), (q: typeof ps) => flat(m.gTotal(q, 0.8))]] as const) {
    assert.is(H.length, ps.length);
    assert.equal(Object.keys(H[1]), ["x", "y"]);
    assert.is(H[1].y.length, ps.length);
    const rows = flat(H); // row-major: H[e1][m1][e2][m2]
    const cols = fd(g, ps, 1e-4); // cols[j][i] = ∂g_i/∂x_j
    const n = flat(ps).length;
    for (let i = 0; i < n; i++) nearAll(rows.slice(i * n, (i + 1) * n), cols.map((c) => c[i]), 1e-6, `hessian(${name}) row ${i}`);
  }
  // with the number k too (torch.func's nesting: the gradient's structure [points, k] outside, the inputs' inside)
  const [Hp, Hk] = m.hChainBoth(ps, 1.7);
  const hpp = Hp.map((r: any) => ({ x: r.x[0], y: r.y[0] }));
  const hpk = Hp.map((r: any) => ({ x: r.x[1], y: r.y[1] }));
  const [hkp, hkk] = Hk;
  nearAll(flat(hpp), flat(m.hChain(ps, 1.7)), 1e-12, "hessian(chain, [0, 1])[0][·][0]");
  const gk = (k: number) => flat(m.gChain(ps, k));
  nearAll(flat(hpk), gk(1.7 + 1e-6).map((a, i) => (a - gk(1.7 - 1e-6)[i]) / 2e-6), 1e-6, "hessian(chain, [0, 1])[0][·][1]");
  nearAll(flat(hkp), flat(hpk), 1e-10, "hessian(chain, [0, 1])[1][0] = [0][·][1]");
  assert.is(hkk, 0);
});

test("vjp and jvp: cotangents and tangents structured as the arguments, equal to the gradient and its directional derivative", async () => {
  const m = await compileAndImport(SRC, "record-arrays-6");
  const [out, back] = m.vjpChain(ps, 1.7);
  const [gps, gk] = m.gChainBoth(ps, 1.7);
  const [cps, ck] = back(1);
  assert.is(out, m.chainValue(ps, 1.7));
  assert.equal(Object.keys(cps[2]), ["x", "y"]);
  nearAll(flat(cps), flat(gps), 1e-12, "vjp(chain)'s cotangent of ps");
  near(ck, gk, 1e-12, "vjp(chain)'s cotangent of k");
  const [outs, backR] = m.vjpRadii(pairs);
  assert.is(outs.length, pairs.length);
  const J = m.jrRadii(pairs);
  (flat(backR(Float64Array.of(0, 1, 0))) as number[]).forEach((c, i) => near(c, (flat(J) as unknown as Tensor[])[i].data[1], 1e-12, `vjp(radii) row 1 [${i}]`));
  const dir = ps.map((_, i) => ({ x: 0.1 * (i + 1), y: -0.2 * i }));
  const [o2, t2] = m.jvpChain(ps, 1.7, dir, 0.5);
  near(o2, out, 0, "jvp(chain)'s value");
  near(t2, flat(gps).reduce((s, g, i) => s + g * flat(dir)[i], 0) + 0.5 * gk, 1e-10, "jvp(chain)'s tangent");
});

test("a wrong argument is a TypeError naming the element", async () => {
  const m = await compileAndImport(SRC, "record-arrays-5");
  assert.throws(() => m.gChain({ x: 1, y: 2 }, 1), (e: Error) => e instanceof TypeError && /argument 1 must be an array of records with `x`, `y`, got an object/.test(e.message));
  assert.throws(() => m.gChain([{ x: 1, y: 2 }, { x: 1 }], 1), (e: Error) => e instanceof TypeError && /argument 1\[1\] has no property `y`/.test(e.message));
  assert.throws(() => m.gChain([{ x: 1, y: "2" }], 1), (e: Error) => e instanceof TypeError && /argument 1\[0\]\.y must be a number, got string/.test(e.message));
  assert.throws(() => m.jrRadii([[1, 2], [3]]), (e: Error) => e instanceof TypeError && /argument 1\[1\] must be an array of 2 entries, got an array of 1/.test(e.message));
  // an empty array has an empty gradient
  assert.equal(m.gTotal([{ x: 0.5, y: 1 }], 1).length, 1);
  assert.equal(m.gChain([], 1), []);
});

test("where an array of records is not differentiated yet: diagnostics", () => {
  const fn = `interface P { x: number; y: number }\nfunction e(ps: P[], k: number): number { let s = 0; for (const p of ps) s += k * p.x * p.y; return s; }\n`;
  expectDiagnostic("record-array-vmap", `${fn}export const v = vmap(e, { inDims: ‸[0, null] });`, {
    code: "invalid-option",
    message: [/`ps` is not a number, array or Tensor, so it cannot be batched/],
  });
  expectDiagnostic("record-array-vjp-inside", `${fn}function outer(ps: P[]): number { const [y] = vjp(e, ‸[ps, 2]); return y; }\nexport const g = grad(outer);`, {
    code: "unsupported-construct",
    message: [/`vjp` differentiates the array of records `ps` only as a parameter of a function given to a marker in plain code/],
  });
  expectDiagnostic("record-array-inner", `${fn}function outer(ps: P[]): number { return grad(‸e)(ps, 2)[0].x; }\nexport const g = grad(outer);`, {
    code: "unsupported-construct",
    message: [/`grad` differentiates the array of records `ps` only as a parameter of a function given to a marker in plain code/],
  });
  expectDiagnostic("record-array-nested-marker", `${fn}export const h = jacfwd(grad(‸e));`, {
    code: "unsupported-construct",
    message: [/differentiates the array of records `ps` only as a parameter of a function given to a marker in plain code/],
  });
  expectDiagnostic("record-array-of-marker", `${fn}export const j = jacrev(grad(e, { argnums: 1 }), { argnums: ‸0 });`, {
    code: "unsupported-construct",
    message: [/`jacrev` differentiates the array of records `ps` only as a parameter of a function given to a marker in plain code \(not of a marker's result/],
  });
  expectDiagnostic("record-array-hessian-vector", `interface P { x: number; y: number }\nfunction r(ps: P[]): Float64Array { const o = new Float64Array(ps.length); for (let i = 0; i < ps.length; i++) o[i] = ps[i].x * ps[i].y; return o; }\nexport const h = hessian(‸r);`, {
    code: "unsupported-construct",
    message: [/`hessian` of an array of records or Tensors needs a function with a single number or 0-d Tensor output/],
  });
  expectDiagnostic("record-array-write", `${fn}function w(ps: P[]): number { ‸ps[0].x = 2; return ps[0].x; }\nexport const g = grad(w);`, {
    code: "unsupported-construct",
    message: [/only properties of records created in the function can be written/],
  });
  expectDiagnostic("record-array-select", `${fn}function w(ps: P[]): number[] { ‸return ps as unknown as number[]; }\nexport const g = jacrev(w);`, {
    code: "unsupported-construct",
    message: [/it cannot be returned, chosen by `\?:` or assigned/],
  });
  // an array of rows (ragged) is still a constant only
  expectDiagnostic("row-array-grad", `function s(x: number, m: number[][]): number { return x * m[0][0]; }\nexport const g = grad(s, { argnums: ‸1 });`, {
    code: "unsupported-type",
    message: [/an array of rows, or of records or tuples mixing numbers, Tensors and other values \(`number\[\]\[\]`\), which jacc reads as a constant but does not differentiate/],
  });
});

test.run();
