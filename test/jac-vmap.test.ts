// jacrev(vmap(f)) and jacfwd(vmap(f)) at the top level (compiler/ad/jac-vmap.ts):
// vmap(jacrev(f)) laid out block diagonally (a batched input) or stacked (an
// unbatched one), instead of a sweep per output element over every row. The
// reference is the same Jacobian built the old way: the marker wrapped in an
// arrow, so the vmap is inside a differentiated function and its row loop is
// differentiated.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Tensor } from "jacc";
import { compileAndImport, compileOrThrow } from "./util/compile.js";

const SRC = `
import { jacrev, jacfwd, vmap, stack, tensor, type Tensor } from "jacc";
function f(x: Tensor, w: Tensor): Tensor { return x.sin().mul(x.sum()).add(w.mul(x.select(0, 0))); }
function g(v: Tensor): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
  return stack([y.sub(x).mul(10), x.mul(z.neg().add(28)).sub(y), x.mul(y).sub(z.mul(8 / 3))]);
}
function m(x: Tensor, W: Tensor): Tensor { return W.matmul(x).tanh().reshape(2, 2); }
export const fast = [
  jacrev(vmap(f, { inDims: [0, null] })),
  jacrev(vmap(f, { inDims: [0, null] }), { argnums: 1 }),
  jacfwd(vmap(f, { inDims: [1, null], outDims: 1 })),
  jacrev(vmap(f, { inDims: [0, 0], outDims: -1 }), { argnums: 1 }),
  jacrev(vmap(g)),
  jacfwd(vmap(m, { inDims: [0, null], outDims: 2 })),
  jacrev(vmap(m, { inDims: [0, null], outDims: 1 }), { argnums: 1 }),
];
export const slow = [
  jacrev((x: Tensor, w: Tensor) => vmap(f, { inDims: [0, null] })(x, w)),
  jacrev((x: Tensor, w: Tensor) => vmap(f, { inDims: [0, null] })(x, w), { argnums: 1 }),
  jacfwd((x: Tensor, w: Tensor) => vmap(f, { inDims: [1, null], outDims: 1 })(x, w)),
  jacrev((x: Tensor, w: Tensor) => vmap(f, { inDims: [0, 0], outDims: -1 })(x, w), { argnums: 1 }),
  jacrev((v: Tensor) => vmap(g)(v)),
  jacfwd((x: Tensor, W: Tensor) => vmap(m, { inDims: [0, null], outDims: 2 })(x, W)),
  jacrev((x: Tensor, W: Tensor) => vmap(m, { inDims: [0, null], outDims: 1 })(x, W), { argnums: 1 }),
];
// given to another marker: the Jacobian of the row loop, which that marker differentiates
export const nested = jacfwd(jacrev(vmap(g)));
export const nestedSlow = jacfwd(jacrev((v: Tensor) => vmap(g)(v)));
const X = tensor([[0.1, 0.2, 0.3], [1, -2, 0.5], [0.7, 0.4, -0.9], [2, 1, 0]], { dtype: "float64" });
const W = tensor([0.5, -1, 2], { dtype: "float64" });
const W4 = tensor([[0.5, -1, 2], [1, 1, 1], [0, 2, 3], [-1, 0, 1]], { dtype: "float64" });
const M = tensor([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [0.9, 0.2, 0.1], [-0.3, 0.8, 0.2]], { dtype: "float64" });
export const args = [[X, W], [X, W], [X.t(), W], [X, W4], [X], [X, M], [X, M]];
export const X32 = X.to("float32");
`;

test("jacrev / jacfwd of vmap: the Jacobian of the row loop's numbers, block diagonal or stacked, any inDims / outDims", async () => {
  const code = compileOrThrow(SRC, "jac-vmap.ts").code;
  assert.is((code.match(/__jt\.adJacOfRows\(/g) ?? []).length, 7, "each top-level jacrev / jacfwd of a vmap is laid out from vmap(jac(f))");
  const mod = await compileAndImport(SRC, "jac-vmap");
  mod.fast.forEach((J: (...a: Tensor[]) => Tensor, i: number) => {
    const a = J(...mod.args[i]), b = mod.slow[i](...mod.args[i]);
    assert.equal([...a.shape], [...b.shape], `case ${i} shape`);
    assert.equal(Array.from(a.data), Array.from(b.data), `case ${i}: the row loop's numbers`);
  });
  // batched input: zero where the two batch indices differ; unbatched: every row's block
  const J0 = mod.fast[0](...mod.args[0]) as Tensor;
  assert.equal([...J0.shape], [4, 3, 4, 3]);
  assert.is(J0.select(0, 1).select(1, 2).abs().sum().item(), 0);
  assert.ok(J0.select(0, 2).select(1, 2).abs().sum().item() > 0);
  // float32 inputs stay float32
  assert.is((mod.fast[4](mod.X32) as Tensor).dtype, "float32");
  // given to another marker, the row loop's Jacobian (differentiable) is kept
  const n = mod.nested(mod.args[4][0]) as Tensor, s = mod.nestedSlow(mod.args[4][0]) as Tensor;
  assert.equal([...n.shape], [...s.shape]);
  assert.equal(Array.from(n.data), Array.from(s.data));
});

test("jacrev of vmap: a bad outDims for the result's rank is a RangeError naming the marker", async () => {
  const mod = await compileAndImport(`
import { jacrev, vmap, tensor, type Tensor } from "jacc";
export const J = jacrev(vmap((x: Tensor) => x.sum(), { outDims: 1 }));
export { tensor };
`, "jac-vmap-bad");
  assert.throws(() => mod.J(mod.tensor([[1, 2], [3, 4]], { dtype: "float64" })), (e: Error) => e instanceof RangeError && /outDims 1/.test(e.message));
});

test.run();
