// vmap of Tensor code that computes with scalars runs its program-of-numbers
// twin (compiler/ad/scalarize.ts, ad/batch-scalar.ts) where the inputs are
// CPU tensors of 1-D examples (float64 or float32, a twin each), and the batched tensor code elsewhere;
// both give the row loop's numbers. The row loops of top-level vmaps write
// vector results and Jacobian blocks in place (ad/batch-rows.ts): the same
// numbers as the general path.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";

const SRC = `
import { vmap, jacrev, jacfwd, stack, cat, tensor, type Tensor } from "jacc";
export function g(v: Tensor): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
  return stack([y.sub(x).mul(10), x.mul(z.neg().add(28)).sub(y), x.mul(y).sub(z.mul(8 / 3))]);
}
// an unbatched Tensor parameter, a batched number, negative indices, cat of stacks, elementwise over a stack
export function h(v: Tensor, p: Tensor, s: number): Tensor {
  const a = v.select(0, -1).sin().mul(p.select(0, 0)), b = v.index(1).exp().mul(s);
  return cat([stack([a, b]).mul(2).add(p.select(0, 1)), stack([a.mul(b).tanh()])]);
}
export function k(v: Tensor): number { return v.select(0, 0).mul(v.select(0, 2)).item() * 3; }
export const vg = vmap(g);
export const vjr = vmap(jacrev(g));
export const vjf = vmap(jacfwd(g), { inDims: 1, outDims: -1 });
export const vh = vmap(h, { inDims: [0, null, 0] });
export const vhj = vmap(jacrev(h), { inDims: [0, null, 0] });
export const vk = vmap(k);
`;

const CALLS = `
const V = tensor([[1, 2, 3], [-0.5, 0.25, 4], [2, -1, 0.5], [0.1, 0.2, 0.3]], { dtype: "float64" });
const V5 = tensor([[1, 2, 3, 4, 5], [-0.5, 0.25, 4, 1, 2]], { dtype: "float64" });
const P = tensor([0.7, -0.2], { dtype: "float64" });
const S = Float64Array.from([0.5, 1.5, -1, 2]);
export const out = [vg(V), vjr(V), vjf(V.t()), vh(V, P, S), vhj(V, P, S), vk(V), vg(V5), vjr(V5), vg(V.to("float32")), vjr(V.to("float32"))];
`;

test("Tensor code of scalars: the twin runs where the inputs allow; the same numbers as the tensor path and the row loop", async () => {
  const code = compileOrThrow(SRC, "scalar-rows.ts").code;
  assert.is((code.match(/vmap path: scalar rows where the inputs allow/g) ?? []).length, 6, "every vmap has a twin");
  assert.match(code, /__jt\.bScalarRows\(\[\w+\], \[0\], \[3\]\)/, "g needs 3 entries");
  assert.match(code, /__jt\.bScalarRows\(\[\w+, \w+\], \[0,null\], \[2,2\]\)/, "h: v batched (index -1 and 1: 2 entries), p unbatched (2 entries)");
  const on = await compileAndImport(SRC + CALLS, "scalar-rows-on");
  // the tensor path: the twin's guard never holds for float32, so compare through a float32 copy made float64 again
  const rows = await withPaths({ batch: false }, () => compileAndImport(SRC + CALLS, "scalar-rows-off"));
  on.out.forEach((a: Tensor | Float64Array, i: number) => {
    const b = rows.out[i];
    if (a instanceof Tensor) {
      assert.ok(b instanceof Tensor, `out ${i}`);
      assert.equal([...a.shape], [...b.shape], `out ${i} shape`);
      assert.is(a.dtype, b.dtype, `out ${i} dtype`);
    }
    const da = a instanceof Tensor ? a.data : a, db = b instanceof Tensor ? b.data : b;
    assert.is(da.length, db.length, `out ${i} length`);
    // (the float32 twin's values are the tensor path's exactly; its Jacobians are computed in float64 from them)
    const tol = a instanceof Tensor && a.dtype === "float32" ? (i === 8 ? 0 : 1e-5) : 1e-13;
    da.forEach((x: number, j: number) => assert.ok(Math.abs(x - db[j]) <= tol * Math.max(1, Math.abs(db[j])), `out ${i}[${j}]: ${x} vs row loop ${db[j]}`));
  });
  // by hand: the Lorenz Jacobian at (1, 2, 3) and the zero columns of the unused entries
  assert.equal(Array.from(on.out[1].select(0, 0).data), [-10, 10, 0, 25, -1, -1, 2, 1, -8 / 3]);
  assert.equal([...on.out[7].shape], [2, 3, 5]);
  assert.equal(Array.from(on.out[7].select(0, 0).select(0, 0).data), [-10, 10, 0, 0, 0]);
});

// float32 inputs run the float32 twin: each tensor op's result, and a number given to one, rounded to
// float32 as the tensor code rounds them, so its values (and branches) are the tensor path's, bit for bit
const F32 = `
import { vmap, jacrev, jacfwd, stack, tensor, type Tensor } from "jacc";
export function w(v: Tensor, s: number): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1);
  const k = x.mul(y).item() * 0.1 + s;
  const a = x.mul(k).sin(), b = y.div(3).exp().sub(1.7);
  return stack([a, b, a.mul(b).add(k), x.tanh().mul(8 / 3)]).mul(s);
}
export const vw = vmap(w);
export const vwr = vmap(jacrev(w), { inDims: [0, null] });
export const vwf = vmap(jacfwd(w), { inDims: [0, null] });
const V = tensor([[1.1, 2.3], [-0.7, 0.45], [2.2, -1.3], [0.123, 0.456]], { dtype: "float32" });
export const out = [vw(V, Float64Array.from([0.3, -1.1, 2.5, 0.77])), vwr(V, 1.3), vwf(V, 1.3)];
`;

test("float32 inputs: the float32 twin gives the tensor path's values bit for bit, its Jacobians to float32 rounding", async () => {
  const code = compileOrThrow(F32, "scalar-rows-f32.ts").code;
  assert.is((code.match(/__jt\.bScalarRows\([^)]*"float32"\)/g) ?? []).length, 3, "a float32 guard per vmap");
  assert.match(code, /Math\.fround\(/);
  assert.match(code, /2\.6666667461395264/, "the number 8 / 3 given to a float32 tensor op is rounded first");
  const on = await compileAndImport(F32, "scalar-rows-f32-on");
  const rows = await withPaths({ batch: false }, () => compileAndImport(F32, "scalar-rows-f32-off"));
  on.out.forEach((a: Tensor, i: number) => {
    const b = rows.out[i] as Tensor;
    assert.is(a.dtype, "float32", `out ${i} dtype`);
    assert.is(b.dtype, "float32", `row loop ${i} dtype`);
    assert.equal([...a.shape], [...b.shape], `out ${i} shape`);
    if (i === 0) assert.equal(Array.from(a.data), Array.from(b.data), "the values, bit for bit");
    else a.data.forEach((x: number, j: number) => assert.ok(Math.abs(x - b.data[j]) <= 2e-6 * Math.max(1, Math.abs(b.data[j])), `out ${i}[${j}]: ${x} vs row loop ${b.data[j]}`));
  });
  // jacrev and jacfwd of the twin: float64 sweeps from the same float32 values, rounded once at the end
  on.out[1].data.forEach((x: number, j: number) => assert.ok(Math.abs(x - on.out[2].data[j]) <= 1e-7 * Math.max(1, Math.abs(x)), `jacrev ${x} vs jacfwd ${on.out[2].data[j]}`));
});

test("the twin's guard: short examples, other ranks and WebGPU-free fallbacks keep the tensor path's behaviour", async () => {
  const m = await compileAndImport(SRC + "export { tensor };\n", "scalar-rows-guard");
  const { tensor } = await import("jacc");
  // examples of 2 entries: select(0, 2) is out of range, as on the tensor path
  assert.throws(() => m.vg(tensor([[1, 2], [3, 4]], { dtype: "float64" })), (e: Error) => e instanceof RangeError && /select/.test(e.message));
  // 2-D examples: the tensor path (each select is a row)
  const M = tensor([[[1, 2], [3, 4], [5, 6]]], { dtype: "float64" });
  assert.equal([...m.vg(M).shape], [1, 3, 2]);
});

const NUMS = `
import { vmap, jacrev, jacfwd } from "jacc";
export function arm(q: Float64Array): number[] {
  let x = 0, y = 0, a = 0;
  for (let i = 0; i < q.length; i++) { a += q[i]; x += Math.cos(a); y += Math.sin(a); }
  return [x, y, x * y];
}
export function pick(q: Float64Array): number[] { return q[0] > 0 ? [q[0], q[1]] : [q[1], q[0]]; }
export const va = vmap(arm);
export const vja = vmap(jacrev(arm));
export const vjf = vmap(jacfwd(arm), { inDims: 1, outDims: 2 });
export const vp = vmap(pick);
`;

test("row loops write vector results and Jacobian blocks in place: the same numbers as the general path", async () => {
  const code = compileOrThrow(NUMS, "rows-in-place.ts").code;
  assert.match(code, /__jt\.adRowsAlloc\(/);
  assert.match(code, /__jt\.adRowLen\(/);
  const on = await compileAndImport(NUMS + "export { };\n", "rows-in-place-on");
  const { tensor } = await import("jacc");
  const Q = tensor([[0.1, 0.2, 0.3, 0.4], [-1, 0.5, 2, 0.25], [0.3, 0.3, -0.3, 1]], { dtype: "float64" });
  const results = [on.va(Q), on.vja(Q), on.vjf(Q.t()), on.vp(Q)];
  // the general path: the same functions called row by row
  const one = await compileAndImport(`
import { jacrev, jacfwd } from "jacc";
${NUMS.split("export const")[0]}
export const ja = jacrev(arm);
export const jf = jacfwd(arm);
`, "rows-in-place-one");
  for (let b = 0; b < 3; b++) {
    const q = Q.select(0, b).data as Float64Array;
    assert.equal(Array.from(results[0].select(0, b).data), one.arm(q), `arm row ${b}`);
    assert.equal(Array.from(results[1].select(0, b).data), Array.from(one.ja(q).data), `jacrev row ${b}`);
    assert.equal(Array.from(results[2].select(2, b).data), Array.from(one.jf(q).data), `jacfwd row ${b}`);
    assert.equal(Array.from(results[3].select(0, b).data), one.pick(q), `pick row ${b}`);
  }
  assert.equal([...results[2].shape], [3, 4, 3]);
  // an empty batch: as before, nothing to stack
  const empty = on.va(tensor([], { dtype: "float64" }).reshape(0, 4));
  assert.equal(empty === undefined ? [] : [...empty.shape], empty === undefined ? [] : [0, 3]);
});

// found by the fuzzer (seed 20261246): the row reads past its end (x0[1] of a 1-entry row is undefined, so the
// loop's condition is false); read in place, that index must not reach into the next row
const PAST_END = `
import { vmap } from "jacc";
export function f(x0: number[]): number {
  let acc = 0;
  let i0 = 0;
  while (i0 < x0.length) {
    if (!(i0 > acc)) {
      let it1 = 0;
      do {
        it1++;
        acc++;
        i0++;
      } while (acc >= x0[i0] && it1 < 2);
    }
    i0++;
  }
  return acc + 0.5 * (acc);
}
export const g = (x: number[]) => x[-1] === undefined && x[x.length] === undefined && x[0.5] === undefined ? x[0] : NaN;
export const vf = vmap(f);
export const vg = vmap(g);
`;

test("rows read in place: an index past the row's end (or before it, or between entries) reads undefined, as the row's own array does", async () => {
  const m = await compileAndImport(PAST_END, "rows-past-end");
  const { tensor } = await import("jacc");
  const rows = [[0.00329], [0.00329], [0.00329]];
  assert.equal(Array.from(m.vf(tensor(rows, { dtype: "float64" })).data as Float64Array), rows.map((r) => m.f(r)));
  assert.equal(m.f([0.00329]), 1.5);
  const two = [[1, 2], [3, 4], [5, 6]];
  assert.equal(Array.from(m.vg(tensor(two, { dtype: "float64" })).data as Float64Array), [1, 3, 5]);
});

test.run();
