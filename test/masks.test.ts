// Masks (issue 17 §3): the bool dtype, comparisons, logical ops, isnan /
// isfinite / isinf, where with a bool mask, maskedFill, all / any. Runtime
// values against hand-worked ones; derivatives through where / maskedFill in
// every marker against finite differences (masks themselves are constants to
// AD); vmap's batched path against the row loop; the errors bad inputs get.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "../runtime/index.js";
import { Tensor, tensor } from "../runtime/index.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";

const T64 = (x: number[] | number[][]) => tensor(x, { dtype: "float64" });
const arr = (v: unknown): unknown => (v instanceof Tensor ? v.toArray() : Array.isArray(v) ? v.map(arr) : v);
const flat = (v: unknown): number[] => (v instanceof Tensor ? Array.from(v.data) : Array.isArray(v) ? v.flatMap(flat) : [v as number]);

function near(got: unknown, want: unknown, what: string, tol = 1e-7): void {
  const a = flat(got), b = flat(want);
  assert.is(a.length, b.length, `${what}: ${JSON.stringify(arr(got))} vs ${JSON.stringify(arr(want))}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${x}, expected ${b[i]}`));
}

// ---------------------------------------------------------------- derivatives
const SRC = `
import { grad, jacrev, jacfwd, hessian, vjp, jvp, vmap, where, maskedFill, gt, tensor, type Tensor } from "jacc";
// leaky relu by a mask; a masked mean (the mask from the data, counted in float32)
export const leaky = (x: Tensor): Tensor => where(x.gt(0), x, x.mul(0.01));
export const cubeLeak = (x: Tensor): Tensor => where(gt(0, x), x.mul(x).mul(x), x.exp());
export const masked = (x: Tensor): Tensor => x.mul(x).maskedFill(x.abs().lt(0.5), 0).sum();
export const fillVal = (x: Tensor, s: number): Tensor => x.maskedFill(x.gt(0).logicalAnd(x.lt(1)), s).mul(x).sum();
export const mmean = (x: Tensor): Tensor => { const m = x.gt(0).logicalOr(x.isnan()); return x.mul(m).sum().div(m.sum()); };
export const jr = jacrev(leaky);
export const jf = jacfwd(leaky);
export const jrc = jacrev(cubeLeak);
export const jfc = jacfwd(cubeLeak);
export const gm = grad(masked);
export const hm = hessian(masked);
export const gf = grad(fillVal, { argnums: [0, 1] });
export const gmm = grad(mmean);
export const vj = (x: Tensor) => vjp(leaky, [x]);
export const jv = (x: Tensor, t: Tensor) => jvp(cubeLeak, [x], [t]);
export const vl = vmap(leaky);
export const vgm = vmap(grad(masked));
export const vmf = vmap((x: Tensor, m: Tensor) => x.maskedFill(m, -1), { inDims: [null, 0] });
export const vmf2 = vmap((x: Tensor, m: Tensor) => x.maskedFill(m, -1), { inDims: [0, 0] });
export const vmf3 = vmap((x: Tensor, s: number) => x.maskedFill(x.gt(1), s), { inDims: [0, 0] });
export const vcmp = vmap((x: Tensor, y: Tensor) => x.ge(y).logicalXor(x.isfinite()).all(), { inDims: [0, null] });
export const vany = vmap((x: Tensor) => x.gt(0).any(0, true));
`;

test("where(x.gt(0), …) and maskedFill differentiate in every marker", async () => {
  const m = await compileAndImport(SRC, "masks-ad");
  const x = T64([-1.5, 0.7, 2, -0.3]);
  const d = [0.01, 1, 1, 0.01];
  const diag = (v: number[]) => v.map((a, i) => v.map((_, j) => (i === j ? a : 0)));
  near(m.jr(x), diag(d), "jacrev leaky");
  near(m.jf(x), diag(d), "jacfwd leaky");
  const dc = [-1.5, 0.7, 2, -0.3].map((v) => (v < 0 ? 3 * v * v : Math.exp(v)));
  near(m.jrc(x), diag(dc), "jacrev cube/exp");
  near(m.jfc(x), diag(dc), "jacfwd cube/exp");
  // masked: x² summed where |x| >= 0.5
  near(m.gm(x), [-3, 1.4, 4, 0], "grad masked");
  near(m.hm(x), diag([2, 2, 2, 0]), "hessian masked");
  // fillVal: Σ (x in (0,1) ? s : x) x → d/dx = 2x outside, s inside; d/ds = Σ x inside
  const [gx, gs] = m.gf(x, 2.5);
  near(gx, [-3, 2.5, 4, -0.6], "grad fillVal x");
  near(gs, 0.7, "grad fillVal s");
  // mmean = Σ_{x>0} x / #(x>0)
  near(m.gmm(x), [0, 0.5, 0.5, 0], "grad masked mean");
  const [out, back] = m.vj(x);
  near(out, [-0.015, 0.7, 2, -0.003], "vjp value");
  near(back(T64([1, 2, 3, 4])), [[0.01, 2, 3, 0.04]], "vjp cotangent");
  const [, tan] = m.jv(x, T64([1, 1, 1, 1]));
  near(tan, dc, "jvp tangent");
});
test("vmap: masks, where, maskedFill and all / any batch (no row loop) and agree with the row loop and by hand", async () => {
  const code = compileOrThrow(SRC, "masks-vmap.ts").code;
  assert.not.match(code, /vmap path: row loop \((?!for WebGPU arguments)/);
  const fast = await compileAndImport(SRC, "masks-vmap-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(SRC, "masks-vmap-off"));
  const X = T64([[-1.5, 0.7, 2], [0.2, -0.3, 1.5]]);
  const M = tensor([[true, false, false], [false, true, true]]);
  const cases: [string, unknown[], unknown][] = [
    ["vl", [X], [[-0.015, 0.7, 2], [0.2, -0.003, 1.5]]],
    ["vgm", [X], [[-3, 1.4, 4], [0, 0, 3]]],
    ["vmf", [T64([5, 6, 7]), M], [[-1, 6, 7], [5, -1, -1]]],
    ["vmf2", [X, M], [[-1, 0.7, 2], [0.2, -1, -1]]],
    ["vmf3", [X, T64([9, 8])], [[-1.5, 0.7, 9], [0.2, -0.3, 8]]],
    ["vcmp", [X, T64([0, 0, 0])], [false, false]],
    ["vany", [X], [[true], [true]]],
  ];
  for (const [name, args, want] of cases) {
    const a = fast[name](...args), b = slow[name](...args);
    assert.equal(arr(a), arr(b), `${name}: batched == row loop`);
    assert.is((a as Tensor).dtype, (b as Tensor).dtype, `${name}: dtype`);
    near(a, want, name);
  }
});

test.run();
