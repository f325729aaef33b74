// The elementwise registry (compiler/ops/elementwise.ts) is the one place an
// op is defined: the runtime's generated half is current, and every derived
// table (runtime functions, Tensor methods, kernels, fusion, front end) has
// every entry.
import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as jt from "jacc";
import * as jaccInternal from "jacc/internal";
import { GENERATED } from "../compiler/ops/codegen.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, fusable } from "../compiler/ops/elementwise.js";
import { KERNELS, RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { BINARY, UNARY } from "../compiler/emit/fused-js.js";
import { tensorRules } from "../compiler/rules/tensor.js";
import { TENSOR_FUNCTIONS } from "../compiler/front/tensor-ops.js";
import { runtimeCall, TENSOR_OP_NAMES, TENSOR_OPS } from "../compiler/ops/tensor.js";
import { INTERNAL_OPS } from "../compiler/ops/internal.js";
import { batchRuleOf, structureOf } from "../compiler/ops/index.js";
import { repoRoot } from "./util/compile.js";
import { compileModule, formatDiagnostic } from "../compiler/index.js";

test("the generated runtime files are what npm run gen:ops writes", () => {
  for (const [rel, gen] of Object.entries(GENERATED)) {
    const committed = fs.readFileSync(path.join(repoRoot, rel), "utf8");
    assert.ok(committed === gen(), `${rel} is stale: run npm run gen:ops`);
  }
});

test("every entry is a runtime function, a Tensor method, a kernel, a rule and a front-end op", () => {
  const t = jt.tensor([0.5, 1.5], { dtype: "float64" });
  for (const name of ELEMENTWISE_NAMES) {
    const op = ELEMENTWISE_OPS[name];
    if (op.variantOf) {
      // a variant (geluTanh) is reached through its op's options only: no export, method or front-end name of its own, its kernel in its op's list
      const [of, option, value] = op.variantOf;
      assert.is((jt as Record<string, unknown>)[name], undefined, `jacc does not export ${name}`);
      assert.is((t as unknown as Record<string, unknown>)[name], undefined, `no Tensor#${name}`);
      assert.ok(!TENSOR_FUNCTIONS.has(name), `the front end reads ${name} only through ${of}`);
      assert.is(ELEMENTWISE_OPS[of as typeof name].variants?.ops[value], name, `${of}'s ${option} names ${name}`);
      assert.ok(RUNTIME_KERNELS[of]?.includes(`unary_${name}`), `RUNTIME_KERNELS.${of} has unary_${name}`);
      assert.ok(tensorRules[`t.${name}`]?.jvp && tensorRules[`t.${name}`]?.vjp, `rule t.${name}`);
      continue;
    }
    assert.type((jt as Record<string, unknown>)[name], "function", `jacc exports ${name}`);
    assert.type((t as unknown as Record<string, unknown>)[name], "function", `Tensor#${name}`);
    const kernel = `${op.arity === 1 ? "unary" : "binary"}_${name}`;
    assert.ok(kernel in KERNELS, `kernel ${kernel}`);
    assert.ok(RUNTIME_KERNELS[name]?.includes(kernel), `RUNTIME_KERNELS.${name}`);
    // (an op of zero derivative is a constant to AD: no jvp or vjp to call)
    const rule = tensorRules[`t.${name}`];
    assert.ok(op.rule.zero ? rule?.zero && !rule.jvp && !rule.vjp : rule?.jvp && rule?.vjp, `rule t.${name}`);
    assert.ok(TENSOR_FUNCTIONS.has(name), `front end knows ${name}`);
    assert.is(`t.${name}` in (op.arity === 1 ? UNARY : BINARY), fusable(op), `fusion of ${name}`);
  }
});

test("every other tensor op is one entry: its surface is a jacc function or a Tensor method, its rule, class and batching rule are looked up from it", () => {
  const t = jt.tensor([0.5, 1.5], { dtype: "float64" });
  for (const name of TENSOR_OP_NAMES) {
    const op = TENSOR_OPS[name];
    assert.is(tensorRules[`t.${name}`], op.rule, `rule t.${name}`);
    assert.ok(op.rule.zero ? !op.rule.jvp && !op.rule.vjp : op.rule.jvp && op.rule.vjp, `t.${name}: a zero rule or both derivatives`);
    assert.equal(structureOf(`t.${name}`)?.structure, op.structure.structure, `class of t.${name}`);
    assert.is(batchRuleOf(`t.${name}`, op.rule.operands), op.batch, `batching rule of t.${name}`);
    if (!op.surface) continue;
    const written = op.surface.written ?? name;
    if (!op.surface.methodOnly) {
      assert.ok(TENSOR_FUNCTIONS.has(written), `front end knows ${written}`);
      // (linalg.solve: a function of the namespace object jacc exports)
      const fn = written.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], jt);
      assert.type(fn, "function", `jacc exports ${written}`);
    }
    if (op.surface.form !== "list" && !op.surface.functionOnly) assert.type((t as unknown as Record<string, unknown>)[written], "function", `Tensor#${written}`);
  }
});

test("jacc/internal has every function a rule of the registry calls, and jacc (the public entry) none of the helpers", () => {
  const rt = jaccInternal as Record<string, unknown>;
  const internal = Object.entries(INTERNAL_OPS).map(([prim, d]) => [prim, d.rule] as const);
  const tensorOps = TENSOR_OP_NAMES.filter((n) => n !== "factory").map((n) => [`t.${n}`, TENSOR_OPS[n].rule] as const);
  let checked = 0;
  for (const [prim, rule] of [...internal, ...tensorOps]) {
    const name = runtimeCall(rule.js)?.fn;
    if (!name) continue; // a method call (x.item(), x.size(d)) or a spread
    const fn = rt[name];
    assert.type(fn, "function", `${prim} calls __jt.${name}`);
    if (prim.startsWith("ad.")) assert.not.ok(name in jt, `jacc does not export the helper ${name}`);
    checked++;
  }
  assert.ok(checked > 40, `${checked} runtime calls checked`);
});

test("the method, the function and the formula agree (CPU, float64)", () => {
  const x = jt.tensor([-1.5, -0.2, 0.3, 2.5], { dtype: "float64" });
  const y = jt.tensor([0.7, -1.1, 1.9, 0.4], { dtype: "float64" });
  assert.equal(Array.from(jt.atan2(x, y).data), [-1.5, -0.2, 0.3, 2.5].map((v, i) => Math.atan2(v, [0.7, -1.1, 1.9, 0.4][i])));
  assert.equal(Array.from(x.atan2(2).data), [-1.5, -0.2, 0.3, 2.5].map((v) => Math.atan2(v, 2)));
  assert.equal(Array.from(jt.atan2(2, x).data), [-1.5, -0.2, 0.3, 2.5].map((v) => Math.atan2(2, v)));
  const sp = (v: number, beta: number, th: number) => (v * beta > th ? v : Math.log1p(Math.exp(v * beta)) / beta);
  assert.equal(Array.from(x.softplus().data), [-1.5, -0.2, 0.3, 2.5].map((v) => sp(v, 1, 20)));
  assert.equal(Array.from(jt.softplus(x, 2, 1).data), [-1.5, -0.2, 0.3, 2.5].map((v) => sp(v, 2, 1)));
});

test("a mask entry (result: bool): a bool tensor from the method, the function and the formula; a zero rule, class none, never fused, no scalar batching rule", () => {
  const x = jt.tensor([-1.5, NaN, 0.3, 2.5], { dtype: "float64" });
  for (const name of ELEMENTWISE_NAMES.filter((n) => ELEMENTWISE_OPS[n].result === "bool")) {
    const op = ELEMENTWISE_OPS[name];
    const fn = (jt as unknown as Record<string, (...a: unknown[]) => jt.Tensor>)[name];
    const out = op.arity === 1 ? fn(x) : fn(x, 0.3);
    const method = op.arity === 1 ? (x as unknown as Record<string, () => jt.Tensor>)[name]() : (x as unknown as Record<string, (y: number) => jt.Tensor>)[name](0.3);
    assert.is(out.dtype, "bool", `${name}: dtype`);
    assert.equal(Array.from(method.data), Array.from(out.data), `${name}: method == function`);
    // the formula, read as JS over the same numbers
    const formula = new Function("x", "y", `return ${op.js};`) as (x: number, y: number) => number;
    assert.equal(Array.from(out.data), Array.from(x.data, (v) => formula(v, 0.3)), `${name}: the formula`);
    assert.ok(op.rule.zero && !fusable(op), `${name}: zero rule, not fusable`);
    assert.is(structureOf(`t.${name}`)?.structure, "none", `${name}: class none`);
    // (a scalar comparison of batched numbers is a batch of 0 / 1 numbers, runtime/batching.ts bCmp)
    assert.is.not(batchRuleOf(name, op.arity), batchRuleOf(`t.${name}`, op.arity), `${name}: the scalar primitive of that name is not batched as the mask`);
  }
});

test("bad parameters and operands are TypeErrors naming the op", () => {
  const x = jt.tensor([1, 2]);
  assert.throws(() => jt.softplus(x, "2" as unknown as number), (e: Error) => e instanceof TypeError && /softplus: beta must be a number, got/.test(e.message));
  assert.throws(() => jt.atan2("a" as unknown as jt.Tensor, x), (e: Error) => e instanceof TypeError && /^atan2:/.test(e.message));
  assert.throws(() => jt.atan2(x, jt.tensor([1, 2, 3])), (e: Error) => e instanceof RangeError && /atan2: shapes \[2\] and \[3\]/.test(e.message));
});

test("a parameter computed inside a differentiated function is a located diagnostic", () => {
  const src = `import { grad, type Tensor } from "jacc";\nconst f = (x: Tensor, b: number) => x.softplus(b).sum().item();\nexport const g = grad(f);\n`;
  const r = compileModule(src, path.join(repoRoot, ".tmp", "softplus-param.ts"), { target: "js" });
  assert.is(r.diagnostics.length, 1);
  assert.match(r.diagnostics[0].message, "the beta of `softplus` must be a number literal inside a differentiated function");
  assert.match(formatDiagnostic(r.diagnostics[0]), "softplus-param.ts:2:");
});

test("every Tensor method the compiler reads exists on the runtime's Tensor (the function runs undifferentiated too: x.amax(1) compiled, and threw 'A.amax is not a function' when called directly)", async () => {
  const { TENSOR_METHODS } = await import("../compiler/front/tensor-ops.js");
  const missing = [...TENSOR_METHODS].filter((name) => typeof (jt.Tensor.prototype as unknown as Record<string, unknown>)[name] !== "function");
  assert.equal(missing, []);
  assert.ok(TENSOR_METHODS.has("amax") && TENSOR_METHODS.has("exp") && TENSOR_METHODS.has("matmul"));
  const x = jt.tensor([[1, 4], [3, 2]]);
  assert.equal([...x.amax(1).data], [4, 3]);
  assert.equal([...x.amin(0, true).data], [1, 2]);
  assert.equal(x.amin(0, true).shape, [1, 2]);
});

test.run();
