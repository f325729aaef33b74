// `.item()` and `.detach()` in differentiated code (SPEC §4). In jacc numbers
// are differentiable values, so `t.item()` of a one-element tensor carries
// t's derivative (PyTorch's leaves the graph); `t.detach()` is the explicit
// way to cut it, in both modes and on every path the compiler may take (the
// sweeps, structured Jacobians, direct kernels, fusion, vmap). Values are
// checked in closed form (rules-tensor.test.ts checks `t.item` against finite
// differences in every marker family).
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, compileOrThrow, withPaths } from "./util/compile.js";
import { compileModule } from "../compiler/index.js";
import { detach, tensor, Tensor } from "../runtime/index.js";
import { spawnSync } from "node:child_process";
import { env, jacc, workspace } from "./util/cli.js";

const T64 = (x: number[] | number[][]) => tensor(x, { dtype: "float64" });
const X = [0.3, -0.7, 1.1];

/** Nested arrays of a result (Tensors as toArray(), numbers as they are). */
const arr = (v: unknown): unknown => (v instanceof Tensor ? v.toArray() : Array.isArray(v) ? v.map(arr) : v);

function near(got: unknown, want: unknown, what: string, tol = 1e-12): void {
  const g = arr(got), w = arr(want);
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const a = flat(g), b = flat(w);
  assert.is(a.length, b.length, `${what}: ${JSON.stringify(g)} vs ${JSON.stringify(w)}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}: ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`));
}
const diagOf = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));

// ---------------------------------------------------------------- .item()
const ITEM = `
import { grad, jacrev, jacfwd, hessian, vjp, jvp, vmap, type Tensor } from "jacc";
export const f = (x: Tensor): number => x.mul(x).sum().item();
export const g = grad(f);
export const jr = jacrev(f);
export const jf = jacfwd(f);
export const h = hessian(f);
export const vj = (x: Tensor) => vjp(f, [x]);
export const jv = (x: Tensor, t: Tensor) => jvp(f, [x], [t]);
export const vf = vmap(f);
export const vg = vmap(grad(f));
export const vjf = vmap(jacfwd(f));
export const jrv = jacrev(vmap(f));
export const jfv = jacfwd(vmap(f));
// (jacfwd of vmap's batch of number results, with or without .item())
const sq = (x: number): number => x * x;
export const jfvNum = jacfwd(vmap(sq));
// the number back into tensor code, and through Math
export const scaled = (x: Tensor) => x.mul(x.sum().item());
export const jScaled = jacrev(scaled);
export const fScaled = jacfwd(scaled);
export const viaMath = (x: Tensor, s: number) => Math.exp(x.sum().item() * s);
export const gMath = grad(viaMath, { argnums: [0, 1] });
// one element that is not 0-d: the gradient takes x's shape
export const one = (x: Tensor) => x.exp().item();
export const gOne = grad(one);
// the number overwritten in a loop (its old values on the tape for the reverse sweep)
export function loop(x: Tensor, n: number): number {
  let s = 1;
  for (let i = 0; i < n; i++) s = s * x.sum().item() + x.select(0, i).item();
  return s;
}
export const gLoop = grad(loop);
export const fLoop = jacfwd(loop);
export const many = (x: Tensor) => x.item();
export const gMany = grad(many);
`;

let itemMod: Promise<Record<string, any>> | undefined;
const itemModule = () => (itemMod ??= compileAndImport(ITEM, "item-detach-item"));

test("grad / jacrev / jacfwd of x.mul(x).sum().item() is 2x (it was zeros), float64 and float32", async () => {
  const m = await itemModule();
  for (const name of ["g", "jr", "jf"]) near(m[name](T64(X)), X.map((x) => 2 * x), name);
  const g32 = m.g(tensor(X));
  assert.is(g32.dtype, "float32", "grad has the input's dtype");
  near(g32, X.map((x) => 2 * Math.fround(x)), "float32", 1e-6);
  assert.equal(m.jf(tensor(X)).shape, [3], "jacfwd: shape [] ++ [3]");
});

test("hessian of x.mul(x).sum().item() is 2I; vjp and jvp carry the derivative", async () => {
  const m = await itemModule();
  near(m.h(T64(X)), diagOf([2, 2, 2]), "hessian");
  const [out, back] = m.vj(T64(X));
  near(out, X.reduce((a, x) => a + x * x, 0), "vjp output");
  assert.type(out, "number");
  near(back(1.5), [X.map((x) => 3 * x)], "vjpFn(1.5) = 1.5 * 2x");
  const t = [1, -2, 0.5];
  const [o2, dout] = m.jv(T64(X), T64(t));
  near(o2, out, "jvp output");
  assert.type(dout, "number");
  near(dout, X.reduce((a, x, i) => a + 2 * x * t[i], 0), "jvp tangent = Σ 2 x t");
});

test("vmap of an .item() program, of its grad and jacfwd; jacrev and jacfwd of its vmap", async () => {
  const m = await itemModule();
  const rows = [[0.3, -0.7], [1.1, 0.45], [2, -1]];
  near(m.vf(T64(rows)), rows.map((r) => r[0] ** 2 + r[1] ** 2), "vmap(f)");
  near(m.vg(T64(rows)), rows.map((r) => r.map((x) => 2 * x)), "vmap(grad(f))");
  near(m.vjf(T64(rows)), rows.map((r) => r.map((x) => 2 * x)), "vmap(jacfwd(f))");
  // J[b, b', k] = 2 x[b, k] when b = b'
  const J = rows.map((r, b) => rows.map((_, b2) => r.map((x) => (b === b2 ? 2 * x : 0))));
  near(m.jrv(T64(rows)), J, "jacrev(vmap(f))");
  near(m.jfv(T64(rows)), J, "jacfwd(vmap(f))");
  near(m.jfvNum(T64([1, -2])), [[2, 0], [0, -4]], "jacfwd(vmap) of a number function");
});

test("the number back into a tensor op: J = diag(s) + x 1ᵀ, s = Σx (forward and reverse)", async () => {
  const m = await itemModule();
  const s = X.reduce((a, b) => a + b, 0);
  const want = X.map((xi, i) => X.map((_, j) => (i === j ? s : 0) + xi));
  near(m.jScaled(T64(X)), want, "jacrev");
  near(m.fScaled(T64(X)), want, "jacfwd");
});

test("through Math and a number parameter: d/dx exp(s Σx) = s e^{sΣx}, d/ds = Σx e^{sΣx}", async () => {
  const m = await itemModule();
  const k = 0.7, S = X.reduce((a, b) => a + b, 0), e = Math.exp(k * S);
  const [gx, gs] = m.gMath(T64(X), k);
  near(gx, X.map(() => k * e), "d/dx");
  near(gs, S * e, "d/ds");
});

test("a one-element tensor that is not 0-d: the gradient has its shape", async () => {
  const m = await itemModule();
  const g = m.gOne(T64([[0.4]]));
  assert.equal(g.shape, [1, 1]);
  near(g, [[Math.exp(0.4)]], "d exp(x).item()");
});

test("an .item() number reassigned in a loop (reverse sweep from the tape, forward mode alike)", async () => {
  const m = await itemModule();
  // s_{k+1} = s_k S + x_k, S = Σx: with n = 3, s = S³ + x0 S² + x1 S + x2
  const x = [0.5, -0.2, 0.9], S = x.reduce((a, b) => a + b, 0);
  const dS = 3 * S * S + 2 * x[0] * S + x[1];
  const want = [dS + S * S, dS + S, dS + 1];
  near(m.gLoop(T64(x), 3), want, "grad");
  near(m.fLoop(T64(x), 3), want, "jacfwd");
});

test("item() of a tensor of several elements is a RangeError naming item and the shape", async () => {
  const m = await itemModule();
  assert.throws(() => m.gMany(T64(X)), (e: Error) => e instanceof RangeError && /item: only a one-element tensor converts to a number, got shape \[3\]/.test(e.message));
});

// ---------------------------------------------------------------- .detach()
const DETACH = `
import { grad, jacrev, jacfwd, jacobian, hessian, vjp, jvp, vmap, detach, type Tensor } from "jacc";
// PyTorch: (x * x.detach()).sum() has gradient x, not 2x
export const d = (x: Tensor) => x.mul(x.detach()).sum();
export const gd = grad(d);
export const jrd = jacrev(d);
export const jfd = jacfwd(d);
export const hd = hessian(d);
export const vjd = (x: Tensor, ct: Tensor) => vjp(d, [x])[1](ct);
export const jvd = (x: Tensor, t: Tensor) => jvp(d, [x], [t]);
export const vgd = vmap(grad(d));
// a tensor output (elementwise: structured, direct-kernel and fused paths): J = diag(x cos(x²))
export const e = (x: Tensor) => detach(x).mul(x).sin();
export const jre = jacrev(e);
export const jfe = jacfwd(e);
export const jae = (x: Tensor) => jacobian(e, x);
// a reduction of an elementwise chain, the direct kernel's other shape: d/dx Σ exp(x·c) with c = x detached
export const r = (x: Tensor) => x.mul(x.detach()).exp().sum(1);
export const jrr = jacrev(r);
export const jfr = jacfwd(r);
// tanh(W x) with W built from x and detached (W @ x's direct kernel needs W independent of x)
export const w = (W: Tensor, x: Tensor) => W.mul(x.sum().detach()).matmul(x).tanh();
export const jw = jacrev(w, { argnums: [0, 1] });
export const fw = jacfwd(w, { argnums: [0, 1] });
// everything cut: zeros
export const cut = (x: Tensor) => x.detach().exp().sum();
export const gCut = grad(cut);
// .item() of a detached tensor is a constant number
export const k = (x: Tensor, y: number) => x.mul(y).detach().mul(x).sum().item() * y;
export const gk = grad(k, { argnums: [0, 1] });
export const fk = jacfwd(k, { argnums: [0, 1] });
`;

const PATHS: [string, () => Promise<Record<string, any>>][] = [
  ["default", () => compileAndImport(DETACH, "item-detach-detach")],
  ["paths { structured: false }", () => withPaths({ structured: false }, () => compileAndImport(DETACH, "item-detach-detach-sweep"))],
  ["paths { fuse: false }", () => withPaths({ fuse: false }, () => compileAndImport(DETACH, "item-detach-detach-nofuse"))],
  ["paths { direct: false }", () => withPaths({ direct: false }, () => compileAndImport(DETACH, "item-detach-detach-nodirect"))],
];

for (const [label, load] of PATHS) {
  test(`detach (${label}): x.mul(x.detach()).sum() has gradient x, in every mode`, async () => {
    const m = await load();
    for (const name of ["gd", "jrd", "jfd"]) near(m[name](T64(X)), X, name);
    near(m.hd(T64(X)), diagOf([0, 0, 0]), "hessian: the gradient x.detach() is constant");
    near(m.vjd(T64(X), tensor(2, { dtype: "float64" })), [X.map((x) => 2 * x)], "vjp");
    const t = [1, -2, 0.5];
    near(m.jvd(T64(X), T64(t))[1], X.reduce((a, x, i) => a + x * t[i], 0), "jvp");
    near(m.vgd(T64([X, [1, 2, 3]])), [X, [1, 2, 3]], "vmap(grad)");
    near(m.gCut(T64(X)), [0, 0, 0], "all of it detached: zeros");
  });

  test(`detach (${label}): tensor outputs through elementwise chains, reductions and W @ x`, async () => {
    const m = await load();
    const want = diagOf(X.map((x) => x * Math.cos(x * x)));
    for (const name of ["jre", "jfe", "jae"]) near(m[name](T64(X)), want, name);
    const A = [[0.3, -0.5], [0.8, 0.1]];
    // r_i = Σ_j exp(x_ij c_ij): ∂r_i/∂x_kl = δ_ik c_il exp(x_il c_il), c = x
    const jr = A.map((row, i) => A.map((r2, k) => r2.map((_, l) => (i === k ? row[l] * Math.exp(row[l] * row[l]) : 0))));
    near(m.jrr(T64(A)), jr, "jacrev of a reduction");
    near(m.jfr(T64(A)), jr, "jacfwd of a reduction");
    // w = tanh(s W x), s = Σx detached: ∂/∂W_ij = sech²_i s x_j δ, ∂/∂x_j = sech²_i s W_ij
    const W = [[0.2, -0.4, 0.1], [0.5, 0.3, -0.6]], s = X.reduce((a, b) => a + b, 0);
    const y = W.map((row) => Math.tanh(s * row.reduce((a, v, j) => a + v * X[j], 0)));
    const sech2 = y.map((v) => 1 - v * v);
    const dW = W.map((_, i) => W.map((row, k) => row.map((__, j) => (i === k ? sech2[i] * s * X[j] : 0))));
    const dx = W.map((row, i) => row.map((v) => sech2[i] * s * v));
    for (const name of ["jw", "fw"]) {
      const [a, b] = m[name](T64(W), T64(X));
      near(a, dW, `${name} d/dW`);
      near(b, dx, `${name} d/dx`);
    }
  });

  test(`detach (${label}): .item() of a detached value is a constant number`, async () => {
    const m = await load();
    // k = y Σ (x y)_detached x: ∂/∂x = y² x, ∂/∂y = Σ x² y (the outer y only)
    const y = 2, sx2 = X.reduce((a, x) => a + x * x, 0);
    for (const name of ["gk", "fk"]) {
      const [gx, gy] = m[name](T64(X), y);
      near(gx, X.map((x) => y * y * x), `${name} d/dx`);
      near(gy, sx2 * y, `${name} d/dy`);
    }
  });
}

test("detach: structured Jacobians and direct kernels keep the detached value as a primal (no sweeps)", () => {
  const { code } = compileOrThrow(DETACH, "item-detach-structured.ts", "js");
  const body = (name: string) => code.slice(code.indexOf(`function ${name}(`), code.indexOf("\n}\n", code.indexOf(`function ${name}(`)));
  assert.match(body("jacrev_e"), /sjSeed/, "jacrev(e) takes the structured path");
  assert.match(body("jacrev_e"), /jacrev_e_direct\(x\)/, "and first its direct kernel (detach(x) is x's values there)");
  assert.match(body("jacrev_r"), /jacrev_r_direct\(x\)/, "a reduction of a chain with detach too");
  assert.match(code, /__jt\.detach\(x\)/, "the detach itself is emitted as the runtime op");
});

test("detach: runtime op and method share storage, keep shape and dtype; a bad argument is a TypeError", () => {
  const x = tensor([[1, 2], [3, 4]]);
  const a = x.detach();
  const b = detach(x);
  for (const t of [a, b]) {
    assert.equal(t.shape, [2, 2]);
    assert.is(t.dtype, "float32");
    assert.is(t.data, x.data, "shares x's storage, as PyTorch's detach does");
    assert.not.ok(t === x);
  }
  assert.throws(() => detach([1, 2] as never), (e: Error) => e instanceof TypeError && /detach/.test(e.message));
});

test("detach with strict: an output reaching the input only through detach does not depend on it", () => {
  const src = `
import { jacobian, tensor, type Tensor } from "jacc";
const f = (x: Tensor) => x.detach().exp().sum();
export const J = jacobian(f, tensor([1, 2]), { strict: true });
`;
  const r = compileModule(src, path.join("/virtual", "strict-detach.ts"), { target: "js" });
  assert.equal(r.diagnostics.map((d) => d.code), ["strict"]);
});

test("jacc check reports nothing for programs using .item() and .detach()", async () => {
  const dir = workspace("item-detach", { "item.ts": ITEM, "detach.ts": DETACH });
  const r = await jacc(dir, ["check", "item.ts", "detach.ts"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /2 files checked: 0 errors, 0 warnings/);
});

test("emit --with-checks: the check script finds the .item() derivatives equal to finite differences", async () => {
  const src = `import { grad, jacrev, jacfwd, hessian, type Tensor } from "jacc";
export const f = (x: Tensor): number => x.mul(x).sum().item();
export const g = (x: Tensor): number => Math.exp(x.sin().sum().item() * 0.5);
export const gf = grad(f);
export const jf = jacfwd(f);
export const jrg = jacrev(g);
export const hg = hessian(g);
`;
  const dir = workspace("item-checks", { "m.ts": src });
  const r = await jacc(dir, ["emit", "m.ts", "--with-checks", "--target", "js", "--out", "o"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const run = spawnSync(process.execPath, [path.join(dir, "o", "m.check.js")], { encoding: "utf8", env, cwd: path.join(dir, "o") });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.not.match(run.stdout, /FAIL|mismatch/i, run.stdout);
});

test.run();
