// Direct Jacobian kernels (compiler/opt/fuse-jacobian.ts: fusion of the structured path): which programs get one,
// the same numbers bit for bit as the structured path (paths { direct: false }) in
// float64 and float32, and every case the kernel cannot handle (devices,
// dtypes, broadcasting, shapes, dims) falls back to that path, errors included.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, compileOrThrow, repoRoot, withPaths } from "./util/compile.js";
import { compileModule } from "../compiler/index.js";
import { sjStats, Tensor } from "../runtime/internal.js";

const SRC = `
import { jacrev, jacfwd, jacobian, type Tensor } from "jacc";
let W: Tensor, b: Tensor, K: Tensor;
export const setW = (w: Tensor, c: Tensor) => { W = w; b = c; };
export const setK = (k: Tensor) => { K = k; };
export const chain = jacrev((x: Tensor) => x.sin().mul(x.exp()).add(x.mul(0.5).tanh()).div(x.cos().add(3)).neg());
export const sigm = jacfwd((x: Tensor) => x.sigmoid().sub(x.sqrt().log()).mul(-1.5));
export const identity = jacrev((x: Tensor) => x);
export const sum1 = (x: Tensor) => jacobian((y: Tensor) => y.exp().sum(1), x);
export const sumNeg = jacrev((x: Tensor) => x.tanh().sum(-1, true));
export const sumAll = jacrev((x: Tensor) => x.mul(x).sum());
export const mean01 = jacrev((x: Tensor) => x.exp().mul(2).mean([0, 1]));
export const sum02 = jacrev((x: Tensor) => x.exp().sum([0, 2]));
export const plainSum = jacrev((x: Tensor) => x.sum(0));
export const withK = jacrev((x: Tensor) => x.mul(K).add(K.exp()));
export const layer = jacrev((x: Tensor) => W.matmul(x).add(b).tanh().mul(2));
export const layerFwd = jacfwd((x: Tensor) => W.matmul(x).sigmoid());
export const badDim = jacrev((x: Tensor) => x.exp().sum(5));
export const mlp = jacrev((x: Tensor) => W.matmul(W.matmul(x).tanh()));
`;

function rnd(n: number, f32: boolean, seed: number): Float32Array | Float64Array {
  const d = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = 0.2 + Math.abs(Math.sin(i * 1.7 + seed)) * 1.3;
  return d;
}
const T = (shape: number[], f32: boolean, seed = 1) => new Tensor(rnd(shape.reduce((p, q) => p * q, 1), f32, seed), shape);

/** Bit-for-bit equality (NaN equals NaN, −0 differs from 0). */
function same(a: unknown, b: unknown, what: string): void {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new Error(`${what}: not tensors`);
  assert.is(a.dtype, b.dtype, `${what}: dtype`);
  assert.equal([...a.shape], [...b.shape], `${what}: shape`);
  for (let i = 0; i < a.numel(); i++) if (!Object.is(a.data[i], b.data[i])) assert.unreachable(`${what}: entry ${i} ${a.data[i]} (direct) vs ${b.data[i]} (structured)`);
}

async function both(): Promise<[any, any]> {
  const fast = await compileAndImport(SRC, "direct-src");
  return [fast, await withPaths({ direct: false }, () => compileAndImport(SRC, "direct-src-off"))];
}

/** Runs `f` on both modules; returns how many direct kernel calls the fast module made. */
function check(f: (m: any) => unknown, fast: any, slow: any, what: string): number {
  const before = sjStats.direct;
  let ea: unknown, eb: unknown, ra: unknown, rb: unknown;
  try {
    ra = f(fast);
  } catch (e) {
    ea = e;
  }
  const calls = sjStats.direct - before;
  try {
    rb = f(slow);
  } catch (e) {
    eb = e;
  }
  assert.is(sjStats.direct - before, calls, `${what}: paths { direct: false } calls no kernel`);
  if (ea || eb) {
    assert.ok(ea && eb, `${what}: only one path threw (${String(ea ?? eb)})`);
    assert.is((ea as Error).constructor, (eb as Error).constructor, what);
    assert.is((ea as Error).message, (eb as Error).message, what);
    return calls;
  }
  same(ra, rb, what);
  return calls;
}

test("which programs get a direct kernel", () => {
  const r = compileOrThrow(SRC, path.join(repoRoot, ".tmp", "tests", "direct-src.ts"));
  const kernels = [...r.code.matchAll(/^function (\w+_direct)\(/gm)].map((m) => m[1]);
  assert.is(kernels.length, 13, kernels.join(", "));
  assert.not.ok(/jacrev_\w*mlp\w*_direct/.test(r.code), "two matmuls: no direct kernel");
  assert.not.ok(r.code.includes("new Function") || r.code.includes("eval("));
  assert.not.ok(withPaths({ direct: false }, () => compileOrThrow(SRC, path.join(repoRoot, ".tmp", "tests", "direct-src-off.ts"))).code.includes("_direct("));
});

test("a direct kernel is fusion of the structured path: the plan says which, and fusion off leaves the structured path", () => {
  const file = path.join(repoRoot, ".tmp", "tests", "direct-plan.ts");
  const plans = (paths: object) =>
    withPaths(paths, () => compileModule(SRC, file, { explain: true, paths }))
      .markers!.filter((m) => m.plan)
      .map((m) => `${m.plan!.strategy}: ${m.plan!.reason.replace(/^.*\(no direct kernel: /, "").replace(/^one input.*/, "fused")}`);
  const on = plans({});
  assert.is(on.filter((p) => p === "direct: fused").length, 13, on.join("\n"));
  assert.ok(on.includes("structured: not an elementwise chain (or its sum) nor g(W @ x))"), on.join("\n"));
  const off = plans({ fuse: false });
  assert.ok(off.every((p) => p === "structured: CompileOptions.paths { fuse: false })"), off.join("\n"));
  assert.not.ok(compileModule(SRC, file, { paths: { fuse: false } }).code.includes("_direct("));
  // the kernel is made after the AD transforms, by the first pass of the pipeline, and the IR checks after it
  assert.ok(/^function jacrev_fn_direct\(/m.test(compileModule(SRC, file, { checkIR: true }).code));
});

test("elementwise chains and reductions: the same bits as the structured path, float64 and float32", async () => {
  const [fast, slow] = await both();
  for (const f32 of [false, true]) {
    const tag = f32 ? "float32" : "float64";
    for (const shape of [[5], [2, 2], [3, 4], [2, 3, 4], [1, 1]]) {
      const x = T(shape, f32);
      for (const k of ["chain", "sigm", "identity", "sumAll", "sumNeg", "plainSum"]) assert.is(check((m) => m[k](x), fast, slow, `${k} ${tag} [${shape}]`), 1, `${k} [${shape}] runs its kernel`);
      if (shape.length >= 2) {
        assert.is(check((m) => m.sum1(x), fast, slow, `sum1 ${tag} [${shape}]`), 1);
        assert.is(check((m) => m.mean01(x), fast, slow, `mean01 ${tag} [${shape}]`), 1);
      }
    }
    // a 0-d input: a 1×1 Jacobian of shape []
    for (const k of ["chain", "sigm", "identity"]) assert.is(check((m) => m[k](T([], f32)), fast, slow, `${k} ${tag} []`), 1);
    // reducing dims 0 and 2 of a 3-D tensor is not one run: the structured path
    assert.is(check((m) => m.sum02(T([2, 3, 4], f32)), fast, slow, `sum02 ${tag}`), 0);
    // a constant of x's shape is read element by element; a broadcast one falls back
    const x = T([2, 3], f32);
    fast.setK(T([2, 3], f32, 7));
    slow.setK(T([2, 3], f32, 7));
    assert.is(check((m) => m.withK(x), fast, slow, `withK ${tag}`), 1);
    fast.setK(T([3], f32, 7));
    slow.setK(T([3], f32, 7));
    assert.is(check((m) => m.withK(x), fast, slow, `withK broadcast ${tag}`), 0);
  }
});

test("g(W @ x): rows of W through the tangent ops; mixed dtypes, a 2-D x and broadcast biases fall back", async () => {
  const [fast, slow] = await both();
  const set = (w: Tensor, c: Tensor) => (fast.setW(w, c), slow.setW(w, c));
  for (const f32 of [false, true]) {
    for (const [p, q] of [[10, 10], [3, 7], [1, 1], [6, 2]]) {
      set(T([p, q], f32, 3), T([p], f32, 4));
      const x = T([q], f32, 5);
      assert.is(check((m) => m.layer(x), fast, slow, `layer ${p}x${q} f32=${f32}`), 1);
      assert.is(check((m) => m.layerFwd(x), fast, slow, `layerFwd ${p}x${q} f32=${f32}`), 1);
    }
  }
  set(T([4, 3], true, 3), T([4], true, 4));
  assert.is(check((m) => m.layer(T([3], false, 5)), fast, slow, "float32 W, float64 x"), 0);
  set(T([4, 3], false, 3), T([1], false, 4));
  assert.is(check((m) => m.layer(T([3], false, 5)), fast, slow, "a broadcast bias"), 0);
  set(T([4, 3], false, 3), T([4, 2], false, 4));
  assert.is(check((m) => m.layerFwd(T([3, 2], false, 5)), fast, slow, "a 2-D x"), 0);
});

test("what the kernel cannot take reaches the ops: the same errors", async () => {
  const [fast, slow] = await both();
  assert.is(check((m) => m.badDim(T([2, 3], false)), fast, slow, "sum(5) of a 2-D tensor"), 0);
  assert.throws(() => fast.badDim(T([2, 3], false)), (e: Error) => e instanceof RangeError && /sum/.test(e.message));
  fast.setW(T([4, 3], false), T([4], false));
  slow.setW(T([4, 3], false), T([4], false));
  assert.is(check((m) => m.layer(T([5], false)), fast, slow, "matmul: inner dims differ"), 0);
  assert.throws(() => fast.layer(T([5], false)), (e: Error) => e instanceof RangeError && /matmul/.test(e.message));
  assert.throws(() => fast.chain([1, 2]), (e: Error) => e instanceof TypeError && /must be a Tensor/.test(e.message));
  // an empty tensor: the structured path's empty Jacobian
  assert.is(check((m) => m.chain(new Tensor(new Float64Array(0), [0])), fast, slow, "empty"), 0);
});

test.run();
