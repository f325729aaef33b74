// `import * as jc from "jacc"`: jc.grad(f), jc.jacrev(f), jc.hessian(f) are markers, and
// jc.exp, jc.tensor and the jc.Tensor type work inside differentiated functions as their
// named imports do.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileModule } from "../compiler/index.js";
import { compileAndImport } from "./util/compile.js";

test("jc.grad, jc.hessian and jc.jacrev through a namespace import are compiled away and give the derivatives", async () => {
  const src = `import * as jc from "jacc";
const sq = (x: number) => x * x * x;
export const d = jc.grad(sq)(2);
export const h = jc.hessian((x: number[]) => x[0] * x[0] * x[1])([3, 4]);
const W = jc.tensor([[1, 2], [3, 4]], { dtype: "float64" });
const f = (x: jc.Tensor) => jc.exp(W.matmul(x)).sum();
export const J = (jc.jacrev(f)(jc.tensor([0.1, -0.2], { dtype: "float64" })) as jc.Tensor).toArray();
export const dsin = (jc.jacrev(jc.sin)(jc.tensor([0, 1], { dtype: "float64" })) as jc.Tensor).toArray();
`;
  const r = compileModule(src, "ns.ts", { target: "js" });
  assert.equal(r.diagnostics, []);
  assert.ok(r.changed);
  assert.not.match(r.code, /jc\.(grad|hessian|jacrev)\(/, "a marker call is left in the output");
  const m = await compileAndImport(src, "namespace-markers");
  assert.is(m.d, 12);
  assert.equal(Array.from(m.h.data as ArrayLike<number>), [8, 6, 6, 0]);
  const e1 = Math.exp(0.1 - 0.4), e2 = Math.exp(0.3 - 0.8);
  const want = [1 * e1 + 3 * e2, 2 * e1 + 4 * e2];
  (m.J as number[]).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `J[${i}] = ${v}, want ${want[i]}`));
  assert.equal(m.dsin, [[1, 0], [0, Math.cos(1)]]);
});

test("a namespace that is not jacc's, or a jacc namespace used as a value, is not a marker", () => {
  const other = compileModule(`import * as jc from "./not-jacc";\nexport const d = jc.grad((x: number) => x * x);\n`, "other.ts", { target: "js" });
  assert.is(other.changed, false);
  const bad = compileModule(`import * as jc from "jacc";\nexport const d = jc.grad((x: number) => { const j = jc; return x; });\n`, "bad.ts", { target: "js" });
  assert.is(bad.diagnostics.length, 1);
  assert.match(bad.diagnostics[0].message, /namespace `jc` of "jacc" cannot be used as a value/);
  assert.is(bad.diagnostics[0].line, 2);
});

test.run();
