// vmap(vmap(f)) of tensor code runs as one vmap over the product of the batches
// (compiler/ad/batch-nested.ts): the same numbers, shapes and dtypes as the
// nested row loops (CompilePaths { batch: false }) for every placement of the
// levels' inDims / outDims (0, 1, negative, null), several arguments, three
// levels and vmap(vmap(grad)); programs it cannot merge keep their row loops and
// say why; bad batches are RangeErrors naming vmap and the level.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { throwsWith } from "./runtime-assert.js";

const SRC = (dtype: string) => `
import { vmap, grad, tensor, type Tensor } from "jacc";
const __u = (n: number, ...s: number[]) => { const k = s.reduce((a, b) => a * b, 1); return tensor(Array.from({ length: k }, (_, i) => 0.5 + Math.abs(Math.sin(n + i * 1.3))), { dtype: "${dtype}" }).reshape(s); };
function f(x: Tensor): Tensor { return x.sin().mul(x.sum()).add(x.square().softmax(-1)); }
function h(x: Tensor, w: Tensor): Tensor { return x.matmul(w).tanh().add(x.sum(-1, true)); }
function two(x: Tensor, y: Tensor): [Tensor, Tensor] { return [x.mul(y.sum()), y.exp().mean(0)]; }
function s(x: Tensor): number { return x.sin().mul(x).sum().item(); }
const X3 = __u(1, 3, 4, 5), Y = __u(2, 5, 3, 4), A = __u(3, 2, 3, 4), W = __u(4, 6, 4, 5), Z = __u(5, 2, 3, 4, 5), P = __u(6, 4, 3);
export const r0 = vmap(vmap(f))(X3);
export const r1 = vmap(vmap(f, { inDims: 1 }), { inDims: 1, outDims: 1 })(Y);
export const r2 = vmap(vmap(h, { inDims: [0, null] }), { inDims: [null, 0], outDims: 1 })(A, W);
export const r3 = vmap(vmap(vmap(f), { inDims: 2, outDims: -1 }))(Z);
export const r4 = vmap(vmap(grad(s)))(X3);
export const r5 = vmap(vmap(two, { inDims: [0, null], outDims: [0, -1] }), { inDims: [0, 1] })(X3.transpose(0, 1), P.t());
export const r6 = vmap(vmap(f, { inDims: -1, outDims: -1 }), { inDims: -1, outDims: 0 })(X3);
`;

const flat = (x: unknown): unknown[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

for (const dtype of ["float64", "float32"]) {
  test(`vmap(vmap(f)) merged == nested row loops, ${dtype}`, async () => {
    const code = compileOrThrow(SRC(dtype), `vmap-nested-${dtype}.ts`).code;
    assert.is(code.split("nested vmaps as one over the product of their batches").length - 1, 7, "every program is merged");
    const fast = await compileAndImport(SRC(dtype), `vmap-nested-${dtype}-on`);
    const slow = await withPaths({ batch: false }, () => compileAndImport(SRC(dtype), `vmap-nested-${dtype}-off`));
    const tol = dtype === "float32" ? 1e-5 : 1e-12;
    for (let k = 0; k <= 6; k++) {
      const a = flat(fast[`r${k}`]), b = flat(slow[`r${k}`]);
      assert.is(a.length, b.length, `r${k}: results`);
      a.forEach((x, j) => {
        const y = b[j] as Tensor;
        assert.ok(x instanceof Tensor && y instanceof Tensor, `r${k}[${j}] Tensors`);
        assert.equal([...(x as Tensor).shape], [...y.shape], `r${k}[${j}]: shape`);
        assert.is((x as Tensor).dtype, y.dtype, `r${k}[${j}]: dtype`);
        (x as Tensor).data.forEach((v, i) => assert.ok(Math.abs(v - y.data[i]) <= tol * Math.max(1, Math.abs(y.data[i])), `r${k}[${j}][${i}]: merged ${v}, row loops ${y.data[i]}`));
      });
    }
  });
}

test("vmap(vmap(f)): hand-checked shapes of the levels' dims", async () => {
  const m = await compileAndImport(SRC("float64"), "vmap-nested-shapes");
  assert.equal([...m.r0.shape], [3, 4, 5]);
  // outer in 1 of [5, 3, 4] (3 rows), inner in 1 of [5, 4] (4 rows), f on [5]; inner out 0 → [4, 5]; outer out 1 → [4, 3, 5]
  assert.equal([...m.r1.shape], [4, 3, 5]);
  // inner maps A's 2 rows (h on [3, 4] @ [4, 5] → [3, 5]) → [2, 3, 5]; outer maps W's 6 rows, out 1 → [2, 6, 3, 5]
  assert.equal([...m.r2.shape], [2, 6, 3, 5]);
  assert.equal([...m.r3.shape], [2, 3, 4, 5]);
  assert.equal([...m.r5[0].shape], [4, 3, 5]);
  assert.equal([...m.r5[1].shape], [4, 3]);
  assert.equal([...m.r6.shape], [5, 3, 4]);
});

const FALLBACK = `
import { vmap, type Tensor } from "jacc";
function num(x: number): number { return Math.sin(x) * x; }
function mixed(x: Tensor, s: number): Tensor { return x.mul(s); }
export const a = vmap(vmap(num));
export const b = vmap(vmap(mixed, { inDims: [0, 0] }), { inDims: [0, 0] });
export const c = vmap(vmap((x: Tensor) => x.sum().item()));
`;

test("what cannot be merged keeps its row loops and says why", async () => {
  const code = compileOrThrow(FALLBACK, "vmap-nested-fallback.ts").code;
  assert.match(code, "vmap path: the nested vmaps keep their row loops (a program of numbers, already one generated loop per level)");
  assert.match(code, "vmap path: the nested vmaps keep their row loops ('s' is batched and is not a Tensor)");
  assert.match(code, "vmap path: the nested vmaps keep their row loops (a result is not a Tensor)");
  assert.not.match(code, "as one over the product");
  const m = await compileAndImport(FALLBACK, "vmap-nested-fallback");
  assert.equal(Array.from(m.a([[1, 2], [3, 4]]).data as Float64Array), [1, 2, 3, 4].map((x) => Math.sin(x) * x));
});

const BAD = `
import { vmap, type Tensor } from "jacc";
function h(x: Tensor, w: Tensor): Tensor { return x.matmul(w); }
export const vv = vmap(vmap((x: Tensor) => x.exp()));
export const vh = vmap(vmap(h));
`;

test("bad batches: RangeErrors naming vmap, the level and the argument", async () => {
  const m = await compileAndImport(BAD, "vmap-nested-bad");
  const { zeros } = await import("jacc");
  const throws = (f: () => unknown, re: RegExp) => throwsWith(f, RangeError, re);
  throws(() => m.vv(zeros([3])), /^vmap\(.*\): inDims 0 of vmap level 2 is out of range for argument `x` \(shape \[\] at that level\)/);
  throws(() => m.vh(zeros([2, 3, 4]), zeros([2, 4, 4])), /^vmap\(.*\): mismatched batch sizes at vmap level 2: `w` has 4 rows, `x` has 3/);
  throws(() => m.vh(zeros([2, 3, 4]), zeros([5, 3, 4])), /^vmap\(.*\): mismatched batch sizes at vmap level 1: `w` has 5 rows, `x` has 2/);
});

test.run();
