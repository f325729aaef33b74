// vmap of tensor code through the batching transform (compiler/ad/batch-tensor.ts):
// every registry elementwise op and every other op with a batching rule, with
// the batch at dim 0, 1, the last dim or unbatched, mixed batched / unbatched
// operands of different ranks, float64 and float32, gives the same numbers as
// the row loop (CompilePaths { batch: false }); the batched path is really
// taken for straight-line programs (vmap, vmap(grad)); and what it cannot
// batch falls back to the row loop, saying why.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS } from "../compiler/ops/elementwise.js";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";

interface Case { name: string; fn: string; inDims: string; args: string[] }

// inputs in [0.5, 1.5]: inside every op's domain (log, sqrt, pow)
const pre = (dtype: string) => `
import { vmap, grad, tensor, rand, stack, cat, where, linear, layerNorm, mseLoss, nllLoss, crossEntropy, binaryCrossEntropyWithLogits, type Tensor } from "jacc";
const __u = (...s: number[]) => rand(s, { dtype: "${dtype}" }).add(0.5);
const A = __u(4, 3), C = __u(3, 4), V = __u(3), M = __u(2, 3), S3 = __u(5, 2, 3);
const K = tensor([2, 0]), K2 = tensor([1, 0]);
const GI = tensor([[2, 0, 2], [1, 1, 0]], { dtype: "${dtype}" }), GI0 = tensor([[1, 0, 1], [0, 0, 1]], { dtype: "${dtype}" }), BM = tensor([[true, false, true], [false, true, true]]);
`;

function cases(): Case[] {
  const out: Case[] = [];
  // (a variant, geluTanh, is reached through its op's options: gelu's case covers its rule)
  for (const name of ELEMENTWISE_NAMES.filter((n) => !ELEMENTWISE_OPS[n].variantOf)) {
    const op = ELEMENTWISE_OPS[name];
    if (op.arity === 1) {
      out.push({ name: `${name} dim 0`, fn: `(x: Tensor) => x.${name}()`, inDims: "0", args: ["A"] });
      out.push({ name: `${name} dim 1`, fn: `(x: Tensor) => x.${name}()`, inDims: "1", args: ["A"] });
      out.push({ name: `${name} dim -1 of 0-d rows`, fn: `(x: Tensor) => x.${name}()`, inDims: "-1", args: ["V"] });
    } else {
      out.push({ name: `${name} both batched`, fn: `(x: Tensor, y: Tensor) => x.${name}(y)`, inDims: "[0, 1]", args: ["A", "C"] });
      out.push({ name: `${name} batched, unbatched`, fn: `(x: Tensor, y: Tensor) => x.${name}(y)`, inDims: "[0, null]", args: ["A", "V"] });
      // the rank trap: each row is 1-D, the unbatched operand 2-D (right-aligned broadcasting needs the batch dim padded)
      out.push({ name: `${name} rank 1 batched with rank 2 unbatched`, fn: `(x: Tensor, y: Tensor) => x.${name}(y)`, inDims: "[0, null]", args: ["A", "M"] });
      out.push({ name: `${name} unbatched, batched last`, fn: `(x: Tensor, y: Tensor) => y.${name}(x)`, inDims: "[null, -1]", args: ["V", "C"] });
      out.push({ name: `${name} 0-d rows with a number`, fn: `(x: Tensor) => x.select(0, 1).${name}(1.25)`, inDims: "0", args: ["A"] });
    }
  }
  const other: [string, string, string, string[]][] = [
    ["sum all", `(x: Tensor) => x.sum()`, "0", ["S3"]],
    ["sum dim keepdim", `(x: Tensor) => x.sum(1, true)`, "0", ["S3"]],
    ["mean dims", `(x: Tensor) => x.mean([0, -1])`, "0", ["S3"]],
    ["prod", `(x: Tensor) => x.prod(0)`, "1", ["A"]],
    ["amax amin", `(x: Tensor) => x.max().add(x.min(-1))`, "0", ["S3"]],
    ["matmul W @ x", `(x: Tensor, W: Tensor) => W.matmul(x)`, "[0, null]", ["A", "M"]],
    ["matmul x @ W", `(x: Tensor, W: Tensor) => x.matmul(W)`, "[0, null]", ["C", "A"]],
    ["matmul matrices both batched", `(x: Tensor, y: Tensor) => x.matmul(y)`, "[0, 0]", ["S3", "S3.transpose(1, 2)"]],
    ["matmul vectors both batched", `(x: Tensor, y: Tensor) => x.matmul(y)`, "[0, 1]", ["A", "C"]],
    ["matmul W @ batched matrix", `(x: Tensor, W: Tensor) => W.matmul(x)`, "[0, null]", ["S3.transpose(1, 2)", "M"]],
    ["dot", `(x: Tensor, y: Tensor) => x.dot(y)`, "[0, null]", ["A", "V"]],
    ["outer", `(x: Tensor, y: Tensor) => x.outer(y)`, "[0, 1]", ["A", "C"]],
    ["select narrow", `(x: Tensor) => x.select(1, 2).add(x.narrow(-1, 0, 1).sum())`, "0", ["S3"]],
    ["reshape flatten", `(x: Tensor) => x.reshape(3, 2).flatten().add(x.view([6]))`, "0", ["S3"]],
    ["squeeze unsqueeze", `(x: Tensor) => x.unsqueeze(0).unsqueeze(-1).squeeze()`, "1", ["A"]],
    ["transpose t permute", `(x: Tensor) => x.transpose(0, 1).add(x.t()).add(x.permute([1, 0]))`, "0", ["S3.narrow(1, 0, 2).narrow(2, 0, 2)"]],
    ["expand", `(x: Tensor) => x.expand([2, 3])`, "0", ["A"]],
    ["flip roll movedim", `(x: Tensor) => x.flip(0).add(x.roll(1, -1)).add(x.roll([1, 2], [0, 1])).add(x.movedim(0, 1).movedim(1, 0))`, "0", ["S3"]],
    ["repeat tile", `(x: Tensor) => x.repeat(2, 1, 1).sum(0).add(x.tile([2]).narrow(-1, 0, 3)).add(x.repeat(1, 2).narrow(1, 3, 3))`, "0", ["S3"]],
    ["unflatten broadcastTo expandAs clone", `(x: Tensor, y: Tensor) => x.unflatten(0, [1, 3]).broadcastTo(2, 3).add(y.expandAs(x.unflatten(0, [1, 3]))).clone()`, "[0, null]", ["A", "V"]],
    ["diag diagonal trace of vectors", `(x: Tensor) => x.diag().diagonal().add(x.diag(1).trace()).add(x.diag(-1).diag(-1))`, "0", ["A"]],
    ["diag diagonal trace of matrices", `(x: Tensor) => x.diag(1).add(x.diagonal(0, 1, 0)).sum().add(x.trace())`, "0", ["S3"]],
    ["indexSelect", `(x: Tensor) => x.indexSelect(-1, [2, 0, 1]).add(x.indexSelect(0, [1, 1, 0]).sum(0))`, "0", ["S3"]],
    ["gather scatter scatterAdd", `(x: Tensor, y: Tensor) => x.gather(1, GI).add(x.scatter(0, GI0, x.exp())).add(x.scatter(1, GI, 0.5)).add(x.scatterAdd(1, GI, y)).add(y.gather(0, GI0))`, "[0, null]", ["S3", "M"]],
    ["scatter of an unbatched input", `(x: Tensor, y: Tensor) => y.scatter(1, GI.narrow(1, 0, 2), x).add(y.scatterAdd(0, GI0, x.exp()))`, "[0, null]", ["S3", "M"]],
    ["maskedSelect", `(x: Tensor, y: Tensor) => x.maskedSelect(BM).exp().add(y.maskedSelect(BM))`, "[0, null]", ["S3", "V"]],
    ["tril triu pad", `(x: Tensor) => x.tril().add(x.triu(1)).pad([1, -1, 0, 1], 2)`, "1", ["S3"]],
    ["softmax logSoftmax", `(x: Tensor) => x.softmax(0).add(x.logSoftmax(-1))`, "0", ["S3"]],
    ["where clamp", `(x: Tensor, y: Tensor) => where(x.sub(1).relu(), x.clamp(0.7, 1.2), y)`, "[0, null]", ["A", "V"]],
    ["cat stack", `(x: Tensor, y: Tensor) => cat([x, y], 0).add(stack([x, y], -1).sum(-1).sum()).sum().add(stack([x, y]).sum(0).sum())`, "[0, null]", ["A", "V"]],
    // torch.nn.functional: unbatched weights, batched weights, the losses (each example's loss reduced over its own dims), and their gradients
    ["linear layerNorm gelu", `(x: Tensor, W: Tensor, b: Tensor) => layerNorm(linear(x, W, b), 3).gelu({ approximate: "tanh" })`, "[0, null, null]", ["C", "A.t()", "V"]],
    ["linear batched weight", `(W: Tensor, x: Tensor, b: Tensor) => linear(x, W, b)`, "[0, null, 0]", ["S3", "V", "S3.select(2, 0)"]],
    ["layerNorm batched weight and bias", `(w: Tensor, x: Tensor) => layerNorm(x, 3, w, w.neg())`, "[0, null]", ["A", "M"]],
    ["mseLoss nllLoss", `(x: Tensor, y: Tensor, v: Tensor) => mseLoss(x, y).add(mseLoss(x, v, { reduction: "sum" })).add(nllLoss(x.logSoftmax(-1), K, { reduction: "sum" }))`, "[0, null, null]", ["S3", "M", "V"]],
    ["crossEntropy bce", `(x: Tensor, y: Tensor) => crossEntropy(x, y.softmax(-1), { reduction: "none" }).sum().add(binaryCrossEntropyWithLogits(x, y.sub(1), { reduction: "sum" })).add(crossEntropy(x, K))`, "[0, 1]", ["S3", "S3.transpose(0, 1)"]],
    ["crossEntropy nllLoss weight and [N, C, d]", `(x: Tensor, y: Tensor) => crossEntropy(x, K, { weight: y.select(0, 0).abs() }).add(crossEntropy(x.unsqueeze(-1), K.unsqueeze(-1), { weight: y.select(0, 1).abs(), reduction: "sum" })).add(nllLoss(x.unsqueeze(-1).logSoftmax(1), K.unsqueeze(-1), { weight: y.select(0, 0).abs(), reduction: "none" }).sum())`, "[0, null]", ["S3", "M"]],
    ["grad of a weighted [N, C, d] crossEntropy", `grad((x: Tensor, y: Tensor) => crossEntropy(x.unsqueeze(-1).mul(y.unsqueeze(-1)), K.unsqueeze(-1), { weight: y.select(0, 1).abs(), ignoreIndex: 0 }))`, "[0, null]", ["S3", "M"]],
    ["grad of the nn ops", `grad((x: Tensor, y: Tensor) => mseLoss(x, y).add(crossEntropy(x, K2)).add(nllLoss(x, K, { reduction: "none" }).sum()).add(layerNorm(linear(x, y), 2).sin().sum()).add(binaryCrossEntropyWithLogits(x, y.sub(1))))`, "[0, null]", ["S3", "M"]],
    ["item size numbers", `(x: Tensor) => x.mul(x.sum().item() * x.size(0))`, "0", ["A"]],
    ["numbers batched with tensors", `(x: Tensor, s: number) => x.mul(s).add(Math.sin(s))`, "[0, 0]", ["A", "Float64Array.from([0.1, 0.2, 0.3, 0.4])"]],
    ["number result", `(x: Tensor) => x.sum().item() * 2`, "0", ["A"]],
    ["outDims", `(x: Tensor) => x.outer(x)`, "0", ["A"]],
  ];
  for (const [name, fn, inDims, args] of other) out.push({ name, fn, inDims, args });
  return out;
}

const outDimsOf = (c: Case) => (c.name === "outDims" ? ", outDims: 2" : "");
const moduleOf = (dtype: string, list: Case[]) =>
  pre(dtype) + list.map((c, k) => `export const r${k} = vmap(${c.fn}, { inDims: ${c.inDims}${outDimsOf(c)} })(${c.args.join(", ")});`).join("\n") + "\n";

const values = (x: unknown): number[] => (x instanceof Tensor ? Array.from(x.data) : typeof x === "number" ? [x] : []);
const shape = (x: unknown): number[] => (x instanceof Tensor ? [...x.shape] : []);

for (const dtype of ["float64", "float32"]) {
  test(`batched == row loop: every op with a rule, ${dtype}`, async () => {
    const list = cases();
    const src = moduleOf(dtype, list);
    const code = compileOrThrow(src, `vmap-batched-${dtype}.ts`).code;
    // every program here is batched (none falls back)
    assert.not.match(code, /vmap path: row loop \((?!for WebGPU arguments)/);
    // the same random inputs: a seeded generator is not needed when both modules read the same drawn tensors
    const shared = pre(dtype).replace(/const __u = .*\n/, "const __u = (...s: number[]) => (globalThis as any).__inputs[s.join()];\n");
    const inputs: Record<string, Tensor> = {};
    const { rand } = await import("jacc");
    // (seeded: float32 batched and row-loop sums round differently, and an unlucky draw once passed the tolerance)
    [[4, 3], [3, 4], [3], [2, 3], [5, 2, 3]].forEach((s, k) => (inputs[s.join()] = (rand as any)(s, { dtype, seed: 20261207 + k }).add(0.5)));
    (globalThis as any).__inputs = inputs;
    const body = src.slice(pre(dtype).length);
    const fast = await compileAndImport(shared + body, `vmap-batched-${dtype}-on`);
    const slow = await withPaths({ batch: false }, () => compileAndImport(shared + body, `vmap-batched-${dtype}-off`));
    // float32: the batched ops sum in another order than the row loop's (the float64 run, at 1e-12, shows the
    // two are the same algebra); layerNorm over 2 entries in "grad of the nn ops" differs by ~3e-5 at some draws
    const tol = dtype === "float32" ? 1e-4 : 1e-12;
    list.forEach((c, k) => {
      const a = fast[`r${k}`], b = slow[`r${k}`];
      assert.equal(shape(a), shape(b), `${c.name}: shape`);
      assert.is(a instanceof Tensor ? a.dtype : typeof a, b instanceof Tensor ? b.dtype : typeof b, `${c.name}: dtype`);
      const va = values(a), vb = values(b);
      assert.is(va.length, vb.length, c.name);
      // (NaN where both give NaN agrees: an op outside its domain, asin of the draws in [0.5, 1.5))
      va.forEach((x, i) => assert.ok((Number.isNaN(x) && Number.isNaN(vb[i])) || Math.abs(x - vb[i]) <= tol * Math.max(1, Math.abs(vb[i])), `${c.name}[${i}]: batched ${x}, row loop ${vb[i]}`));
    });
  });
}

const LORENZ = `
import { vmap, grad, jacrev, jacfwd, stack, tensor, type Tensor } from "jacc";
export function g(v: Tensor): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
  return stack([y.sub(x).mul(10), x.mul(z.neg().add(28)).sub(y), x.mul(y).sub(z.mul(8 / 3))]);
}
const w2 = tensor([0.5, -1.0, 2.0], { dtype: "float64" });
export function loss(W: Tensor, x: Tensor, y: Tensor): Tensor {
  const r = W.matmul(x).tanh().dot(w2).sub(y);
  return r.mul(r).mul(0.5);
}
export const vg = vmap(g);
export const pg = vmap(grad(loss), { inDims: [null, 0, 0] });
export const branchy = vmap((x: Tensor) => (x.sum().item() > 0 ? x.exp() : x.neg()));
export const lj = vmap(jacrev(g));
`;

test("the batched path is taken for straight-line tensor code, vmap(grad) and branches on batched values", () => {
  const code = compileOrThrow(LORENZ, "vmap-batched-paths.ts", "ts").code;
  const fnText = (name: string) => code.slice(code.indexOf(`function ${name}(`), code.indexOf("\n}\n", code.indexOf(`function ${name}(`)));
  for (const name of ["vmap_g_batched", "vmap_loss_batched"]) {
    assert.match(fnText(name), "vmap path: batched (one op call per batch)", name);
    assert.not.match(fnText(name), /for \(row = /, `${name} has no row loop`);
  }
  // the vmap's core runs the batched code, or the row loop for WebGPU arguments
  assert.match(fnText("vmap_g"), /if \(__jt\.bOnDevice\((\w+)\)\) \{[^}]*r0 = vmap_g_rows\(\1\);\s*\} else \{\s*r0 = vmap_g_scalar\(\1\);/);
  // g computes with scalars: its program of numbers where the inputs allow, else the batched tensor code
  // (float64 and float32 inputs have a twin each)
  assert.match(fnText("vmap_g_scalar"), /if \(__jt\.bScalarRows\(\[(\w+)\], \[0\], \[3\]\)\) \{[^}]*r0 = vmap_g\d\(\1\);\s*\} else \{\s*if \(__jt\.bScalarRows\(\[\1\], \[0\], \[3\], "float32"\)\) \{[^}]*r0 = vmap_g\d\(\1\);\s*\} else \{\s*r0 = vmap_g_batched\(\1\);/);
  // vmap(jacrev(g)): one batched jvp over (example, basis direction) rows, no row loop
  assert.match(code, "vmap path: batched (the Jacobians from one batched jvp over the basis)");
  assert.match(code, "vmap path: batched jvp over B·n rows (example, basis direction)");
  assert.is((code.match(/vmap path: row loop \(for WebGPU arguments\)/g) ?? []).length, 4);
  // the branch on a comparison of batched numbers: both arms over the batch, merged row by row
  assert.match(fnText("vmap_fn_batched"), "vmap path: batched (one op call per batch)");
  assert.match(fnText("vmap_fn_batched"), /__jt\.bWhere\(/);
});

test("vmap(grad(loss)), vmap(g), vmap(jacrev(g)), vmap(jacfwd(g)) batched: equal to the transforms row by row", async () => {
  const m = await compileAndImport(`${LORENZ}
const W = tensor([[0.2, -0.5, 0.1, 0.3], [0.7, 0.3, -0.4, 0.0], [0.1, 0.1, 0.2, -0.6]], { dtype: "float64" });
const X = tensor([[0.1, 0.2, 0.3, 0.4], [-1, 0.5, 0, 0.25], [2, -1.5, 0.25, 0.6]], { dtype: "float64" });
const Y = tensor([0.3, -0.2, 1.1], { dtype: "float64" });
export const batched = pg(W, X, Y);
export const rows = [0, 1, 2].map((b) => grad(loss)(W, X.select(0, b), Y.select(0, b)));
export const V = tensor([[1, 2, 3], [-0.5, 0.25, 4]], { dtype: "float64" });
export const gv = vg(V);
export const gRows = [0, 1].map((b) => g(V.select(0, b)));
export const jv = lj(V);
export const jRows = [0, 1].map((b) => jacrev(g)(V.select(0, b)));
export const jf = vmap(jacfwd(g), { inDims: 1, outDims: -1 })(V.t());
`, "vmap-batched-grad");
  assert.equal(m.batched.shape, [3, 3, 4]);
  for (let b = 0; b < 3; b++) {
    const want = Array.from(m.rows[b].data as Float64Array);
    const got = Array.from(m.batched.select(0, b).data as Float64Array);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `row ${b}[${i}]: ${x} vs ${want[i]}`));
  }
  for (let b = 0; b < 2; b++) assert.equal(Array.from(m.gv.select(0, b).data), Array.from(m.gRows[b].data));
  // per-sample Jacobians [B, 3, 3], and with the batch read from dim 1 and written last
  assert.equal(m.jv.shape, [2, 3, 3]);
  assert.equal(m.jf.shape, [3, 3, 2]);
  for (let b = 0; b < 2; b++) {
    assert.equal(Array.from(m.jv.select(0, b).data), Array.from(m.jRows[b].data));
    assert.equal(Array.from(m.jf.select(-1, b).data), Array.from(m.jRows[b].data));
  }
});

test("chunkSize on the batched path: the same results, chunk by chunk (a last chunk shorter than the others)", async () => {
  const m = await compileAndImport(`${LORENZ}
import { randn } from "jacc";
const V = randn([5, 3], { seed: 3, dtype: "float64" });
const X = randn([4, 5], { seed: 4, dtype: "float64" });
const h = (x: Tensor) => x.exp().sum().item();
const k = (x: Tensor) => x.outer(x.sin());
export const pairs = [
  [vmap(jacrev(g), { chunkSize: 2 })(V), lj(V)],
  [vmap(jacrev(g), { chunkSize: 3, inDims: 1, outDims: 1 })(V.t()), vmap(jacrev(g), { inDims: 1, outDims: 1 })(V.t())],
  [vmap(h, { chunkSize: 2, inDims: 1 })(X), vmap(h, { inDims: 1 })(X)],
  [vmap(k, { chunkSize: 4, outDims: -1 })(X), vmap(k, { outDims: -1 })(X)],
];
`, "vmap-batched-chunks");
  const code = compileOrThrow(`${LORENZ}\nexport const c = vmap(jacrev(g), { chunkSize: 2 });\n`, "vmap-batched-chunk-code.ts", "ts").code;
  assert.match(code, /in chunks of 2 rows/);
  m.pairs.forEach(([a, b]: [Tensor, Tensor], i: number) => {
    assert.equal(a.shape, b.shape, `pair ${i}`);
    assert.equal(Array.from(a.data), Array.from(b.data), `pair ${i}`);
  });
});

test("batched path: mismatched batch sizes are the same RangeError as the row loop's", async () => {
  const m = await compileAndImport(`
import { vmap, type Tensor } from "jacc";
export const f = vmap((x: Tensor, y: Tensor) => x.mul(y).sum(), { inDims: [0, 0] });
`, "vmap-batched-sizes");
  const { zeros } = await import("jacc");
  assert.throws(() => m.f(zeros([3, 2]), zeros([4, 2])), (e: Error) => e instanceof RangeError && /vmap\(/.test(e.message) && /3/.test(e.message) && /4/.test(e.message));
});

const HESS = `
import { vmap, hessian, tensor, type Tensor } from "jacc";
const W = tensor([[0.2, -0.5, 0.1], [0.7, 0.3, -0.4], [0.1, 0.1, 0.2], [0.5, -0.2, 0.3]], { dtype: "float64" });
export function s(x: Tensor): number { return x.sin().mul(x).sum().item(); }
export function lse(x: Tensor, w: Tensor): number { return w.matmul(x).tanh().logsumexp(0).item(); }
export function soft(x: Tensor): number { return x.softmax(0).mul(x).sum().add(x.norm().square()).item(); }
// (a 0-d Tensor output keeps the row loop: its shape is known at run time only)
export function zeroD(x: Tensor): Tensor { return x.sin().mul(x).sum(); }
const X = tensor([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4], [-0.7, 2.0, 0.25], [0.05, 0.6, -1.1], [0.9, -0.3, 0.45]], { dtype: "float64" });
export const hs = vmap(hessian(s))(X);
export const hl = vmap(hessian(lse), { inDims: [0, null] })(X, W);
export const ht = vmap(hessian(soft), { inDims: 1, outDims: -1 })(X.t());
export const hz = vmap(hessian(zeroD))(X);
`;

test("vmap(hessian(f)) of tensor code is batched (a batched jvp of the straight-line gradient): equal to the row loop and to the closed form", async () => {
  const code = compileOrThrow(HESS, "vmap-batched-hessian.ts").code;
  assert.is((code.match(/vmap path: batched \(the Jacobians from one batched jvp over the basis\)/g) ?? []).length, 3);
  const fast = await compileAndImport(HESS, "vmap-batched-hessian-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(HESS, "vmap-batched-hessian-off"));
  for (const k of ["hs", "hl", "ht", "hz"]) {
    assert.equal([...fast[k].shape], [...slow[k].shape], k);
    Array.from(fast[k].data as Float64Array).forEach((x, i) => assert.ok(Math.abs(x - slow[k].data[i]) <= 1e-12 * Math.max(1, Math.abs(x)), `${k}[${i}]: batched ${x}, row loop ${slow[k].data[i]}`));
  }
  assert.equal([...fast.hs.shape], [5, 3, 3]);
  assert.equal([...fast.ht.shape], [3, 3, 5]);
  // s = Σ x sin x: the Hessian is diag(2 cos x − x sin x)
  const X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4], [-0.7, 2.0, 0.25], [0.05, 0.6, -1.1], [0.9, -0.3, 0.45]];
  X.forEach((row, b) => row.forEach((x, i) => row.forEach((_, j) => {
    const want = i === j ? 2 * Math.cos(x) - x * Math.sin(x) : 0;
    assert.ok(Math.abs(fast.hs.data[b * 9 + i * 3 + j] - want) < 1e-12, `hs[${b}][${i}][${j}]`);
  })));
});

// the batched jvp recomputes the forward once per entry of an example: beyond JAC_BATCH_MAX (8) entries
// the row loop's per-example Jacobian runs instead (a 64→128→10 MLP: 28 ms against 241 ms at B = 256);
// vmap(hessian(f)) takes the same dispatch where it is batched
const WIDE = `
import { vmap, jacrev, randn, type Tensor } from "jacc";
const W = randn([5, 12], { seed: 1, dtype: "float64" });
export function mlp(x: Tensor): Tensor { return W.matmul(x).tanh(); }
export function ew(x: Tensor): Tensor { return x.sin().mul(x.cos().sum()); }
export const X12 = randn([4, 12], { seed: 2, dtype: "float64" });
export const X4 = randn([4, 4], { seed: 3, dtype: "float64" });
export const J = vmap(jacrev(mlp));
export const E = vmap(jacrev(ew));
export const wide = [J(X12), E(X12)];
export const narrow = [E(X4)];
`;

test("vmap(jacrev(f)): the batched jvp for examples of at most 8 entries, the row loop beyond, the same numbers", async () => {
  const code = compileOrThrow(WIDE, "vmap-batched-wide.ts").code;
  assert.is((code.match(/vmap path: the batched jvp for examples of at most 8 entries/g) ?? []).length, 2);
  assert.is((code.match(/__jt\.bExampleAtMost\(\w+, 0, 8\)/g) ?? []).length, 2);
  const fast = await compileAndImport(WIDE, "vmap-batched-wide-on");
  const slow = await withPaths({ batch: false }, () => compileAndImport(WIDE, "vmap-batched-wide-off"));
  for (const k of ["wide", "narrow"]) {
    fast[k].forEach((t: Tensor, i: number) => {
      assert.equal([...t.shape], [...slow[k][i].shape], `${k} ${i}`);
      Array.from(t.data as Float64Array).forEach((x, j) => assert.ok(Math.abs(x - slow[k][i].data[j]) <= 1e-12 * Math.max(1, Math.abs(x)), `${k} ${i}[${j}]`));
    });
  }
  assert.equal([...fast.wide[0].shape], [4, 5, 12]);
});

test.run();
