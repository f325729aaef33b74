// Arrays of rows, tuples and records passed as constants (issue 17 §1): read
// inside differentiated functions in every mode (index, for…of with
// destructuring, .length, helpers taking a record or the array, a record
// holding arrays, a module-level constant), checked against finite differences
// of the same functions run as plain JavaScript; differentiating such an array
// is a diagnostic. The module is fixtures/constants/arrays.ts.
import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "jacc";
import { compileAndImport, repoRoot } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";
import ts from "typescript";

const FILE = path.join(repoRoot, "fixtures/constants/arrays.ts");
const SRC = fs.readFileSync(FILE, "utf8");

/** The fixture's own functions as plain JavaScript (types stripped, markers left out). */
async function plain(): Promise<any> {
  const body = SRC.replace(/^import .*$/m, "").replace(/^export const \w+ = (grad|hessian|jacfwd|jacrev|vmap)\(.*$/gm, "");
  const js = ts.transpileModule(body, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = path.join(repoRoot, ".tmp", "tests", "constant-arrays-plain.mjs");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, js);
  return import(`${file}?${Date.now()}`);
}

/** ∂f/∂x (x a Float64Array) by the fourth-order central stencil. */
function fdGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-4): number[] {
  return [...x].map((_, i) => {
    const at = (d: number) => f(x.map((v, j) => (j === i ? v + d : v)));
    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
  });
}
const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

const data: [number, number][] = [[0.1, 1], [0.5, 2], [1.5, -1], [2, 0.5]];
const ragged = [[1, 2], [0.5, -1, 3], [2]];
const mesh = { edges: [[0, 1], [1, 2], [0, 2]] as [number, number][], stiffness: [[0, 1, 2], [0, 0, 3], [0, 0, 0]], name: "tri" };
const pts = [{ x: 1, y: 2 }, { x: -0.5, y: 0.25 }, { x: 0.6, y: -1.5 }];

test("arrays of tuples, ragged rows and records of arrays: grad, jacfwd, jacrev, hessian equal finite differences", async () => {
  const [m, p] = await Promise.all([compileAndImport(SRC, "constant-arrays"), plain()]);
  const theta = Float64Array.of(0.5, -1, 2);
  near((m.gFit(theta, data) as Tensor).data, fdGrad((t) => p.fit(t, data), theta), 1e-8, "grad(fit)");
  const x = Float64Array.of(0.3, -0.2, 0.1);
  const gr = fdGrad((y) => p.rows(y, ragged), x);
  near((m.gRows(x, ragged) as Tensor).data, gr, 1e-8, "grad(rows)");
  near((m.jfRows(x, ragged) as Tensor).data, gr, 1e-8, "jacfwd(rows)");
  const pos = Float64Array.of(0, 0, 1, 0.2, 0.3, 1.1);
  const ge = fdGrad((q) => p.energy(q, mesh), pos);
  near((m.jrEnergy(pos, mesh) as Tensor).data, ge, 1e-8, "jacrev(energy)");
  // the energy is quadratic: its Hessian is the finite difference of the gradient, exactly up to rounding
  const H = m.hEnergy(pos, mesh) as Tensor;
  assert.equal(H.shape, [6, 6]);
  pos.forEach((_, j) => near([...H.data].filter((_, k) => k % 6 === j), fdGrad((q) => fdGrad((r) => p.energy(r, mesh), q)[j], pos, 1e-3), 1e-6, `hessian(energy)[·][${j}]`));
  // the arguments are the caller's values, untouched
  assert.equal(mesh.edges, [[0, 1], [1, 2], [0, 2]]);
});

test("arrays of records: by index, for…of, destructuring, a helper returning one; a list of Tensor layers; a module constant", async () => {
  const [m, p] = await Promise.all([compileAndImport(SRC, "constant-arrays-2"), plain()]);
  for (const c of [0.7, -0.4]) {
    const at = (d: number) => p.points(c + d, pts);
    const fd = (-at(2e-4) + 8 * at(1e-4) - 8 * at(-1e-4) + at(-2e-4)) / 12e-4;
    assert.ok(Math.abs(m.gPoints(c, pts) - fd) < 1e-7, `grad(points)(${c}): ${m.gPoints(c, pts)} vs ${fd}`);
    const gp = (y: number) => m.gPoints(y, pts) as number;
    const fd2 = (gp(c + 1e-5) - gp(c - 1e-5)) / 2e-5;
    assert.ok(Math.abs(m.hPoints(c, pts) - fd2) < 1e-5, `hessian(points)(${c})`);
  }
  const f64 = { dtype: "float64" } as const;
  const layers = [{ W: tensor([[1, 0.5], [-0.3, 2]], f64), b: tensor([0.1, -0.1], f64) }, { W: tensor([[0.2, 1]], f64), b: tensor([0.3], f64) }];
  const x0 = Float64Array.of(0.4, -0.6);
  const gm = fdGrad((x) => (p.mlp(tensor([...x], f64), layers) as Tensor).item(), x0);
  near((m.gMlp(tensor([...x0], f64), layers) as Tensor).data, gm, 1e-8, "grad(mlp)");
  const w = (x: number) => Math.exp(0.5 * x) + 2 * Math.exp(-0.25 * x) + 0.5 * Math.exp(3 * x);
  const dw = (x: number) => 0.5 * Math.exp(0.5 * x) - 0.5 * Math.exp(-0.25 * x) + 1.5 * Math.exp(3 * x);
  assert.ok(Math.abs(m.gWeighted(0.3) - dw(0.3)) < 1e-12 * w(0.3));
});

test("vmap over the other argument, the array of tuples unbatched", async () => {
  const m = await compileAndImport(SRC, "constant-arrays-3");
  const thetas = tensor([[0.5, -1, 2], [1, 0, -0.5]], { dtype: "float64" });
  const v = m.vgFit(thetas, data) as Tensor;
  assert.equal(v.shape, [2, 3]);
  for (let r = 0; r < 2; r++) near([...v.data].slice(3 * r, 3 * r + 3), (m.gFit(Float64Array.from(thetas.data.slice(3 * r, 3 * r + 3)), data) as Tensor).data, 1e-12, `row ${r}`);
});

test("elements with a tuple, a union and an array of records inside: each read by its declared type", async () => {
  const m = await compileAndImport(
    `import { grad } from "jacc";
interface Item { w: number | undefined; tag: string; pos: [number, number]; sub: { k: number }[] }
export function f(x: number, items: Item[]): number {
  let s = 0;
  for (const it of items) s += (it.w as number) * x * it.pos[1] + it.sub[0].k * x * x;
  return s;
}
export const g = grad(f);`,
    "constant-arrays-4",
  );
  const items = [{ w: 2, tag: "a", pos: [0, 3], sub: [{ k: 0.5 }] }, { w: -1, tag: "b", pos: [1, 2], sub: [{ k: 2 }, { k: 9 }] }];
  // f = Σ w·pos[1]·x + sub[0].k·x²: f' = Σ w·pos[1] + 2·sub[0].k·x
  assert.is(m.g(0.7, items), 2 * 3 + -1 * 2 + 2 * (0.5 + 2) * 0.7);
});

test("differentiating an array of rows is a diagnostic that says how to differentiate its numbers", () => {
  // (arrays of records and tuples of numbers, and of Tensors, are differentiated: test/record-arrays.test.ts, test/tensor-lists.test.ts)
  const fn = `type Edge = [number, number];\nfunction e(x: Float64Array, edges: Edge[]): number { let s = 0; for (const [i, j] of edges) s += x[i] * x[j]; return s; }\n`;
  const rows = `function net(x: Tensor, rows: number[][]): number { let s = 0; for (const r of rows) s += r[0] * x.sum().item(); return s; }\n`;
  expectDiagnostic("constant-array-argnums", `import type { Tensor } from "jacc";\n${rows}export const g = grad(net, { argnums: ‸1 });`, {
    code: "unsupported-type",
    message: [/`grad` would differentiate `rows` \(parameter 1 of `net`\)/, /an array of rows, or of records or tuples mixing numbers, Tensors and other values \(`number\[\]\[\]`\)/, /pass them as a flat Float64Array or a Tensor/],
  });
  expectDiagnostic("constant-array-vmap", `${fn}export const v = vmap(e, { inDims: ‸0 });`, { code: "invalid-option", message: [/`edges` is not a number, array or Tensor, so it cannot be batched/] });
});

test.run();
