// Parameters of any other type (issue 17 §1: config objects, strings,
// booleans, class instances) are constants of a differentiated function: their
// properties are read as they are (chains too: cfg.inner.k), and a marker
// that would differentiate one says so at compile time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";

const SRC = `
import { grad, hessian, jacfwd, jacrev, vmap, type Tensor } from "jacc";
interface Cfg { scale: number; on: boolean; name: string; inner: { k: number } }
class Scale { constructor(readonly by: number) {} }
function f(x: number, c: Cfg, s: Scale, label: string): number {
  return c.on ? x * x * c.scale * s.by + c.inner.k * x : x;
}
export const g = grad(f);
export const jf = jacfwd(f);
export const h = hessian(f);
export const vm = vmap(f, { inDims: [0, null, null, null] });
function ft(x: Tensor, c: Cfg): Tensor { return x.mul(c.scale).sin().sum(); }
export const gt = grad(ft);
export const jt = jacrev(ft);
`;

test("a config object, a class instance and a string are read as constants in every mode", async () => {
  const m = await compileAndImport(SRC, "constant-params");
  const cfg = { scale: 2, on: true, name: "a", inner: { k: 3 } };
  const s = { by: 1.5 };
  // f = 3x² + 3x: f' = 6x + 3, f'' = 6
  assert.is(m.g(0.5, cfg, s, "x"), 6);
  assert.is(m.jf(0.5, cfg, s, "x"), 6);
  assert.is(m.h(0.5, cfg, s, "x"), 6);
  assert.equal(Array.from(m.vm([0.5, 1], cfg, s, "x").data), [2.25, 6]);
  assert.is(m.g(0.5, { ...cfg, on: false }, s, "x"), 1);
  const x = tensor([0.1, 0.2], { dtype: "float64" });
  const d = Array.from(m.gt(x, cfg).data as Float64Array);
  [0.1, 0.2].forEach((v, i) => assert.ok(Math.abs(d[i] - 2 * Math.cos(2 * v)) < 1e-15));
});

// (a record of numbers, arrays and Tensors is differentiated: test/pytrees.test.ts; one with a string is a constant)
const BAD = `interface Cfg { scale: number; name: string }\nfunction f(x: number, c: Cfg) { return x * c.scale; }\n`;

test("differentiating a constant parameter is a diagnostic naming it", () => {
  expectDiagnostic("constant-argnums", `${BAD}export const g = grad(f, { argnums: ‸[0, 1] });`, { code: "unsupported-type", message: [/`grad` would differentiate `c` \(parameter 1 of `f`\)/, /`c.name` is of type `string`/, /leave it out of `argnums`/] });
  expectDiagnostic("constant-jacobian", `${BAD}export const j = (x: number, c: Cfg) => jacobian(f, ‸[x, c]);`, { code: "unsupported-type", message: [/`jacobian` would differentiate `c`/, /closes over it/] });
  expectDiagnostic("constant-vmap", `${BAD}export const v = vmap(f, { inDims: ‸0 });`, { code: "invalid-option", message: [/`c` is not a number, array or Tensor, so it cannot be batched/] });
});

test.run();
