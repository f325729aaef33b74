// Markers used inside blocks and functions: the generated code reads the
// enclosing scope's locals when it runs (as the original closure would), checks
// its argument count, and resolves aliased Tensor types.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport } from "./util/compile.js";

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
