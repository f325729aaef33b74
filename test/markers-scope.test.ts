// Markers used inside blocks and functions: the generated code reads the
// enclosing scope's locals when it runs (as the original closure would), checks
// its argument count, and resolves aliased Tensor types and tuple types.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { compileAndImport, tmpDir } from "./util/compile.js";

test("a marker inside a function reads that function's locals when it runs", async () => {
  const m = await compileAndImport(
    `import { grad, jacrev, tensor, type Tensor as T } from "jacc";
export function make(k: number) {
  const f = (x: number) => k * x * x;
  return grad(f);
}
export function inLoop() {
  const out: number[] = [];
  for (let k = 1; k <= 3; k++) {
    const W = tensor([[k, 0], [0, 2 * k]], { dtype: "float64" });
    const g = (x: T) => W.matmul(x).sum();
    out.push(...(jacrev(g)(tensor([1, 1], { dtype: "float64" })).toArray() as number[]));
  }
  return out;
}
export function late() {
  let k = 2;
  const f = (x: number) => k * x;
  const d = grad(f);
  k = 5; // read when the derivative runs, as the closure would
  return d(1);
}`,
    "markers-scope",
  );
  assert.is(m.make(3)(2), 12);
  assert.equal(m.inLoop(), [1, 2, 2, 4, 3, 6]);
  assert.is(m.late(), 5);
});

test("a generated function checks its argument count (TypeError naming the marker)", async () => {
  const m = await compileAndImport(
    `import { grad, jacrev } from "jacc";
const f = (x: number, y: number) => x * y;
const g = (x: number, k = 3) => x * k;
export const df = grad(f);
export const dg = jacrev(g);`,
    "markers-arity",
  );
  assert.throws(() => m.df(1), (e: unknown) => e instanceof TypeError && /grad\(f\): expected 2 arguments, got 1/.test(String(e)));
  assert.throws(() => m.df(1, 2, 3), TypeError);
  assert.is(m.df(2, 3), 3);
  assert.is(m.dg(2), 3);
  assert.is(m.dg(2, 5), 5);
});



test("a tuple output declared through a type alias is a tuple output (SPEC §3): aliases of aliases, readonly, imported, re-exported", async () => {
  fs.mkdirSync(tmpDir, { recursive: true });
  fs.writeFileSync(path.join(tmpDir, "tuple-types.ts"), `export type Pair = readonly [number, number];\nexport type Vec = readonly number[];\ntype Hidden = [number, number, number];\nexport { Hidden as Triple };\nexport type { Two } from "./tuple-types-2.js";\n`);
  fs.writeFileSync(path.join(tmpDir, "tuple-types-2.ts"), `export type Two = [number, number];\n`);
  const m = await compileAndImport(
    `import { jacobian, jacrev, jacfwd, vjp, jvp } from "jacc";
import type { Pair, Triple, Two, Vec } from "./tuple-types.js";
type V3 = [number, number, number];
type W3 = V3;
type R2 = Readonly<[number, number]>;
type RO = readonly [number, number];
const f = (x: number): V3 => [x, 2 * x, x * x];
const g = (x: number): W3 => [x, 2 * x, x * x];
function h(x: number): R2 { return [x, 3 * x]; }
const k = (x: number, y: number): RO => [x * y, x + y];
const p = (x: number): Pair => [x, 4 * x];
const q = (x: number): Triple => [x, 4 * x, 5 * x];
const r = (x: number): Two => [x, 6 * x];
function nested(x: number) {
  type L = [number, number];
  const inner = (y: number): L => [y, y * y];
  const [a, b] = inner(x);
  return a + b;
}
const cast = (x: number) => [x, x * x] as RO;
const dotSelf = (v: Vec) => v[0] * v[1];
export const jf = jacobian(f, 2);
export const jg = jacrev(g)(2);
export const jh = jacfwd(h)(2);
export const jk = jacobian(k, [2, 3]);
export const jp = jacrev(p)(2);
export const jq = jacfwd(q)(2);
export const jr = jacobian(r, 2);
export const jn = jacobian(nested, 3);
export const jc = jacobian(cast, 3);
export const [vOut, vjpFn] = vjp(g, [2]);
export const vj = vjpFn([1, 1, 1]);
export const jv = jvp(f, [2], [1]);
export const gv = jacrev(dotSelf)([2, 3]).toArray();`,
    "tuple-alias",
  );
  // a tuple output gives an array with one block per output (a vector output would be one Tensor)
  assert.equal(m.jf, [1, 2, 4]);
  assert.equal(m.jg, [1, 2, 4]);
  assert.equal(m.jh, [1, 3]);
  assert.equal(m.jk, [[3, 2], [1, 1]]);
  assert.equal(m.jp, [1, 4]);
  assert.equal(m.jq, [1, 4, 5]);
  assert.equal(m.jr, [1, 6]);
  assert.is(m.jn, 7);
  assert.equal(m.jc, [1, 6]);
  assert.equal(m.vOut, [2, 4, 4]);
  assert.equal(m.vj, [7]);
  assert.equal(m.jv, [[2, 4, 4], [1, 2, 4]]);
  // an imported alias of a parameter type too
  assert.equal(m.gv, [3, 2]);
});

test("jacc's own ops as a marker's function: jacrev(sin), jacfwd(exp), jacrev(mul, argnums)", async () => {
  const m = await compileAndImport(
    `import { jacrev, jacfwd, sin, exp, mul, tensor } from "jacc";
const x = tensor([0.1, 0.5], { dtype: "float64" });
export const a = jacrev(sin)(x).toArray();
export const b = jacfwd(exp)(x).toArray();
export const c = jacrev(mul, { argnums: [0, 1] })(x, x.mul(2)).map((t: any) => t.toArray());`,
    "markers-ops",
  );
  assert.equal(m.a, [[Math.cos(0.1), 0], [0, Math.cos(0.5)]]);
  assert.equal(m.b, [[Math.exp(0.1), 0], [0, Math.exp(0.5)]]);
  assert.equal(m.c, [[[0.2, 0], [0, 1]], [[0.1, 0], [0, 0.5]]]);
});
test.run();
