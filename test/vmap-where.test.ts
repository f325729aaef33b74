// vmap of tensor code with an if (or a ternary) on batched values: both arms
// run over the whole batch and each value they set is merged row by row
// (runtime/batching.ts bWhere), as JAX's select; the numbers equal the row
// loop's (CompilePaths { batch: false }) with rows taking each branch, in
// float64 and float32; arms of different per-example shapes are fine when
// every row takes one arm, and a RangeError otherwise (rows the row loop
// could not stack either); what the merge cannot express keeps the row loop.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";

const PROGRAMS = `
import { vmap, grad, jacrev, type Tensor } from "jacc";
export const ternary = vmap((x: Tensor) => (x.sum().item() > 0 ? x.exp() : x.neg()));
export function stmt(x: Tensor): Tensor {
  let y = x;
  if (x.sum().item() > 0.5) {
    y = x.mul(2);
  } else {
    y = x.sin().add(y);
  }
  return y.add(1);
}
export const vStmt = vmap(stmt);
export function noElse(x: Tensor, k: number): Tensor {
  let s = 0;
  let t = x;
  if (x.max().item() > 0.8 && k > 0) {
    s = x.sum().item() * k;
    t = x.tanh();
  }
  return t.mul(s + 1);
}
export const vNoElse = vmap(noElse, { inDims: [0, null] });
export const vNoElseK = vmap(noElse, { inDims: [0, 0] });
export function nested(x: Tensor): Tensor {
  let y = x.mul(0.5);
  const m = x.mean().item();
  if (m > 0) {
    if (m > 0.6) y = y.exp();
    else y = y.cos();
  } else if (!(m > -0.6)) {
    y = y.sigmoid().mul(m);
  }
  return y;
}
export const vNested = vmap(nested);
export const numberResult = vmap((x: Tensor) => (x.sum().item() > 0 ? x.sum().item() * 2 : 1 - x.prod().item()));
export const vJac = vmap(jacrev(stmt));
export const vGrad = vmap(grad((x: Tensor) => (x.sum().item() > 0.5 ? x.exp().sum() : x.mul(x).sum())));
export const shapes = vmap((x: Tensor) => (x.sum().item() > 0 ? x : x.sum()));
`;

const NAMES = ["ternary", "vStmt", "vNoElse", "vNoElseK", "vNested", "numberResult", "vJac", "vGrad"];

async function modules(dtype: string) {
  const fast = await compileAndImport(PROGRAMS, `vmap-where-${dtype}-on`);
  const slow = await withPaths({ batch: false }, () => compileAndImport(PROGRAMS, `vmap-where-${dtype}-off`));
  return { fast, slow };
}

const values = (x: unknown): number[] => (x instanceof Tensor ? Array.from(x.data) : typeof x === "number" ? [x] : Array.from(x as ArrayLike<number>));
const shape = (x: unknown): number[] => (x instanceof Tensor ? [...x.shape] : []);

test("the programs take the batched path (the merge), not the row loop; vmap(grad) of a branchy loss keeps it, saying why", () => {
  const code = compileOrThrow(PROGRAMS, "vmap-where-paths.ts", "ts").code;
  const fallbacks = [...code.matchAll(/function (\w+)\([^]*?vmap path: row loop \(((?!for WebGPU)[^\n]*)/g)].map((m) => `${m[1]}: ${m[2]}`);
  // vmap(grad) of the branchy loss: its reverse sweep reads a forward value of one arm (under the same condition) after the if: the row loop
  assert.equal(fallbacks.length, 1, fallbacks.join("\n"));
  assert.match(fallbacks[0], /is set in one branch only of a condition on batched values and read after it/);
  assert.ok((code.match(/__jt\.bWhere\(/g) ?? []).length >= 7);
});

for (const dtype of ["float64", "float32"] as const) {
  test(`merged branches == row loop, rows taking each branch, ${dtype}`, async () => {
    const { fast, slow } = await modules(dtype);
    const { tensor } = await import("jacc");
    // rows on both sides of every condition above (sums, maxima, means around the thresholds)
    const X = tensor([[0.9, 0.2, 0.1], [-0.9, -0.4, 0.3], [0.1, 0.2, 0.1], [1.5, 0.9, 0.3], [-0.1, -1.5, -0.8], [0.3, -0.2, 0.1]], { dtype });
    const K = tensor([1, 0, 2, -1, 3, 1], { dtype: "float64" });
    const tol = dtype === "float32" ? 1e-6 : 1e-14;
    for (const name of NAMES) {
      const args = name === "vNoElse" ? [X, 2] : name === "vNoElseK" ? [X, K] : [X];
      const a = fast[name](...args), b = slow[name](...args);
      assert.equal(shape(a), shape(b), `${name}: shape`);
      const va = values(a), vb = values(b);
      assert.is(va.length, vb.length, name);
      va.forEach((x, i) => assert.ok(Math.abs(x - vb[i]) <= tol * Math.max(1, Math.abs(vb[i])), `${name}[${i}]: batched ${x}, row loop ${vb[i]}`));
    }
  });
}

test("arms of different per-example shapes: the arm every row took, or a RangeError when rows differ", async () => {
  const { fast, slow } = await modules("float64");
  const { tensor } = await import("jacc");
  const pos = tensor([[1, 2], [3, 4]], { dtype: "float64" });
  const neg = tensor([[-1, -2], [-3, -4]], { dtype: "float64" });
  for (const X of [pos, neg]) {
    const a = fast.shapes(X), b = slow.shapes(X);
    assert.equal(shape(a), shape(b));
    assert.equal(values(a), values(b));
  }
  const mixed = tensor([[1, 2], [-3, -4]], { dtype: "float64" });
  assert.throws(() => fast.shapes(mixed), (e: Error) => e instanceof RangeError && /vmap: the two branches .* shapes \[2\] and \[\]/.test(e.message));
  // (the row loop cannot stack rows of two shapes either)
  assert.throws(() => slow.shapes(mixed));
});

test("early returns inside branches on batched values run batched and equal f row by row (a row's result is set once it has returned; two fuzzer findings among them)", async () => {
  const src = `
import { vmap, type Tensor } from "jacc";
// found by the fuzzer (2026-11): the batched result was one arm's value in every row
export function simple(x0: Tensor): Tensor {
  let acc = x0.sum().mul(0.5);
  if (acc.sum().item() > 0) return acc;
  return acc.add(acc.mul(0.5));
}
// found by the fuzzer (2026-12-07, fixtures/fuzz-tensor/fuzz_5e0a1c7b2d.ts): the next statement's result was written over the rows that had returned
export function nested(x0: Tensor): Tensor {
  let t0 = x0.sum().mul(0.5);
  let t1 = t0;
  if (t1.sum().item() > 0) {
    if (t1.max().item() > 0.4) return t1;
    t0 = t0.mul(0.5).add(t1.tanh());
    return t0;
  }
  return t1.add(t0);
}
export function both(x: Tensor): Tensor {
  let y = x.mul(2);
  if (x.sum().item() > 0) {
    if (x.max().item() > 0.6) return y.exp();
    y = y.sin();
  } else {
    if (x.min().item() < -1) return y.neg();
    y = y.cos();
  }
  if (y.sum().item() > 1) return y.mul(3);
  return y.add(x);
}
export function pair(x: Tensor): [Tensor, Tensor] {
  if (x.sum().item() > 0) return [x.exp(), x.sum()];
  const z = x.mul(x);
  if (z.max().item() > 1) return [z, z.sum().neg()];
  return [x.neg(), x.max()];
}
export const vSimple = vmap(simple), vNested = vmap(nested), vBoth = vmap(both), vPair = vmap(pair);
`;
  const code = compileOrThrow(src, "vmap-where-return.ts", "ts").code;
  for (const name of ["simple", "nested", "both", "pair"]) {
    const body = code.slice(code.indexOf(`function vmap_${name}_batched(`));
    assert.match(body.slice(0, body.indexOf("\n}\n")), "vmap path: batched (one op call per batch)", name);
  }
  const m = await compileAndImport(src, "vmap-where-return");
  const { tensor } = await import("jacc");
  for (const dtype of ["float64", "float32"]) {
    // rows taking every path: positive sums above and below the thresholds, negative sums, a small min
    const X = tensor([[0.5, 0.25, 1], [-1, -2, 0.5], [0.003, 0.008, 0.005], [0.3, 0.1, 0.2], [-0.2, 0.1, -0.3], [0.9, -0.8, 0.2]], { dtype: dtype as "float64" });
    const rows = [0, 1, 2, 3, 4, 5];
    for (const name of ["simple", "nested", "both"]) {
      const got = m[`v${name[0].toUpperCase()}${name.slice(1)}`](X);
      rows.forEach((r) => {
        const want = m[name](X.select(0, r));
        assert.equal([...got.select(0, r).data], [...want.data], `${name} row ${r} (${dtype})`);
      });
    }
    const [a, b] = m.vPair(X);
    rows.forEach((r) => {
      const [wa, wb] = m.pair(X.select(0, r));
      assert.equal([...a.select(0, r).data], [...wa.data], `pair[0] row ${r} (${dtype})`);
      assert.equal([...b.select(0, r).data], [...wb.data], `pair[1] row ${r} (${dtype})`);
    });
  }
});

test("an arm that does more than compute values keeps the row loop, saying why", () => {
  const code = compileOrThrow(`
import { vmap, type Tensor } from "jacc";
export const f = vmap((x: Tensor) => {
  let y = x;
  for (let i = 0; i < 3; i++) {
    if (y.sum().item() > 1) break;
    y = y.mul(2);
  }
  return y;
});
`, "vmap-where-loop.ts", "ts").code;
  assert.match(code, /vmap path: row loop \(/);
});

test.run();
