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

test("an early return inside a branch on batched values keeps the row loop (found by the fuzzer: the batched result was one arm's value in every row)", async () => {
  const src = `
import { vmap, type Tensor } from "jacc";
export function f(x0: Tensor): Tensor {
  let acc = x0.sum().mul(0.5);
  if (acc.sum().item() > 0) return acc;
  return acc.add(acc.mul(0.5));
}
export const vf = vmap(f);
`;
  assert.match(compileOrThrow(src, "vmap-where-return.ts", "ts").code, /vmap path: row loop \('out' is set in one branch only of a condition on batched values and read after it\)/);
  const m = await compileAndImport(src, "vmap-where-return");
  const { tensor } = await import("jacc");
  const X = tensor([[0.5, 0.25, 1], [-1, -2, 0.5], [0.003, 0.008, 0.005]], { dtype: "float64" });
  const got = m.vf(X);
  assert.equal([...got.shape], [3]);
  [0, 1, 2].forEach((r) => assert.is(got.data[r], m.f(X.select(0, r)).item()));
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
