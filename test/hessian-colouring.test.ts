// Column-coloured Hessians and tangent lanes (issue 19). The coloured Hessian
// (sparsity pattern by the pattern twin, cached per argument lengths where the
// path depends on them alone, several colours per forward-over-reverse sweep)
// must give the dense path's numbers (CompileOptions.paths { colouring: false }:
// one sweep per input) at every point and size: Rosenbrock, a banded program,
// data-dependent indexing and a branch that changes the pattern (both must not
// be cached), sizes that change between calls. Tolerances: 1e-12 relative
// between the coloured and dense paths (a coloured sweep adds structural zeros
// of the other columns of its colour, nothing else), exact equality between
// lanes on and off (each lane computes what one sweep computes), 1e-6 against
// central differences of the gradient. Forward lanes: jacfwd == jacrev at
// lengths that are not a multiple of the lane count.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { compileModule } from "../compiler/index.js";
import { HESSIAN_LANES, TANGENT_LANES } from "../compiler/ad/lanes.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";

const HESSIANS = `
import { grad, hessian, jacfwd, jacrev } from "jacc";
export function rosen(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i += 2) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}
// bandwidth 2: x[i] meets x[i + 1] and x[i + 2]; a product chain keeps values on the tape
export function banded(x: Float64Array): number {
  let s = 0, p = 1;
  for (let i = 0; i < x.length; i++) {
    const a = x[i], b = i + 1 < x.length ? x[i + 1] : 0, c = i + 2 < x.length ? x[i + 2] : 1;
    s += Math.sin(a * b) + a * c * c;
    p = p * Math.cos(0.1 * a);
  }
  return s + p;
}
// an index computed from a value: which entries interact depends on x[0]
export function gather(x: Float64Array): number {
  const k = Math.floor(Math.abs(x[0]) * 10) % x.length;
  let s = x[k] * x[k] * x[1];
  for (let i = 1; i < x.length; i++) s += x[i] * x[i - 1];
  return s;
}
// a branch on a value changes the pattern: x[i]·x[i+1] where x[i] > 0, x[i]³ elsewhere
export function signs(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0) s += x[i] * x[(i + 1) % x.length]; else s += x[i] ** 3;
  }
  return s;
}
// a number parameter next to the vector: the cache key holds both arguments' shapes
export function scaled(x: Float64Array, w: number): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += w * Math.exp(x[i] - x[i + 1]);
  return s;
}
export const hRosen = hessian(rosen), hBanded = hessian(banded), hGather = hessian(gather), hSigns = hessian(signs), hScaled = hessian(scaled);
export const gRosen = grad(rosen), gBanded = grad(banded), gGather = grad(gather), gSigns = grad(signs);
`;

const ARM = `
import { jacfwd, jacrev } from "jacc";
export function arm(q: Float64Array) {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) {
    th += q[i];
    x += (1 + 0.1 * i) * Math.cos(th);
    y += (1 + 0.1 * i) * Math.sin(th);
  }
  return [x, y];
}
export function poly(v: Float64Array): [number, number, number] {
  let a = 0, b = 1;
  for (let i = 0; i < v.length; i++) {
    a += v[i] * v[i];
    b *= 1 + 0.5 * Math.tanh(v[i]);
  }
  return [a, b, a * b];
}
export const fArm = jacfwd(arm), rArm = jacrev(arm), fPoly = jacfwd(poly), rPoly = jacrev(poly);
`;

const flat = (t: unknown): number[] => (t instanceof Tensor ? Array.from(t.data) : Array.isArray(t) ? t.flatMap(flat) : [t as number]);

function agree(a: number[], b: number[], tol: number, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue; // (gather at n = 1 reads past the end on both paths)
    const d = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(d <= tol)) assert.unreachable(`${what}: entry ${i}: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
  }
}

const points = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 1.2);

const exportLine = (code: string, name: string) => code.split("\n").find((l) => l.startsWith(`export const ${name} =`) || l.includes(` ${name} = `)) ?? "";

test("the coloured path: cached only where the path depends on lengths alone, laned, into kept arrays", () => {
  const code = compileOrThrow(HESSIANS, "hessians.ts").code;
  // (the markers of one declaration share a line: up to the end of this one's call)
  const call = (name: string) => code.match(new RegExp(`${name} = \\(\\(\\.\\.\\.args\\) => __jt\\.adHessianSparse\\(([^\\n]*?)\\)\\)(,|;)`))?.[1] ?? "";
  for (const h of ["hRosen", "hBanded", "hScaled"]) {
    // (the sweep's own gradient is dropped: its 4 tangents alone, into 4 kept arrays)
    assert.match(call(h), /__jaccHessianCache_\w+\(\), \w+_lanes\d*_into, 4, 4$/, `${h}: cached, ${HESSIAN_LANES} lanes, results into ${HESSIAN_LANES} kept arrays\n${exportLine(code, h)}`);
  }
  for (const h of ["hGather", "hSigns"]) {
    assert.ok(call(h), `${h} is coloured\n${exportLine(code, h)}`);
    assert.not.match(call(h), /HessianCache/, `${h}: the pattern depends on values: computed at every call, never cached`);
  }
  // the switch: one forward-over-reverse sweep per input
  const dense = withPaths({ colouring: false }, () => compileOrThrow(HESSIANS, "hessians.ts").code);
  assert.not.ok(dense.includes("adHessianSparse"), "paths { colouring: false }: dense");
});

test("coloured == dense == lanes off, at points and sizes that change between calls", async () => {
  const col = await compileAndImport(HESSIANS, "hcol");
  const dense = await withPaths({ colouring: false }, () => compileAndImport(HESSIANS, "hdense"));
  const single = await withPaths({ lanes: false }, () => compileAndImport(HESSIANS, "hsingle"));
  // the dense path is jacfwd(grad): 4 input columns per forward-over-reverse sweep, laned over the tape too
  const denseSingle = await withPaths({ colouring: false, lanes: false }, () => compileAndImport(HESSIANS, "hdense-single"));
  // sizes in turn (the cache is keyed by the lengths): n = 1 … 17, back to small, then odd ones
  const sizes = [10, 3, 17, 10, 1, 2, 9, 4, 10, 13];
  sizes.forEach((n, k) => {
    for (const seed of [k, k + 0.5]) {
      const x = points(n, seed);
      for (const h of ["hRosen", "hBanded", "hGather", "hSigns"]) {
        const a = flat(col[h](x));
        agree(a, flat(dense[h](x)), 1e-12, `${h} n = ${n} seed ${seed} (coloured vs dense)`);
        assert.equal(a, flat(single[h](x)), `${h} n = ${n}: lanes on and off give the same numbers`);
        assert.equal(flat(dense[h](x)), flat(denseSingle[h](x)), `${h} n = ${n}: dense, lanes on and off`);
      }
      for (const w of [0.5, -2]) agree(flat(col.hScaled(x, w)), flat(dense.hScaled(x, w)), 1e-12, `hScaled n = ${n} w = ${w}`);
    }
  });
});

test("data-dependent pattern: points on both sides of the branch, indices that move", async () => {
  const col = await compileAndImport(HESSIANS, "hcol");
  const dense = await withPaths({ colouring: false }, () => compileAndImport(HESSIANS, "hdense"));
  // signs: all positive (a chain), all negative (diagonal), mixed, in turn at one size
  const n = 8;
  const pos = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.1 * i);
  const neg = pos.map((v) => -v);
  const mixed = pos.map((v, i) => (i % 2 ? v : -v));
  for (const x of [pos, neg, mixed, pos, neg]) agree(flat(col.hSigns(x)), flat(dense.hSigns(x)), 1e-12, `signs at ${Array.from(x)}`);
  // the off-diagonal block of a positive point is non-zero, that of a negative point zero: the patterns differ
  assert.ok(flat(col.hSigns(pos))[1] !== 0 && flat(col.hSigns(neg))[1] === 0, "the two sides have different patterns");
  // gather: x[0] moves the index k through every entry
  for (let k = 0; k < n; k++) {
    const x = points(n, 3);
    x[0] = (k + 0.5) / 10;
    agree(flat(col.hGather(x)), flat(dense.hGather(x)), 1e-12, `gather with k = ${k}`);
  }
});

test("Hessians agree with central differences of the gradient", async () => {
  const m = await compileAndImport(HESSIANS, "hcol");
  for (const [h, g] of [["hRosen", "gRosen"], ["hBanded", "gBanded"], ["hGather", "gGather"], ["hSigns", "gSigns"]]) {
    for (const n of [5, 9]) {
      const x = points(n, 2);
      const H = flat(m[h](x));
      const eps = 1e-6;
      for (let j = 0; j < n; j++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[j] += eps;
        xm[j] -= eps;
        const gp = flat(m[g](xp)), gm = flat(m[g](xm));
        for (let i = 0; i < n; i++) {
          const fd = (gp[i] - gm[i]) / (2 * eps);
          const e = Math.abs(H[i * n + j] - fd) / (1 + Math.abs(fd));
          assert.ok(e < 1e-6, `${h} n = ${n}: H[${i}, ${j}] = ${H[i * n + j]}, finite differences ${fd}`);
        }
      }
    }
  }
});

test("a result is not overwritten by the next call (the sweep's arrays are kept with the colouring)", async () => {
  const m = await compileAndImport(HESSIANS, "hcol");
  const x = points(6, 1);
  const first = m.hRosen(x);
  const copy = flat(first);
  m.hRosen(points(6, 2));
  assert.equal(flat(first), copy);
  assert.is.not(m.hRosen(x), m.hRosen(x), "a fresh Tensor per call");
});

test("forward lanes: jacfwd == jacrev at lengths that are not a multiple of the lane count", async () => {
  const m = await compileAndImport(ARM, "fwdlanes");
  const one = await withPaths({ lanes: false }, () => compileAndImport(ARM, "fwdlanes-off"));
  for (const n of [0, 1, 3, TANGENT_LANES - 1, TANGENT_LANES, TANGENT_LANES + 1, 2 * TANGENT_LANES + 3, 30]) {
    const q = points(n, 4);
    agree(flat(m.fArm(q)), flat(m.rArm(q)), 1e-12, `arm n = ${n}`);
    agree(flat(m.fPoly(q)), flat(m.rPoly(q)), 1e-12, `poly n = ${n}`);
    assert.equal(flat(m.fArm(q)), flat(one.fArm(q)), `arm n = ${n}: lanes on and off give the same numbers`);
    assert.equal(flat(m.fPoly(q)), flat(one.fPoly(q)), `poly n = ${n}: lanes on and off`);
  }
});

test("jacc explain: the Hessian's path, and the mode that fits the shape", () => {
  const modes = (src: string, name: string, paths?: object) =>
    (compileModule(src, "explain.ts", { explain: true, paths }).markers ?? []).filter((r) => r.functionName === name).map((r) => `${r.marker}: ${(r.modes ?? []).join("\n")}`);
  const [hRosen] = modes(HESSIANS, "rosen");
  assert.match(hRosen, /hessian path: column-coloured/);
  assert.match(hRosen, /computed once per argument lengths and cached/);
  assert.match(hRosen, new RegExp(`${HESSIAN_LANES} colours per forward-over-reverse sweep`));
  assert.match(modes(HESSIANS, "signs")[0], /computed at every call/);
  assert.match(modes(HESSIANS, "rosen", { colouring: false })[0], /hessian path: dense, one forward-over-reverse sweep per input \(CompileOptions.paths \{ colouring: false \}\)/);
  // a function reading a captured local is emitted with the dense sweeps: explain says so, naming the local
  const captured = `import { hessian } from "jacc";\nexport function outer(k: number) {\n  const f = (x: number[]): number => { let s = 0; for (let i = 0; i < x.length; i++) s += k * x[i] * x[i]; return s; };\n  return hessian(f)([1, 2, 3]);\n}\n`;
  const [hCap] = modes(captured, "f");
  assert.match(hCap, /hessian path: dense, one forward-over-reverse sweep per input \(it reads captured locals \(k\)/);
  assert.not.match(hCap, /column-coloured/);
  const [fwd, rev] = modes(ARM, "arm");
  assert.match(fwd, /^jacfwd: modes: inputs 1 vector of n numbers, output 2 numbers/);
  assert.match(fwd, /reverse mode fits this shape better/);
  assert.not.match(rev, /fits this shape better/, "jacrev of a 2-output function is the right mode");
  const many = `import { jacrev } from "jacc";\nexport function f(a: number, b: number): number[] { return [a, b, a * b, a + b, a - b, a / b, a * a, b * b, a * b * b, 1]; }\nexport const j = jacrev(f);\n`;
  assert.match(modes(many, "f")[0], /forward mode fits this shape better: jacfwd makes 2 sweeps where jacrev makes 10/);
});

test.run();
