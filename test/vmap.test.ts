// vmap: the compiled batching transform (compiler/ad/batch.ts).
//
// 1. Every exported function of the scalar fixture corpus (fixtures/scalar)
//    under vmap, vmap(jacrev) and vmap(jacfwd), over a batch built from the
//    fixture's points, against the unbatched generated functions called row by
//    row (the same code per row, so agreement is to rounding).
// 2. Tensor programs (elementwise, reductions, matmul, shape ops, branches on
//    values) alike, with batch dims at 0 and elsewhere, unbatched arguments,
//    and outDims.
// 3. Expected values computed by PyTorch's functorch (fixtures/vmap/
//    make_expected.py → expected.json): vmap(jacrev(sin)) of the torch.func
//    docs, per-sample gradients of an MLP loss, outDims, jacrev(vmap(f)).
// 4. Composition orders and run-time errors (batch sizes, inDims, a number
//    where a batch is needed) and compile-time ones.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stack, Tensor, tensor } from "jacc";
import { compileModule } from "jacc/compiler";
import { compileAndImport, repoRoot } from "./util/compile.js";

type Nested = unknown;

function rowOf(batched: Nested, b: number): Nested {
  if (batched instanceof Tensor) {
    const t = batched.select(0, b);
    return t.shape.length === 0 ? t.item() : t;
  }
  if (Array.isArray(batched)) return batched.map((x) => rowOf(x, b));
  throw new Error(`not a batched value: ${String(batched)}`);
}

function flat(x: Nested): number[] {
  if (typeof x === "number") return [x];
  if (x instanceof Tensor) return Array.from(x.data);
  if (ArrayBuffer.isView(x)) return Array.from(x as Float64Array);
  if (Array.isArray(x)) return x.flatMap(flat);
  throw new Error(`unexpected value ${String(x)}`);
}

function same(a: number[], b: number[], tol: number): string | undefined {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (Number.isNaN(y) ? !Number.isNaN(x) : !(Math.abs(x - y) <= tol * (1 + Math.abs(y)))) return `entry ${i}: ${x} vs ${y}`;
  }
  return undefined;
}

/** The batched result, row by row, equals the per-row results. */
function checkRows(batched: Nested, rows: Nested[], what: string, tol = 1e-9): void {
  rows.forEach((r, b) => {
    const got = flat(rowOf(batched, b));
    const bad = same(got, flat(r), tol);
    if (bad) assert.unreachable(`${what}, row ${b}: ${bad}`);
  });
}

// ---------------------------------------------------------------- 1. scalar corpus

const scalarDir = path.join(repoRoot, "fixtures", "scalar");
let corpusChecked = 0; // functions of the corpus compared under vmap (the count is asserted below)

interface Exported { name: string; arity: number; optional: boolean }

function exportedFunctions(source: string): Exported[] {
  const sf = ts.createSourceFile("f.ts", source, ts.ScriptTarget.ES2022, true);
  const out: Exported[] = [];
  const add = (name: string, params: ts.NodeArray<ts.ParameterDeclaration>) =>
    out.push({ name, arity: params.length, optional: params.some((p) => !!p.initializer || !!p.questionToken) });
  for (const st of sf.statements) {
    const exported = ts.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isFunctionDeclaration(st) && st.name) add(st.name.text, st.parameters);
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) {
        const init = d.initializer;
        if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) add(d.name.text, init.parameters);
      }
  }
  return out;
}

/** The batch of argument i: numbers → Float64Array, equal-length vectors → a [B, n] Tensor. */
function batchOf(rows: unknown[][], i: number): unknown {
  const col = rows.map((r) => r[i]);
  if (col.every((x) => typeof x === "number")) return Float64Array.from(col as number[]);
  const n = (col[0] as ArrayLike<number>).length;
  const data = new Float64Array(col.length * n);
  col.forEach((x, b) => data.set(Array.from(x as ArrayLike<number>), b * n));
  return new Tensor(data, [col.length, n]);
}

for (const file of fs.readdirSync(scalarDir).filter((f) => f.endsWith(".ts")).sort()) {
  const source = fs.readFileSync(path.join(scalarDir, file), "utf8");
  const fns = exportedFunctions(source).filter((f) => f.arity > 0 && !f.optional);
  if (!fns.length) continue;
  test(`vmap corpus: ${file}`, async () => {
    const argnums = (n: number) => `[${[...Array(n).keys()].join(", ")}]`;
    const extra = fns
      .map(({ name, arity }) => [
        `export const __vm_${name} = vmap(${name});`,
        `export const __vmj_${name} = vmap(jacrev(${name}, { argnums: ${argnums(arity)} }));`,
        `export const __vmf_${name} = vmap(jacfwd(${name}, { argnums: ${argnums(arity)} }));`,
        `export const __j_${name} = jacrev(${name}, { argnums: ${argnums(arity)} });`,
        `export const __f_${name} = jacfwd(${name}, { argnums: ${argnums(arity)} });`,
      ].join("\n"))
      .join("\n");
    const text = `import { vmap, jacrev, jacfwd } from "jacc";\n${source}\n${extra}\n`;
    const m = await compileAndImport(text, `vmap-${file.replace(/\.ts$/, "")}`);
    for (const { name, arity } of fns) {
      const pts: unknown[][] = Array.isArray(m.points) ? m.points : m.points?.[name];
      if (!pts) continue;
      let rows = pts.filter((p) => p.length === arity);
      // vector arguments of different lengths cannot share a batch: keep the rows of the first length
      rows = rows.filter((r) => r.every((x, i) => typeof x === "number" || (x as unknown[]).length === (rows[0][i] as unknown[]).length));
      if (!rows.length) continue;
      const args = [...Array(arity).keys()].map((i) => batchOf(rows, i));
      const copy = (r: unknown[]) => r.map((x) => (typeof x === "number" ? x : Array.from(x as ArrayLike<number>)));
      checkRows(m[`__vm_${name}`](...args), rows.map((r) => m[name](...copy(r))), `${file} vmap(${name})`);
      checkRows(m[`__vmj_${name}`](...args), rows.map((r) => m[`__j_${name}`](...copy(r))), `${file} vmap(jacrev(${name}))`);
      checkRows(m[`__vmf_${name}`](...args), rows.map((r) => m[`__f_${name}`](...copy(r))), `${file} vmap(jacfwd(${name}))`);
      corpusChecked++;
    }
  });
}

test("the vmap corpus covered the scalar fixtures", () => {
  assert.ok(corpusChecked >= 40, `only ${corpusChecked} functions of fixtures/scalar were checked under vmap`);
});

// ---------------------------------------------------------------- 2. tensor programs

const TENSOR_PROGRAMS = `
import { vmap, jacrev, jacfwd, hessian, type Tensor } from "jacc";
export const ew = (x: Tensor) => x.exp().mul(2).add(x.sin());
export const red = (x: Tensor) => x.exp().sum(0);
export const soft = (x: Tensor) => x.logSoftmax(-1);
export const mv = (x: Tensor, W: Tensor) => W.matmul(x).tanh();
export const shape = (x: Tensor) => x.reshape(2, 2).transpose(0, 1).flatten().mul(x);
export const branchy = (x: Tensor) => (x.sum().item() > 0 ? x.mul(x) : x.neg());
export const two = (x: Tensor, y: Tensor): [Tensor, Tensor] => [x.mul(y), x.add(y).sum()];
export const scal = (x: Tensor) => x.pow(3).sum();
export const v_ew = vmap(ew), v_red = vmap(red), v_soft = vmap(soft), v_shape = vmap(shape), v_branchy = vmap(branchy);
export const v_mv = vmap(mv, { inDims: [0, null] });
export const v_mv_d1 = vmap(mv, { inDims: [1, null] });
export const v_two = vmap(two, { inDims: [0, 0], outDims: [1, 0] });
export const vj_ew = vmap(jacrev(ew)), vf_red = vmap(jacfwd(red)), vj_mv = vmap(jacrev(mv), { inDims: [0, null] });
export const vh_scal = vmap(hessian(scal));
export const j_ew = jacrev(ew), f_red = jacfwd(red), j_mv = jacrev(mv), h_scal = hessian(scal);
export const vv_ew = vmap(vmap(ew));
export const jv_red = jacrev(vmap(red));
export const fv_red = jacfwd(vmap(red));
`;

test("vmap of tensor programs equals the function row by row", async () => {
  const m = await compileAndImport(TENSOR_PROGRAMS, "vmap-tensor");
  const X = tensor([[0.3, -0.7, 1.1, 0.2], [-1.2, 0.45, 0.1, 0.9], [0.5, 0.5, -0.3, -2]], { dtype: "float64" });
  const W = tensor([[1, 2, 0, -1], [0.5, -0.25, 3, 1], [0, 1, 1, 1]], { dtype: "float64" });
  const rows = [0, 1, 2].map((b) => X.select(0, b));
  checkRows(m.v_ew(X), rows.map((r) => m.ew(r)), "vmap(ew)");
  checkRows(m.v_red(X), rows.map((r) => m.red(r)), "vmap(red)");
  checkRows(m.v_soft(X), rows.map((r) => m.soft(r)), "vmap(logSoftmax)");
  checkRows(m.v_shape(X), rows.map((r) => m.shape(r)), "vmap(shape ops)");
  checkRows(m.v_branchy(X), rows.map((r) => m.branchy(r)), "vmap(branch per sample)");
  checkRows(m.v_mv(X, W), rows.map((r) => m.mv(r, W)), "vmap(mv, inDims [0, null])");
  checkRows(m.v_mv_d1(X.transpose(0, 1), W), rows.map((r) => m.mv(r, W)), "vmap(mv, inDims [1, null])");
  const Y = X.mul(0.5).add(1);
  const [a, s] = m.v_two(X, Y);
  assert.equal(a.shape, [4, 3], "outDims 1 moves the batch dim");
  checkRows(a.transpose(0, 1), rows.map((r, b) => m.two(r, Y.select(0, b))[0]), "vmap(two)[0]");
  checkRows(s, rows.map((r, b) => m.two(r, Y.select(0, b))[1]), "vmap(two)[1]");
  checkRows(m.vj_ew(X), rows.map((r) => m.j_ew(r)), "vmap(jacrev(ew))");
  checkRows(m.vf_red(X), rows.map((r) => m.f_red(r)), "vmap(jacfwd(red))");
  checkRows(m.vj_mv(X, W), rows.map((r) => m.j_mv(r, W)), "vmap(jacrev(mv))");
  checkRows(m.vh_scal(X), rows.map((r) => m.h_scal(r)), "vmap(hessian(scal))");
  const XX = new Tensor(Float64Array.from([...X.data, ...X.data.map((x) => x * 0.5)]), [2, 3, 4]);
  checkRows(m.vv_ew(XX), [0, 1].map((b) => m.v_ew(XX.select(0, b))), "vmap(vmap(ew))");
  // jacrev / jacfwd of a vmapped function: block-diagonal over the batch
  const J = m.jv_red(X);
  assert.equal(J.shape, [3, 3, 4]);
  const Jf = m.fv_red(X);
  assert.equal(same(flat(Jf), flat(J), 1e-12), undefined, "jacfwd(vmap) == jacrev(vmap)");
});

// ---------------------------------------------------------------- 3. against PyTorch

const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, "fixtures", "vmap", "expected.json"), "utf8"));

const TORCH_CASES = `
import { vmap, jacrev, grad, sin, type Tensor } from "jacc";
export const vjSin = vmap(jacrev(sin));
export function loss(W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor, y: Tensor): number {
  const h = W1.matmul(x).add(b1).tanh();
  return W2.matmul(h).sub(y).pow(2).sum().item();
}
export function lossT(W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor, y: Tensor): Tensor {
  const h = W1.matmul(x).add(b1).tanh();
  return W2.matmul(h).sub(y).pow(2).sum();
}
export const perSample = vmap(grad(lossT, { argnums: [0, 1, 2] }), { inDims: [null, null, null, 0, 0] });
export function net(W1: Tensor, b1: Tensor, x: Tensor): Tensor {
  return W1.matmul(x).add(b1).tanh();
}
export const netJac = vmap(jacrev(net, { argnums: 2 }), { inDims: [null, null, 0], outDims: 1 });
export const f = (x: Tensor) => x.sin().mul(x.sum());
export const jacOfVmap = jacrev(vmap(f));
`;

test("vmap against PyTorch (functorch 1.13)", async () => {
  const m = await compileAndImport(TORCH_CASES, "vmap-torch");
  const T = (x: unknown) => tensor(x as number[], { dtype: "float64" });
  const near = (a: Nested, e: unknown, what: string) => assert.equal(same(flat(a), (e as unknown[]).flat(4) as number[], 1e-9), undefined, what);
  const s = m.vjSin(T(expected.sin_x));
  assert.equal(s.shape, [5]);
  near(s, expected.vmap_jacrev_sin, "vmap(jacrev(sin)) == cos");
  const e = expected.mlp;
  const [gW1, gb1, gW2] = m.perSample(T(e.W1), T(e.b1), T(e.W2), T(e.X), T(e.Y));
  assert.equal(gW1.shape, [6, 8, 4]);
  assert.equal(gb1.shape, [6, 8]);
  assert.equal(gW2.shape, [6, 1, 8]);
  near(gW1, e.gW1, "per-sample grad W1");
  near(gb1, e.gb1, "per-sample grad b1");
  near(gW2, e.gW2, "per-sample grad W2");
  const nj = m.netJac(T(e.W1), T(e.b1), T(e.X));
  assert.equal(nj.shape, [8, 6, 4], "outDims 1");
  near(nj, expected.mlp_jac_outdim1, "vmap(jacrev(net), outDims 1)");
  const jv = m.jacOfVmap(T(expected.jacrev_vmap_x));
  assert.equal(jv.shape, [6, 4, 6, 4]);
  near(jv, expected.jacrev_vmap, "jacrev(vmap(f))");
});

// ---------------------------------------------------------------- 4. composition and errors

const SCALAR_CASES = `
import { vmap, grad, hessian, jacrev } from "jacc";
export const f = (x: number, y: number) => (x > 0 ? x * y : Math.sin(x) + y);
export const arm = (q: number[]): [number, number] => {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) { th += q[i]; x += Math.cos(th); y += Math.sin(th); }
  return [x, y];
};
export const vf = vmap(f);
export const vfNull = vmap(f, { inDims: [0, null] });
export const vg = vmap(grad(f, { argnums: [0, 1] }));
export const vh = vmap(hessian((x: number[]) => x[0] * x[0] * x[1]));
export const vv = vmap(vmap(f));
export const jv = jacrev(vmap(f));
export const varm = vmap(jacrev(arm));
`;

test("vmap of scalar programs: compositions, dtypes, per-sample branches", async () => {
  const m = await compileAndImport(SCALAR_CASES, "vmap-scalar");
  const x = [1, -1, 2], y = [3, 4, 5];
  const r = m.vf(x, y);
  assert.ok(r instanceof Tensor && r.dtype === "float64");
  assert.equal(r.toArray(), [3, Math.sin(-1) + 4, 10], "each row takes its own branch");
  assert.equal(m.vf(Float32Array.from(x), Float32Array.from(y)).dtype, "float32", "float32 batches stay float32");
  assert.equal(m.vf(tensor(x, { dtype: "float64" }), tensor(y, { dtype: "float64" })).toArray(), r.toArray(), "1-D Tensors as batches");
  assert.equal(m.vfNull(x, 3).toArray(), [3, Math.sin(-1) + 3, 6], "an unbatched argument");
  const [gx, gy] = m.vg(x, y);
  assert.equal(gx.toArray(), [3, Math.cos(-1), 5]);
  assert.equal(gy.toArray(), [1, 1, 2]);
  const H = m.vh(tensor([[1, 2], [3, 4]], { dtype: "float64" }));
  assert.equal(H.toArray(), [[[4, 2], [2, 0]], [[8, 6], [6, 0]]]);
  assert.equal(m.vv(tensor([[1, -2]], { dtype: "float64" }), tensor([[3, 4]], { dtype: "float64" })).toArray(), [[3, Math.sin(-2) + 4]]);
  const J = m.jv(x, y);
  assert.equal(J.toArray(), [[[3, 0, 0], [0, Math.cos(-1), 0], [0, 0, 5]], [[1, 0, 0], [0, 1, 0], [0, 0, 2]]].map((b, i) => (i === 0 ? b : b))[0], "jacrev(vmap(f)) w.r.t. x is diagonal");
  const [dx, dy] = m.varm(tensor([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], { dtype: "float64" }));
  assert.equal(dx.shape, [2, 3]);
  assert.equal(dy.shape, [2, 3]);
});

test("vmap of a vjp's function: the Jacobian's rows over the identity (torch.func docs)", async () => {
  const m = await compileAndImport(`
import { vmap, vjp, jacrev, eye, type Tensor } from "jacc";
const f = (x: Tensor) => x.sin().mul(x.sum());
export function jacobianByVjp(x: Tensor): Tensor {
  const [out, vjpFn] = vjp(f, [x]);
  return vmap(vjpFn)(eye(out.shape[0], { dtype: "float64" }))[0]; // one cotangent per primal
}
export const direct = jacrev(f);
`, "vmap-vjp");
  const x = tensor([0.3, -1.2, 2], { dtype: "float64" });
  const J = m.jacobianByVjp(x);
  assert.equal(J.shape, [3, 3]);
  assert.equal(same(flat(J), flat(m.direct(x)), 1e-12), undefined);
});

test("vmap run-time errors name vmap, the argument and the sizes", async () => {
  const m = await compileAndImport(SCALAR_CASES, "vmap-scalar");
  assert.throws(() => m.vf([1, 2, 3], [1, 2]), (e: Error) => e instanceof RangeError && /vmap\(f\): mismatched batch sizes: `y` has 2 rows along dim 0, `x` has 3/.test(e.message));
  assert.throws(() => m.vf(1, [1, 2]), (e: Error) => e instanceof TypeError && /vmap\(f\): argument `x` is batched \(inDims 0\) but got a number/.test(e.message));
  assert.throws(() => m.vfNull([1, 2, 3], [1, 2]), (e: Error) => e instanceof TypeError && /vmap\(f\): argument `y` is not batched \(inDims null\) and must be a number, got an array of 2/.test(e.message));
  assert.throws(() => m.vv(tensor([1, 2]), tensor([1, 2])), (e: Error) => e instanceof RangeError && /vmap/.test(e.message));
  const t = await compileAndImport(TENSOR_PROGRAMS, "vmap-tensor");
  assert.throws(() => t.v_mv_d1(tensor([1, 2, 3]), tensor([[1, 2, 3]])), (e: Error) => e instanceof RangeError && /inDims 1 is out of range for argument `x` of shape \[3\]/.test(e.message));
});

test("vmap compile-time errors", () => {
  const diag = (src: string) => compileModule(`import { vmap } from "jacc";\n${src}`, "bad.ts", { target: "js" }).diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n");
  assert.match(diag(`const f = (x: number) => x * 2; export const g = vmap(f, { inDims: [0, 0] });`), /invalid-option.*inDims` has 2 entries but the function takes 1/);
  assert.match(diag(`const f = (x: number) => x * 2; export const g = vmap(f, { outDims: 1 });`), /invalid-option.*out of range for a number output/);
  assert.match(diag(`const f = (x: number) => x * 2; export const g = vmap(f, { inDims: null });`), /at least one argument must be batched/);
  assert.match(diag(`const f = (x: number) => x * Math.random(); export const g = vmap(f);`), /random/);
  // jacc's own random ops too (one mechanism: random.ts), and one inside a Tensor factory's arguments
  const tensorDiag = (src: string) => compileModule(`import { vmap, rand, randn, tensor, type Tensor } from "jacc";\n${src}`, "bad.ts", { target: "js" }).diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n");
  assert.match(tensorDiag(`const f = (x: Tensor) => x.add(rand([3])); export const g = vmap(f);`), /^random: a random op \(`rand\(\[3\]\)`\)/);
  assert.match(tensorDiag(`const f = (x: Tensor) => x.mul(randn(3)); export const g = vmap(f, { inDims: 0 });`), /^random: .*`randn\(3\)`/);
  assert.match(tensorDiag(`const f = (x: Tensor) => x.add(tensor(rand([3]))); export const g = vmap(f);`), /^random: .*`rand\(\[3\]\)`/);
  assert.match(tensorDiag(`const f = (x: Tensor) => x.add(tensor([Math.random(), 0, 0])); export const g = vmap(f);`), /^random: .*`Math\.random\(\)`/);
});

test("vmap randomness: \"different\" draws per row, \"same\" shares the draws across rows", async () => {
  const m = await compileAndImport(`
import { vmap } from "jacc";
const noisy = (x: number) => {
  let s = x;
  for (let i = 0; i < 3; i++) s += Math.random();
  return s;
};
export const same = vmap(noisy, { randomness: "same" });
export const different = vmap(noisy, { randomness: "different" });
`, "vmap-random");
  const zeros = new Float64Array(50);
  const s = m.same(zeros).toArray() as number[];
  assert.ok(s.every((v) => v === s[0]), "every row drew the same numbers");
  const again = m.same(zeros).toArray() as number[];
  assert.ok(again[0] !== s[0], "a new call draws anew");
  const d = m.different(zeros).toArray() as number[];
  assert.ok(new Set(d).size > 40, "rows draw independently");
});

test("vmap's row loop inlines a callee whose parameter has the name of a module-level value the caller reads: the local is renamed (it read undefined)", async () => {
  const m = await compileAndImport(
    `
import { hessian, vmap, stack, tensor, type Tensor } from "jacc";
function matrices(x: Tensor, y: Tensor): Tensor {
  const m = x.matmul(x.t());
  return m.exp().sum(0).add(y.mul(m).sum(1));
}
const y = tensor([0.5, -1], { dtype: "float64" });
export const one = hessian((v: Tensor) => matrices(v, y).sum());
export const batched = vmap(hessian((v: Tensor) => matrices(v, y).sum()));
`,
    "vmap-shadowed-module-name",
  );
  const x = tensor([[0.3, -0.6, 0.9], [1.2, -0.4, 0.2]], { dtype: "float64" });
  const rows = [x, x.mul(0.9)];
  const H = m.batched(stack(rows)) as Tensor;
  rows.forEach((r, b) => assert.equal([...H.select(0, b).data], [...(m.one(r) as Tensor).data], `row ${b}`));
});


test("vmap of a function with an optional parameter left out (inDims null for it): as PyTorch calls func(*args), the default applies in every row", async () => {
  const m = await compileAndImport(
    `import { vmap, jacrev } from "jacc";
function f(x: number, s?: number): number { const k = s ?? 2; return Math.sin(x * k) + k; }
export const plain = vmap(f, { inDims: [0, null] });
export const derivative = vmap(jacrev(f), { inDims: [0, null] });
export const row = f;`,
    "vmap-optional",
  );
  const xs = [0.1, 0.5, -0.3];
  assert.equal(Array.from(m.plain(xs).data), xs.map((x) => m.row(x)), "left out: the default in every row");
  assert.equal(Array.from(m.plain(xs, 3).data), xs.map((x) => m.row(x, 3)), "given: that value");
  assert.equal(Array.from(m.derivative(xs).data), xs.map((x) => 2 * Math.cos(2 * x)), "jacrev of the defaulted function, row by row");
  assert.throws(() => m.plain(xs, [1, 2, 3]), /argument `s` is not batched \(inDims null\) and must be a number, got an array of 3/);
});

test("vmap(f) with one inDims for every batch, of f with trailing parameters that have defaults or are optional: a call that leaves them out maps the arguments given (PyTorch), one that passes them batches them too", async () => {
  const m = await compileAndImport<any>(`import { vmap, Tensor } from "jacc";
function h(a: number, b?: number): number { return b === undefined ? a * a : a * b; }
function k(a: number, s = 2 * a): number { return Math.sin(a) * s; }
function t(x: Tensor, scale?: number): Tensor { return x.mul(scale ?? 3).sin(); }
export const vh = vmap(h);
export const vk = vmap(k, { inDims: 0 });
export const vt = vmap(t);
export const vtNull = vmap(t, { inDims: [0, null] });
`, "vmap-left-out");
  assert.equal([...m.vh(Float64Array.of(1, 2, 3)).data], [1, 4, 9]);
  assert.equal([...m.vh(Float64Array.of(1, 2, 3), Float64Array.of(2, 3, 4)).data], [2, 6, 12]);
  assert.equal([...m.vk(Float64Array.of(0.5, 1)).data], [0.5, 1].map((a) => Math.sin(a) * 2 * a));
  const X = tensor([[1, 2], [3, 4]], { dtype: "float64" });
  const got = m.vt(X) as Tensor;
  assert.equal(got.shape, [2, 2]);
  assert.equal([...got.data], [1, 2, 3, 4].map((x) => Math.sin(3 * x)));
  assert.equal([...(m.vtNull(X, 2) as Tensor).data], [1, 2, 3, 4].map((x) => Math.sin(2 * x)));
  // a batch of the optional argument is still checked against the others
  assert.throws(() => m.vh(Float64Array.of(1, 2, 3), Float64Array.of(2, 3)), (e: Error) => e instanceof RangeError && /batch/.test(e.message));
});

test.run();
