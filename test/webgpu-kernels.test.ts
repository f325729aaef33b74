// Every WGSL kernel kind against the CPU: the runtime ops and AD helpers run
// on WebGPU (Dawn; SwiftShader without a GPU) and on the CPU in float32, over
// shapes with broadcasting, keepdim, sizes that are not multiples of the
// workgroup or tile size, empty and 0-d tensors, and grids past 65535
// workgroups. Each call also checks that the kernels it dispatched are those
// compiler/emit/wgsl lists for that runtime function (what a module gets).
import * as assert from "uvu/assert";
import { test } from "uvu";
import * as jt from "../runtime/internal.js";
import { BINARY_NAMES, ELEMENTWISE_OPS, UNARY_NAMES } from "../compiler/ops/elementwise.js";
import { Tensor, webgpuExecutor } from "../runtime/internal.js";
import { KERNELS, RUNTIME_KERNELS } from "../compiler/emit/wgsl/index.js";
import { gpuTest, mismatches, registerAllKernels } from "./util/webgpu.js";

const FILE = "webgpu-kernels";
const it = (name: string, fn: () => Promise<void>) => gpuTest(FILE, name, async () => (registerAllKernels(), fn()));

/** Deterministic float32 values in [lo, hi). */
function vals(shape: number[], lo = -2, hi = 2, seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    d[i] = lo + ((s / 2147483648) * (hi - lo));
  }
  return new Tensor(d, shape);
}

const gpu = (t: Tensor) => t.to("webgpu");

type V = Tensor | number | undefined | V[];
async function back(v: V): Promise<V> {
  if (v instanceof Tensor) return v.device === "webgpu" ? new Tensor(await v.read(), v.shape.slice()) : v;
  if (Array.isArray(v)) return Promise.all(v.map(back));
  return v;
}

/**
 * Runs `f` on CPU tensors and on their WebGPU copies (numbers stay numbers)
 * and compares; `fn` names the runtime function whose kernel list is checked.
 */
async function same(fn: string, f: (...a: any[]) => V, args: unknown[], tol = 2e-6): Promise<void> {
  const cpu = f(...args);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const onDev = args.map((a) => (a instanceof Tensor ? gpu(a) : Array.isArray(a) && a[0] instanceof Tensor ? a.map(gpu) : a));
  const g = await back(f(...onDev));
  const shapeOf = (v: V): unknown => (v instanceof Tensor ? v.shape : Array.isArray(v) ? v.map(shapeOf) : typeof v);
  assert.equal(shapeOf(g), shapeOf(cpu), `${fn}: shapes`);
  const flat = (v: V): number[] => (v instanceof Tensor ? Array.from(v.data) : Array.isArray(v) ? v.flatMap(flat) : typeof v === "number" ? [v] : []);
  const bad = mismatches(flat(g), flat(cpu), tol);
  assert.ok(bad.length === 0, `${fn}: ${bad.length} mismatches\n  ${bad.slice(0, 5).join("\n  ")}`);
  const allowed = RUNTIME_KERNELS[fn];
  assert.ok(allowed, `${fn} has no entry in RUNTIME_KERNELS`);
  const extra = [...ex.used].filter((k) => !allowed.includes(k));
  assert.equal(extra, [], `${fn} dispatched kernels missing from its RUNTIME_KERNELS entry`);
}

it("every kernel compiles on the device without errors or warnings", async () => {
  const dev = webgpuExecutor()!.device;
  for (const [name, gen] of Object.entries(KERNELS)) {
    const m = dev.createShaderModule({ code: gen(), label: name });
    const info = await m.getCompilationInfo();
    const msgs = info.messages.filter((x: { type: string }) => x.type !== "info").map((x: { message: string }) => x.message);
    assert.equal(msgs, [], `${name}: ${msgs.join("; ")}`);
  }
});

// every unary op of the registry (compiler/ops/elementwise.ts), over its test domain scaled out
/** The runtime function of a unary op: a variant (geluTanh) is its op with the option (gelu(x, { approximate: "tanh" })). */
const unaryFn = (op: string) => {
  const v = ELEMENTWISE_OPS[op as keyof typeof ELEMENTWISE_OPS].variantOf;
  return v ? (x: Tensor) => (jt as any)[v[0]](x, { [v[1]]: v[2] }) : (x: Tensor) => (jt as any)[op](x);
};

const runtimeName = (op: string) => ELEMENTWISE_OPS[op as keyof typeof ELEMENTWISE_OPS].variantOf?.[0] ?? op;

it("unary kernels: every op, odd sizes, 0-d, empty, special values", async () => {
  for (const op of UNARY_NAMES) {
    const [lo, hi] = ELEMENTWISE_OPS[op].test.dom[0];
    const pos = lo > 0;
    for (const shape of [[131], [3, 5, 7], [], [0, 3]]) {
      await same(runtimeName(op), unaryFn(op), [vals(shape, pos ? 0.01 : Math.min(-6, 3 * lo), pos ? 9 : Math.max(6, 3 * hi), shape.length + 3)], 3e-6);
    }
  }
  const special = new Tensor(Float32Array.from([0, -0, 1e-30, -1e-30, 30, -30, 100, -100, 1e4, -1e4, Infinity, -Infinity, NaN]), [13]);
  for (const op of UNARY_NAMES.filter((n) => ELEMENTWISE_OPS[n].test.dom[0][0] < 0 && n !== "sin" && n !== "cos")) await same(runtimeName(op), unaryFn(op), [special], 3e-6);
  // parameters reach the kernel: softplus with beta and threshold given, across the threshold
  await same("softplus", (x: Tensor) => jt.softplus(x, 2, 1), [vals([5, 7], -3, 3)], 3e-6);
  // sin and cos reduce their argument exactly for |x| < 8192 (beyond, the device's builtins: about 1e-3)
  const angles = new Tensor(Float32Array.from([0, -0, 1e-30, 30, -30, 100, -100, 8000, -8000, Infinity, NaN]), [11]);
  for (const op of ["sin", "cos"] as const) await same(op, (x: Tensor) => (jt as any)[op](x), [angles], 3e-6);
  await same("log", jt.log, [new Tensor(Float32Array.from([0, 1, -1, Infinity, NaN, 1e-30]), [6])]);
  await same("sqrt", jt.sqrt, [new Tensor(Float32Array.from([0, 4, -1, Infinity, NaN]), [5])]);
});

it("binary kernels: every op with broadcasting, number operands, 0-d and empty tensors", async () => {
  const pairs: [number[], number[]][] = [[[67], [67]], [[3, 1, 5], [4, 1]], [[2, 3], []], [[], [4]], [[0, 3], [3]], [[5, 1], [1, 6]]];
  for (const op of BINARY_NAMES.filter((n) => n !== "pow")) {
    for (const [a, b] of pairs) await same(op, (x: Tensor, y: Tensor) => (jt as any)[op](x, y), [vals(a, -3, 3, 1), vals(b, 0.5, 3, 2)]);
    await same(op, (x: Tensor) => (jt as any)[op](x, 1.5), [vals([4, 9])]);
    await same(op, (x: Tensor) => (jt as any)[op](-0.75, x), [vals([4, 9], 0.5, 2)]);
  }
  await same("add", (x: Tensor, y: Tensor) => jt.add(x, y, { alpha: -2 }), [vals([3, 4]), vals([4])]);
  await same("sub", (x: Tensor, y: Tensor) => jt.sub(x, y, { alpha: 0.5 }), [vals([3, 4]), vals([3, 1])]);
  // pow: negative bases with integer exponents, fractional exponents of positive bases, 0 and 1
  const base = new Tensor(Float32Array.from([-2, -1.5, 0, 1, 2.5, 3, -3, 0.5]), [8]);
  const expo = new Tensor(Float32Array.from([2, 3, 0.5, -7, 1.3, -2, 0, -0.5]), [8]);
  await same("pow", jt.pow, [base, expo], 3e-6);
  await same("pow", (x: Tensor) => jt.pow(x, 3), [vals([5, 7])], 3e-6);
  await same("pow", (x: Tensor) => jt.pow(2, x), [vals([5, 7])], 3e-6);
  await same("maximum", jt.maximum, [new Tensor(Float32Array.from([1, NaN, 3]), [3]), new Tensor(Float32Array.from([NaN, 2, 1]), [3])]);
});

it("where, clamp and their masks", async () => {
  const cond = new Tensor(Float32Array.from([1, 0, 0, 1, NaN, 0]), [2, 3]);
  await same("where", (c: Tensor, x: Tensor, y: Tensor) => jt.where(c, x, y), [cond, vals([4, 2, 3]), vals([3])]);
  await same("where", (c: Tensor, x: Tensor) => jt.where(c, x, -1), [cond, vals([2, 3])]);
  await same("where", (c: Tensor, y: Tensor) => jt.where(c, 2.5, y), [cond, vals([2, 1])]);
  await same("clamp", (x: Tensor) => jt.clamp(x, -0.5, 0.7), [vals([129])]);
  await same("clamp", (x: Tensor) => jt.clamp(x, null, 0.7), [vals([3, 3])]);
  await same("clamp", (x: Tensor, lo: Tensor, hi: Tensor) => jt.clamp(x, lo, hi), [vals([4, 5]), vals([5], -1, 0), vals([4, 1], 0, 1)]);
  await same("adClampMask", (x: Tensor) => jt.adClampMask(x, -0.5, 0.5), [vals([4, 5])]);
  await same("adClampMask", (x: Tensor, lo: Tensor) => jt.adClampMask(x, lo, null), [vals([4, 5]), vals([5], -1, 0)]);
  await same("adStep", jt.adStep, [vals([77])]);
  await same("adSign", jt.adSign, [new Tensor(Float32Array.from([-2, 0, 3, -0]), [4])]);
  const a = new Tensor(Float32Array.from([1, 2, 3, 4]), [4]);
  const b = new Tensor(Float32Array.from([1, 5, 3, 0]), [4]);
  await same("adEqMask", jt.adEqMask, [a, b]);
  await same("adPickWeight", (x: Tensor, y: Tensor) => jt.adPickWeight(x, y, true), [a, b]);
  await same("adPickWeight", (x: Tensor, y: Tensor) => jt.adPickWeight(x, y, false), [vals([2, 4]), vals([4])]);
});

it("reductions: sum mean prod max min over dims, keepdim, 0-d, empty, more than 65535 outputs", async () => {
  const x = vals([3, 4, 5], -1.5, 1.5);
  for (const op of ["sum", "mean", "prod", "max", "min"] as const) {
    for (const dim of [undefined, 1, -1, [0, 2], [0, 1, 2]]) {
      for (const keepdim of [false, true]) await same(op, (t: Tensor) => (jt as any)[op](t, dim, keepdim), [x], 3e-6);
    }
    await same(op, (t: Tensor) => (jt as any)[op](t), [vals([])]);
    await same(op, (t: Tensor) => (jt as any)[op](t, 0, true), [vals([1000], 0.99, 1.01)], 1e-5);
  }
  await same("sum", (t: Tensor) => jt.sum(t, 1), [vals([0, 3])]);
  await same("sum", (t: Tensor) => jt.sum(t, 0), [vals([0, 3])]);
  await same("mean", (t: Tensor) => jt.mean(t, 0), [vals([0, 3])]);
  await same("sum", (t: Tensor) => jt.sum(t, 1), [vals([70001, 3])]);
  await same("max", (t: Tensor) => jt.max(t, 0), [new Tensor(Float32Array.from([1, NaN, 3, 2]), [4])]);
  await same("max", (t: Tensor, u: Tensor) => jt.max(t, u), [vals([3, 2]), vals([2])]);
});

it("matmul (tiled), dot and outer: odd sizes, several tiles, 1-D operands, broadcast batches", async () => {
  const cases: [number[], number[]][] = [[[5, 7], [7, 3]], [[33, 17], [17, 40]], [[7], [7, 4]], [[4, 7], [7]], [[9], [9]],
    [[2, 1, 3, 4], [5, 4, 2]], [[3, 0], [0, 2]], [[0, 3], [3, 2]], [[1, 1], [1, 1]]];
  for (const [a, b] of cases) await same("matmul", jt.matmul, [vals(a, -1, 1, 1), vals(b, -1, 1, 2)], 1e-5);
  await same("dot", jt.dot, [vals([100]), vals([100], -1, 1, 5)], 1e-5);
  await same("outer", jt.outer, [vals([5]), vals([3])]);
  await same("adMatmulBackA", (ct: Tensor, a: Tensor, b: Tensor) => jt.adMatmulBackA(ct, a, b), [vals([2, 3, 2]), vals([3, 4]), vals([2, 4, 2])], 1e-5);
  await same("adMatmulBackB", (ct: Tensor, a: Tensor, b: Tensor) => jt.adMatmulBackB(ct, a, b), [vals([2, 3, 2]), vals([3, 4]), vals([2, 4, 2])], 1e-5);
});

it("shape ops: views share the buffer; transpose permute expand narrow select index cat stack copy through index maps", async () => {
  const x = vals([2, 3, 4]);
  await same("reshape", (t: Tensor) => jt.reshape(t, 4, -1), [x]);
  await same("view", (t: Tensor) => jt.view(t, [6, 4]), [x]);
  await same("flatten", (t: Tensor) => jt.flatten(t, 1), [x]);
  await same("squeeze", (t: Tensor) => jt.squeeze(t), [vals([1, 3, 1])]);
  await same("unsqueeze", (t: Tensor) => jt.unsqueeze(t, -1), [x]);
  const g = gpu(x) as any;
  assert.is((jt.reshape(g, [24]) as any).storage, g.storage, "reshape is a view of the same buffer");
  await same("transpose", (t: Tensor) => jt.transpose(t, 0, 2), [x]);
  await same("t", jt.t, [vals([5, 3])]);
  await same("t", jt.t, [vals([5])]);
  await same("permute", (t: Tensor) => jt.permute(t, 2, 0, 1), [x]);
  await same("expand", (t: Tensor) => jt.expand(t, 2, 3, 4), [vals([3, 1])]);
  await same("narrow", (t: Tensor) => jt.narrow(t, 2, 1, 2), [x]);
  await same("narrow", (t: Tensor) => jt.narrow(t, 0, -1, 1), [x]);
  await same("select", (t: Tensor) => jt.select(t, 1, -1), [x]);
  await same("select", (t: Tensor) => jt.select(t, 0, 2), [vals([3])]);
  await same("index", (t: Tensor) => jt.index(t, [2, 0, -1, 2]), [vals([3, 4])]);
  await same("index", (t: Tensor) => jt.index(t, [[1, 0], [0, 1]]), [vals([2, 5])]);
  await same("index", (t: Tensor) => jt.index(t, 1), [vals([2, 5])]);
  await same("cat", (ts: Tensor[]) => jt.cat(ts, 1), [[vals([2, 3]), vals([2, 1]), vals([2, 0])]]);
  await same("cat", (ts: Tensor[]) => jt.cat(ts), [[vals([3]), vals([0]), vals([2])]]);
  await same("stack", (ts: Tensor[]) => jt.stack(ts, 1), [[vals([2, 3]), vals([2, 3], -1, 1, 4)]]);
  await same("stack", (ts: Tensor[]) => jt.stack(ts, -1), [[vals([]), vals([], -1, 1, 4)]]);
});

it("softmax and logSoftmax along each dim", async () => {
  for (const dim of [0, 1, -1]) {
    await same("softmax", (t: Tensor) => jt.softmax(t, dim), [vals([4, 37], -20, 20)], 3e-6);
    await same("logSoftmax", (t: Tensor) => jt.logSoftmax(t, dim), [vals([4, 37], -20, 20)], 3e-6);
  }
  await same("softmax", (t: Tensor) => jt.softmax(t, 0), [vals([])]);
});

it("AD helpers: basis directions, Jacobian rows and columns, un-broadcasting and the backward of shape ops", async () => {
  const x = vals([3, 4]);
  await same("adOneHot", (t: Tensor) => jt.adOneHot(t, 7), [x]);
  await same("adZerosLike", jt.adZerosLike, [x]);
  await same("adBlock", (o: Tensor, i: Tensor) => jt.adBlock(o, i, "in"), [vals([2]), x]);
  const rows = (J: Tensor, r: Tensor) => {
    jt.adSetRow(J, 1, r, 12);
    jt.adSetRow(J, 0, 2.5, 12);
    return J;
  };
  await same("adSetRow", rows, [new Tensor(new Float32Array(24), [2, 3, 4]), x]);
  const cols = (J: Tensor, c: Tensor) => {
    jt.adSetCol(J, 2, c, 5);
    jt.adSetCol(J, 0, 1.5, 5);
    return J;
  };
  await same("adSetCol", cols, [new Tensor(new Float32Array(15), [3, 5]), vals([3])]);
  await same("adExpandAs", (t: Tensor, like: Tensor) => jt.adExpandAs(t, like), [vals([4]), x]);
  await same("adExpandAs", (like: Tensor) => jt.adExpandAs(0.5, like), [x]);
  await same("adSumTo", (t: Tensor, like: Tensor) => jt.adSumTo(t, like), [vals([2, 3, 4]), vals([3, 1])]);
  await same("adSumBackward", (ct: Tensor, t: Tensor) => jt.adSumBackward(ct, t, [0, 2], false), [vals([3]), vals([2, 3, 4])]);
  await same("adMeanBackward", (ct: Tensor, t: Tensor) => jt.adMeanBackward(ct, t, 1, true), [vals([2, 1, 4]), vals([2, 3, 4])]);
  await same("adSelectBackward", (ct: Tensor, t: Tensor) => jt.adSelectBackward(ct, t, 1, -1), [vals([2, 4]), vals([2, 3, 4])]);
  await same("adNarrowBackward", (ct: Tensor, t: Tensor) => jt.adNarrowBackward(ct, t, 2, 1, 2), [vals([2, 3, 2]), vals([2, 3, 4])]);
  await same("adCatPiece", (ct: Tensor, a: Tensor, b: Tensor) => jt.adCatPiece(ct, 1, 1, false, a, b), [vals([2, 5]), vals([2, 2]), vals([2, 3])]);
  const withTie = new Tensor(Float32Array.from([1, 3, 3, 0, 2, -1]), [2, 3]);
  await same("adExtremumWeights", (t: Tensor, o: Tensor) => jt.adExtremumWeights(t, o, 1, false), [withTie, jt.max(withTie, 1)]);
  await same("adExtremumWeights", (t: Tensor, o: Tensor) => jt.adExtremumWeights(t, o, 0, true), [withTie, jt.min(withTie, 0, true)]);
  const withZero = new Tensor(Float32Array.from([1.5, 0, -2, 0.5, 3, -1, 2, 0.25, 1, 0, 0, 4]), [3, 4]);
  await same("adProdGrad", (t: Tensor) => jt.adProdGrad(t, 1), [withZero], 1e-5);
  await same("adProdGrad", (t: Tensor) => jt.adProdGrad(t, [0, 1]), [withZero], 1e-5);
  await same("adProdGradJvp", (t: Tensor, d: Tensor) => jt.adProdGradJvp(t, d, 0), [withZero, vals([3, 4])], 1e-5);
  await same("adIndexBackward", (ct: Tensor, t: Tensor) => jt.adIndexBackward(ct, t, [2, 0, 2]), [vals([3, 4]), vals([3, 4])]);
});

it("large tensors: grids of more than 65535 workgroups", async () => {
  const n = 65535 * 64 + 100;
  await same("exp", jt.exp, [vals([n], -1, 1)], 3e-6);
  await same("add", jt.add, [vals([n / 4, 4]), vals([4])]);
});

it("buffers return to the pool once their tensors are garbage, and pipelines are cached by text", async () => {
  const ex = webgpuExecutor()!;
  const before = ex.stats.pipelinesCreated;
  const x = gpu(vals([1000]));
  for (let i = 0; i < 3; i++) await jt.exp(x).read();
  assert.ok(ex.stats.pipelinesCreated - before <= 1, "exp's pipeline is compiled at most once");
});

it("buffer pool: a released buffer is reused by size class, only after the batch that may use it was submitted", async () => {
  const ex = webgpuExecutor()!;
  ex.flush();
  const a = ex.alloc("test", 1000); // size class 1024
  ex.release(a); // no open batch: straight back to the pool
  const b = ex.alloc("test", 900);
  assert.is(b.buffer, a.buffer, "same size class, same buffer");
  const t = jt.tensor([1, 2, 3]).to("webgpu");
  jt.exp(t); // opens a batch
  ex.release(b); // may still be read by an encoded command: held back
  const c = ex.alloc("test", 1000);
  assert.is.not(c.buffer, b.buffer, "not reused while the batch is open");
  ex.flush();
  const d = ex.alloc("test", 1000);
  assert.is(d.buffer, b.buffer, "reused after the submission");
});

test.run();
