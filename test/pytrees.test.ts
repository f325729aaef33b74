// Structured values (SPEC §3, issue 17 §1; torch.func's and JAX's pytrees):
// records and nested tuples inside differentiated code, as marker inputs (one
// input whose leaves are differentiated), as outputs and as aux. Each result
// is checked against central finite differences and against the same program
// written with flat parameters; what stays unsupported is a located
// diagnostic. (PyTorch's values for an MLP over a Params record: fixture
// tensor/50_pytree_mlp.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, Tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import { gpuTest, kind, mismatches, numbers, readBack, registerAllKernels } from "./util/webgpu.js";

type Rec = { [k: string]: number | Rec | number[] };

/** Nested arrays and records of a result, Tensors as nested arrays. */
const plain = (v: unknown): unknown =>
  v instanceof Tensor ? v.toArray() : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

/** Same structure (keys in order, lengths), numbers within tol. */
function near(got: unknown, want: unknown, what: string, tol = 1e-6): void {
  const g = plain(got), w = plain(want);
  const go = (a: unknown, b: unknown, at: string): void => {
    if (typeof b === "number") {
      assert.type(a, "number", `${what}${at}: ${JSON.stringify(g)} vs ${JSON.stringify(w)}`);
      assert.ok(Math.abs((a as number) - b) <= tol * (1 + Math.abs(b)), `${what}${at}: got ${a}, expected ${b}\n${JSON.stringify(g)}\n${JSON.stringify(w)}`);
    } else if (Array.isArray(b)) {
      assert.ok(Array.isArray(a) && a.length === b.length, `${what}${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      b.forEach((x, i) => go((a as unknown[])[i], x, `${at}[${i}]`));
    } else {
      assert.equal(Object.keys(a as object), Object.keys(b as object), `${what}${at}: keys`);
      for (const k of Object.keys(b as object)) go((a as Rec)[k], (b as Rec)[k], `${at}.${k}`);
    }
  };
  go(g, w, "");
}

/** The leaves of a record or tuple, with a setter for each (in key order). */
function leaves(v: unknown): { get: () => number; set: (x: number) => void }[] {
  const out: { get: () => number; set: (x: number) => void }[] = [];
  const go = (o: Record<string | number, unknown>) => {
    for (const k of Object.keys(o)) {
      if (typeof o[k] === "number") out.push({ get: () => o[k] as number, set: (x) => (o[k] = x) });
      else go(o[k] as Record<string, unknown>);
    }
  };
  go(v as Record<string, unknown>);
  return out;
}

/** d f / d leaf for every leaf of `arg`, by central differences, as a structure like `arg`. */
function fdGrad(f: (a: any) => number, arg: unknown, h = 1e-6): unknown {
  const copy = structuredClone(arg);
  const grads = structuredClone(arg);
  const ls = leaves(copy), gs = leaves(grads);
  ls.forEach((l, i) => {
    const x = l.get();
    l.set(x + h);
    const up = f(copy);
    l.set(x - h);
    const down = f(copy);
    l.set(x);
    gs[i].set((up - down) / (2 * h));
  });
  return grads;
}

const SRC = `
import { grad, hessian, jacfwd, jacobian, jacrev, jvp, vjp, vmap, type Tensor } from "jacc";

interface Vec2 { x: number; y: number }
interface State extends Vec2 { v: Vec2 }
type Pair = [number, [number, number]];

// records read, destructured, spread, written and returned
export function energy(s: State, k: number): number {
  const { x, v: { x: vx, y: vy } } = s;
  const moved = { ...s.v, y: vy * s.y };
  moved.x += x * k;
  return 0.5 * (moved.x * moved.x + moved.y * vy) + k * Math.sin(x * s.y) + vx;
}
export function energyFlat(x: number, y: number, vx: number, vy: number, k: number): number {
  const mx = vx + x * k, my = vy * y;
  return 0.5 * (mx * mx + my * vy) + k * Math.sin(x * y) + vx;
}

// a record output, built by a helper that takes and returns records
function scale(p: Vec2, by: number): Vec2 { return { x: p.x * by, y: p.y * by }; }
export function step(s: State, dt: number): State {
  const dv = scale({ x: -s.x, y: -s.y * s.y }, dt);
  const v = { x: s.v.x + dv.x, y: s.v.y + dv.y };
  return { x: s.x + dt * v.x, y: s.y + dt * v.y, v };
}

// nested tuples in and out
export function pairF(t: Pair): [number, [number, number]] {
  const [a, [b, c]] = t;
  return [a * b, [Math.exp(c) * a, b / c]];
}

// a record local reassigned in a loop
export function integrate(s: Vec2, n: number): number {
  let p = { x: s.x, y: s.y };
  for (let i = 0; i < n; i++) p = { x: p.x + 0.1 * p.y, y: p.y - 0.1 * Math.sin(p.x) };
  return p.x * p.y;
}

// a nested record property assigned a record on one branch, then a leaf of it updated
export function nestedWrite(s: State): number {
  const o = { ...s, v: { x: s.v.x, y: s.v.y } };
  if (s.x > 0) o.v = { x: o.v.y, y: o.v.x * 2 };
  o.v.x *= s.y;
  return o.v.x + o.v.y * o.x;
}

// a record chosen by ?:
export function pick(s: State): number {
  const q = s.x > 0 ? s.v : { x: s.y, y: s.x * s.x };
  return q.x * q.y + s.y;
}

// a config record of numbers, not differentiated (argnums leaves it out): read as it is
interface Cfg { gain: number; offset: number }
export function withCfg(x: number, c: Cfg): number { return c.gain * x * x + c.offset; }

// tensors in a record; a marker inside a differentiated function over a record
interface Lin { W: Tensor; b: Tensor }
export function lin(p: Lin, x: Tensor): Tensor { return p.W.matmul(x).add(p.b).tanh().sum(); }
export function linFlat(W: Tensor, b: Tensor, x: Tensor): Tensor { return W.matmul(x).add(b).tanh().sum(); }
function sq(p: Vec2): number { return p.x * p.x * p.y; }
export function inner(p: Vec2): number { const g = grad(sq)(p); return g.x * p.y + jacobian(sq, p).y; }

export const gE = grad(energy);
export const gEflat = grad(energyFlat, { argnums: [0, 1, 2, 3] });
export const gEboth = grad(energy, { argnums: [0, 1] });
export const jrE = jacrev(energy);
export const jfE = jacfwd(energy);
export const hE = hessian(energy);
export const hEflat = hessian(energyFlat, { argnums: [0, 1, 2, 3] });
export const jStep = jacrev(step);
export const jfStep = jacfwd(step);
export const jacStep = (s: State, dt: number) => jacobian(step, [s, dt]);
export const jacStep1 = (s: State) => jacobian((q: State) => step(q, 0.1), s);
export const vjpStep = (s: State, dt: number) => vjp(step, [s, dt]);
export const jvpStep = (s: State, dt: number, ts: State, tdt: number) => jvp(step, [s, dt], [ts, tdt]);
export const jPair = jacrev(pairF);
export const jfPair = jacfwd(pairF);
export const gInt = grad(integrate);
export const gCfg = grad(withCfg);
export const gPick = grad(pick);
export const gNested = grad(nestedWrite);
export const gLin = grad(lin);
export const gLinFlat = grad(linFlat, { argnums: [0, 1] });
export const jLinOut = jacrev((p: Lin, x: Tensor) => p.W.matmul(x).add(p.b).tanh());
export const gInner = grad(inner);
export const gAux = grad((s: Vec2): [number, { sum: number; both: [number, number] }] => [s.x * s.y, { sum: s.x + s.y, both: [s.x, s.y] }], { hasAux: true });
export const vmE = vmap(energy, { inDims: [0, null] });
export const vmGrad = vmap(grad(sq));
export const vmStep = vmap(step, { inDims: [0, null] });
// a record of dims (JAX's in_axes as a prefix of the structure): per-sample gradients with shared weights
export const perSample = vmap(grad(lin, { argnums: 1 }), { inDims: [{ W: null, b: 0 }, 0] });
export const vmHalf = vmap((v: Vec2) => v.x * v.y, { inDims: { x: 0, y: null } });
`;

const S = { x: 0.7, y: -0.4, v: { x: 0.3, y: 1.2 } };

test("grad / jacrev / jacfwd over a record: an object of the same structure, as finite differences and the flat program", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const k = 1.3;
  const want = fdGrad((s) => m.energy(s, k), S);
  near(m.gE(S, k), want, "grad");
  near(m.jrE(S, k), want, "jacrev");
  near(m.jfE(S, k), want, "jacfwd");
  const [gx, gy, gvx, gvy] = m.gEflat(S.x, S.y, S.v.x, S.v.y, k);
  near(m.gE(S, k), { x: gx, y: gy, v: { x: gvx, y: gvy } }, "grad vs the flat program", 1e-12);
  // argnums [0, 1]: the record's gradient and the number's
  const [gs, gk] = m.gEboth(S, k);
  near(gs, want, "argnums [0, 1]: the record");
  near(gk, (m.energy(S, k + 1e-6) - m.energy(S, k - 1e-6)) / 2e-6, "argnums [0, 1]: the number");
  // the inputs are not changed
  assert.equal(S, { x: 0.7, y: -0.4, v: { x: 0.3, y: 1.2 } });
});

test("hessian over a record: a record of records, as the flat program's matrix", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const k = 1.3;
  const H = m.hE(S, k);
  const F = m.hEflat(S.x, S.y, S.v.x, S.v.y, k);
  const rowOf = (i: number) => ({ x: F[i][0], y: F[i][1], v: { x: F[i][2], y: F[i][3] } });
  near(H, { x: rowOf(0), y: rowOf(1), v: { x: rowOf(2), y: rowOf(3) } }, "hessian", 1e-9);
});

test("a record output: the output's structure outside, the input's inside (jacrev, jacfwd, jacobian)", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const dt = 0.1;
  const outLeaves = ["x", "y", "v.x", "v.y"];
  const read = (o: any, path: string) => path.split(".").reduce((a, k) => a[k], o);
  // finite differences of each output leaf: a record (of the output) of records (of the input)
  const fdOf = (leaf: string) => fdGrad((s) => read(m.step(s, dt), leaf), S);
  const want = { x: fdOf("x"), y: fdOf("y"), v: { x: fdOf("v.x"), y: fdOf("v.y") } };
  near(m.jStep(S, dt), want, "jacrev");
  near(m.jfStep(S, dt), want, "jacfwd");
  near(m.jacStep1(S), want, "jacobian of a single record input");
  // jacobian with a tuple of inputs: each output leaf holds [block for the record, block for dt]
  const J = m.jacStep(S, dt);
  for (const leaf of outLeaves) {
    const blk = read(J, leaf);
    near(blk[0], read(want, leaf), `jacobian ${leaf} wrt s`);
    near(blk[1], (read(m.step(S, dt + 1e-6), leaf) - read(m.step(S, dt - 1e-6), leaf)) / 2e-6, `jacobian ${leaf} wrt dt`);
  }
});

test("vjp and jvp: primals, tangents and cotangents with the parameters' and the output's structure", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const dt = 0.1;
  const [out, back] = m.vjpStep(S, dt);
  near(out, m.step(S, dt), "vjp: the output");
  const ct = { x: 0.5, y: -1, v: { x: 2, y: 0.25 } };
  const dot = (o: any) => ct.x * o.x + ct.y * o.y + ct.v.x * o.v.x + ct.v.y * o.v.y;
  const [cs, cdt] = back(ct);
  near(cs, fdGrad((s) => dot(m.step(s, dt)), S), "vjp: the record's cotangent");
  near(cdt, (dot(m.step(S, dt + 1e-6)) - dot(m.step(S, dt - 1e-6))) / 2e-6, "vjp: the number's cotangent");
  const ts = { x: 1, y: 0.5, v: { x: -0.25, y: 2 } };
  const [o2, tan] = m.jvpStep(S, dt, ts, 0.3);
  near(o2, m.step(S, dt), "jvp: the output");
  const e = 1e-6;
  const moved = (sgn: number) => m.step({ x: S.x + sgn * e * ts.x, y: S.y + sgn * e * ts.y, v: { x: S.v.x + sgn * e * ts.v.x, y: S.v.y + sgn * e * ts.v.y } }, dt + sgn * e * 0.3);
  const up = moved(1), down = moved(-1);
  near(tan, { x: (up.x - down.x) / (2 * e), y: (up.y - down.y) / (2 * e), v: { x: (up.v.x - down.v.x) / (2 * e), y: (up.v.y - down.v.y) / (2 * e) } }, "jvp: the tangent");
});

test("nested tuples in and out; a record local reassigned in a loop; a record chosen by ?:; a config record read as constants", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const t = [0.6, [1.5, 0.8]];
  const fdPair = (pick: (o: any) => number) => fdGrad((a) => pick(m.pairF(a)), t);
  const want = [fdPair((o) => o[0]), [fdPair((o) => o[1][0]), fdPair((o) => o[1][1])]];
  near(m.jPair(t), want, "jacrev of nested tuples");
  near(m.jfPair(t), want, "jacfwd of nested tuples");
  near(m.gInt({ x: 0.3, y: 0.9 }, 5), fdGrad((s) => m.integrate(s, 5), { x: 0.3, y: 0.9 }), "a record reassigned in a loop");
  for (const s of [S, { ...S, x: -0.7 }]) {
    near(m.gPick(s), fdGrad((q) => m.pick(q), s), "a record chosen by ?:");
    near(m.gNested(s), fdGrad((q) => m.nestedWrite(q), s), "a nested record property written on one branch");
  }
  // `c` is not in argnums: its leaves are read, never differentiated
  assert.is(m.gCfg(2, { gain: 3, offset: 10 }), 12);
});

test("tensor leaves: a Tensor gradient for each Tensor leaf, as the flat program; markers inside over records; aux records", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const p = { W: tensor([[0.2, -0.5], [0.7, 0.3], [-0.6, 0.8]], { dtype: "float64" }), b: tensor([0.1, -0.2, 0.05], { dtype: "float64" }) };
  const x = tensor([0.5, -1.2], { dtype: "float64" });
  const g = m.gLin(p, x);
  assert.ok(g.W instanceof Tensor && g.b instanceof Tensor);
  assert.equal([g.W.shape, g.b.shape], [[3, 2], [3]]);
  const [gW, gb] = m.gLinFlat(p.W, p.b, x);
  near(g, { W: gW, b: gb }, "grad over a record of Tensors", 1e-12);
  const J = m.jLinOut(p, x);
  assert.equal([J.W.shape, J.b.shape], [[3, 3, 2], [3, 3]], "jacrev: out.shape ++ each leaf's shape");
  // inner(p) = d(x²y)/dx · y + d(x²y)/dy = 2xy² + x², where jacobian's x² is a constant (createGraph: false): (2y², 4xy)
  near(m.gInner({ x: 0.7, y: -0.4 }), { x: 2 * 0.16, y: 4 * 0.7 * -0.4 }, "grad and jacobian over a record inside a differentiated function", 1e-12);
  near(m.gAux({ x: 2, y: 3 }), [{ x: 3, y: 2 }, { sum: 5, both: [2, 3] }], "hasAux with a record aux", 1e-12);
});

test("vmap over a record: inDims 0 for the whole record batches every leaf", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const batch = { x: [0.7, 0.1], y: [-0.4, 0.5], v: { x: [0.3, -1], y: [1.2, 2] } };
  const rows = [0, 1].map((i) => ({ x: batch.x[i], y: batch.y[i], v: { x: batch.v.x[i], y: batch.v.y[i] } }));
  near(m.vmE(batch, 1.3), rows.map((r) => m.energy(r, 1.3)), "vmap over a record");
  near(m.vmGrad({ x: [1, 2, 3], y: [4, 5, 6] }), { x: [8, 20, 36], y: [1, 4, 9] }, "vmap(grad) over a record: a record of batches", 1e-12);
  const stepped = m.vmStep(batch, 0.1);
  const each = rows.map((r) => m.step(r, 0.1));
  near(stepped, { x: each.map((o) => o.x), y: each.map((o) => o.y), v: { x: each.map((o) => o.v.x), y: each.map((o) => o.v.y) } }, "vmap with a record output", 1e-12);
});

test("vmap of a record output with a record of outDims (a prefix of its structure, as JAX's out_axes)", async () => {
  const m = await compileAndImport(
    `import { vmap, Tensor } from "jacc";
type Out = { a: Tensor; b: [Tensor, number] };
function f(x: Tensor, y: number): Out { return { a: x.mul(y), b: [x.sum().reshape(1).mul(2), y * y] }; }
export const whole = vmap(f);
export const leaves = vmap(f, { outDims: { a: 1, b: [0, 0] } });
export const prefix = vmap(f, { outDims: { a: 1, b: 0 } });`,
    "pytree-out-dims-record",
  );
  const X = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" });
  const plain = m.whole(X, [10, 20]);
  assert.equal(plain.a.shape, [2, 3]);
  for (const name of ["leaves", "prefix"]) {
    const r = m[name](X, [10, 20]);
    assert.equal(r.a.shape, [3, 2], `${name}: a's batch dim at 1`);
    assert.equal([...r.a.data], [10, 80, 20, 100, 30, 120], `${name}: a is the batched a moved`);
    assert.equal(r.b[0].shape, [2, 1]);
    assert.equal([...r.b[0].data], [12, 30]);
    assert.equal([...r.b[1].data], [100, 400]);
  }
});

test("vmap with a record of dims: each property its own dim (null: shared by every row)", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  const W = tensor([[0.2, -0.5], [0.7, 0.3], [-0.6, 0.8]], { dtype: "float64" });
  const b = tensor([[0.1, -0.2, 0.05], [1, 0.5, -1]], { dtype: "float64" });
  const x = tensor([[0.5, -1.2], [2, 0.1]], { dtype: "float64" });
  const got = m.perSample({ W, b }, x);
  assert.equal(got.shape, [2, 2]);
  // d/dx of sum(tanh(W x + b)) = Wᵀ (1 - tanh²(W x + b)), row by row
  const want = [0, 1].map((i) => {
    const bi = b.select(0, i).toArray() as number[], xi = x.select(0, i).toArray() as number[], Wa = W.toArray() as number[][];
    const s = Wa.map((r, k) => 1 - Math.tanh(r[0] * xi[0] + r[1] * xi[1] + bi[k]) ** 2);
    return [0, 1].map((j) => Wa.reduce((acc, r, k) => acc + r[j] * s[k], 0));
  });
  near(got, want, "per-sample gradients wrt x, W shared, b batched", 1e-12);
  near(m.vmHalf({ x: [1, 2, 3], y: 2 }), [2, 4, 6], "a record of dims at the top level", 1e-12);
});

test("a record argument without a property the type has is a TypeError naming the marker and the path", async () => {
  const m = await compileAndImport(SRC, "pytrees");
  assert.throws(() => m.gE({ x: 1, y: 2, v: { x: 1 } }, 1), (e: Error) => e instanceof TypeError && /grad\(energy\): argument 1\.v has no property `y`/.test(e.message));
  assert.throws(() => m.gE(3, 1), (e: Error) => e instanceof TypeError && /grad\(energy\): argument 1 must be an object with `x`, `y`, `v`, got number/.test(e.message));
  assert.throws(() => m.jPair([1, 2]), (e: Error) => e instanceof TypeError && /argument 1\[1\] must be an array of 2 entries/.test(e.message));
  assert.throws(() => m.gE(S), (e: Error) => e instanceof TypeError && /expected 2 arguments, got 1/.test(e.message));
  // a leaf of the wrong kind is named by its path in its argument
  assert.throws(() => m.gE({ ...S, v: { x: 1, y: "2" } }, 1), (e: Error) => e instanceof TypeError && /grad\(energy\): argument 1 \(`s\.v\.y`\) must be a number, got the string "2"/.test(e.message));
  assert.throws(() => m.gLin({ W: 1, b: 2 }, 3), (e: Error) => e instanceof TypeError && /grad\(lin\): argument 1 \(`p\.W`\) must be a Tensor, got a number/.test(e.message));
});

gpuTest("pytrees", "WebGPU: grad and jacrev over a record of device tensors, as on the CPU (float32)", async () => {
  registerAllKernels();
  const m = await compileAndImport(SRC, "pytrees");
  const W = [[0.2, -0.5], [0.7, 0.3], [-0.6, 0.8]], b = [0.1, -0.2, 0.05], x = [0.5, -1.2];
  const on = (device: "cpu" | "webgpu") => {
    const t = (v: number[] | number[][]) => tensor(v, { dtype: "float32" }).to(device);
    return [{ W: t(W), b: t(b) }, t(x)] as const;
  };
  for (const name of ["gLin", "jLinOut"] as const) {
    const cpu = m[name](...on("cpu"));
    const raw = m[name](...on("webgpu"));
    assert.ok(raw.W instanceof Tensor && raw.W.device === "webgpu" && raw.b.device === "webgpu", `${name}: results on the device`);
    const gpu = await readBack(raw);
    assert.is(kind(gpu), kind(cpu), `${name}: structure`);
    assert.equal(mismatches(numbers(gpu), numbers(cpu), 1e-4), [], `${name}: values`);
  }
});

const V = `interface V { x: number; y: number }\n`;

test("diagnostics: what stays outside structured values, located with a code frame", () => {
  const U = "unsupported-construct";
  expectDiagnostic("pytree-string-leaf", `interface C { k: number; name: string }\nfunction f(x: number, c: C) { return x * c.k; }\nexport const g = grad(f, { argnums: ‸[0, 1] });`, { code: "unsupported-type", message: [/would differentiate `c`/, /`c\.name` is of type `string`/] });
  expectDiagnostic("pytree-bool-leaf", `interface C { k: number; on: boolean }\nfunction f(c: C) { return c.on ? c.k : 0; }\nexport const g = grad(‸f);`, { code: "unsupported-type", message: [/`c\.on` is a boolean/] });
  expectDiagnostic("pytree-param-write", `${V}function f(p: V) { ‸p.x = 2; return p.x * p.y; }\nexport const g = grad(f);`, { code: "param-write", message: [/a property of a parameter/, /\{ \.\.\.p \}/] });
  expectDiagnostic("pytree-no-property", `${V}function f(p: V) { const q = { ...p }; return q.x * q.‸z; }\nexport const g = grad(f);`, { code: U, message: [/no property `z`/, /`x`, `y`/] });
  expectDiagnostic("pytree-spread-number", `${V}function f(x: number) { const q = { ‸...x }; return x; }\nexport const g = grad(f);`, { code: U, message: [/only a record can be spread/] });
  expectDiagnostic("pytree-computed-key", `${V}function f(x: number) { const q = { ‸["a" + "b"]: x }; return x; }\nexport const g = grad(f);`, { code: U, message: [/computed property name/] });
  expectDiagnostic("pytree-as-number", `${V}function f(p: V) { return ‸p * 2; }\nexport const g = grad(f);`, { code: U, message: [/`p` is a record, not a number/] });
  expectDiagnostic("pytree-default", `${V}function f(p: V = ‸{ x: 1, y: 2 }) { return p.x; }\nexport const g = grad(f);`, { code: U, message: [/structured parameter `p` cannot have a default value/] });
  expectDiagnostic("pytree-two-structures", `${V}function f(p: V): V { if (p.x > 0) return { x: p.x, y: p.y };\n  ‸return { x: p.y, y: p.x, z: 1 } as V; }\nexport const g = jacrev(f);`, { code: U, message: [/same structure/] });
  expectDiagnostic("pytree-out-dims", `${V}function f(p: V): V { return { x: p.y, y: p.x }; }\nexport const g = vmap(f, { outDims: ‸[0, 0] });`, { code: "invalid-option", message: [/`outDims` entry \[0,0\] does not follow the structure of `the output`/] });
  expectDiagnostic("pytree-out-dims-number", `${V}function f(p: V): V { return { x: p.y, y: p.x }; }\nexport const g = vmap(f, { outDims: ‸{ x: 0, y: 1 } });`, { code: "invalid-option", message: [/`outDims` 1 is out of range for a number in the output\.y/] });
  expectDiagnostic("pytree-in-dims", `${V}function f(p: V, k: number) { return p.x * k; }\nexport const g = vmap(f, { inDims: ‸[{ x: 0 }, 0] });`, { code: "invalid-option", message: [/`inDims` for `p` has no entry `y`/] });
  expectDiagnostic("pytree-in-dims-shape", `${V}function f(p: V, k: number) { return p.x * k; }\nexport const g = vmap(f, { inDims: ‸[[0, 0], 0] });`, { code: "invalid-option", message: [/does not follow the structure of `p`/] });
  expectDiagnostic("pytree-select", `${V}function f(p: V) { const q = ‸p.x > 0 ? p : { x: 1 }; return q.x; }\nexport const g = grad(f);`, { code: U, message: [/both branches of `\?:` must give values of the same structure/] });
  expectDiagnostic("pytree-capture", `${V}function f(p: V) { const h = () => ‸p.x * 2; return h(); }\nexport const g = grad(f);`, { code: U, message: [/capturing the record `p`/, /destructure it first/] });
  expectDiagnostic("pytree-runtime-dims", `${V}const d = [0];\nfunction f(p: V) { return p.x * p.y; }\nexport const g = vmap(f, { inDims: ‸d });`, { code: U, message: [/record or tuple parameters needs literal `inDims`/] });
  expectDiagnostic("pytree-method", `interface M { k: number; f(): number }\nfunction f(x: number, m: M) { return x * m.k; }\nexport const g = grad(f, { argnums: ‸1 });`, { code: "unsupported-type", message: [/`m`: it has the method `f`/] });
});

test.run();
