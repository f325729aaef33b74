// Factories sized by the function's run-time integers (issue 17 §2): zeros,
// ones, full, eye, arange, linspace given x.shape / x.size(d) compile to the
// same numbers as the same program with literal sizes, in every mode, and
// carry no derivative (PyTorch's: a size or a range end is not differentiated).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor, tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";

const program = (sized: (lit: string, run: string) => string) => `
import { arange, eye, full, grad, hessian, jacfwd, jacrev, linspace, ones, zeros, type Tensor } from "jacc";
function f(x: Tensor): Tensor {
  const n = x.size(1);
  const w = x.mul(arange(${sized("3", "n")})).add(zeros(${sized("[2, 3]", "x.shape")})).add(full(${sized("[2, 3]", "[x.size(0), n]")}, 0.5));
  const e = eye(${sized("3", "n")}, { dtype: "float64" }).matmul(x.t()).pow(2).sum();
  return w.mul(linspace(0, 1, ${sized("3", "n")}, { dtype: "float64" })).mul(ones(${sized("2, 3", "x.size(0), n")})).exp().sum().add(e);
}
export const g = grad(f);
export const jr = jacrev(f);
export const jf = jacfwd(f);
export const h = hessian(f);
`;

const flat = (v: unknown): number[] => (v instanceof Tensor ? Array.from(v.data) : [v as number]);

test("run-time sizes give the literal sizes' numbers in every mode", async () => {
  const lit = await compileAndImport(program((l) => l), "factories-literal");
  const run = await compileAndImport(program((_l, r) => r), "factories-runtime");
  const x = tensor([[0.3, -0.6, 0.9], [1.2, -0.4, 0.2]], { dtype: "float64" });
  for (const k of ["g", "jr", "jf", "h"]) {
    const a = flat(lit[k](x)), b = flat(run[k](x));
    assert.equal(b.length, a.length, k);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-12 * (1 + Math.abs(v)), `${k}[${i}]: ${b[i]} vs ${v}`));
  }
});

test("a factory sized by x on a 1-row input follows the row's shape", async () => {
  const m = await compileAndImport(program((_l, r) => r), "factories-runtime");
  const x = tensor([[0.3, -0.6, 0.9, 0.1]], { dtype: "float64" });
  assert.equal(m.g(x).shape, [1, 4]);
});

test.run();
