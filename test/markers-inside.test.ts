// Markers called inside a function another marker differentiates (issue 17 §1:
// "every marker, vjp and jvp included"): vjp's function value, jvp's tangent,
// vmap of rows, and a derivative's nested blocks, each checked in both modes
// against central finite differences of the function itself. Also a generated
// name that would be a reserved word (the tangent of a local `o` is `do`).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";
import { expectDiagnostic } from "./util/diagnostic-check.js";

const SRC = `import { grad, jacrev, jacfwd, vjp, jvp, vmap, hessian, Tensor } from "jacc";
function f(x: number, y: number): number { return x * x * y + Math.sin(y); }
export function gVjp(x: number): number { const [o, pull] = vjp(f, [x, 3]); return o + pull(1)[0] * x + pull(x)[1]; }
export function gJvp(x: number): number { const [o, t] = jvp(f, [x, 3], [1, x]); return o * t; }
export function gHess(x: number): number { const h = hessian(f, { argnums: [0, 1] })(x, 2 * x); return h[0][1] * x + h[1][1]; }
function fa(x: number): [number, number] { return [x * x, Math.cos(x)]; }
export function gAux(x: number): number { const [o, pull, aux] = vjp(fa, [x], { hasAux: true }); return o * aux + pull(x)[0]; }
function ft(x: Tensor, w: Tensor): [Tensor, Tensor] { return [x.mul(w).sin(), x.sum().mul(w.sum())]; }
export function tVjp(x: Tensor): Tensor { const [o, pull] = vjp(ft, [x, x.mul(2)]); const [cx, cw] = pull([o[0].cos(), o[1]]); return cx.mul(cw).sum().add(o[1]); }
export function tJvp(x: Tensor): Tensor { const [o, t] = jvp(ft, [x, x.exp()], [x.cos(), x]); return o[0].mul(t[0]).sum().add(t[1].mul(o[1])); }
function row(r: Tensor): Tensor { return r.mul(r).sum().sin(); }
export function tVmap(x: Tensor): Tensor { return vmap(row)(x.reshape(2, 3)).mul(x.reshape(2, 3).sum(1)).sum(); }
export function tVmapCols(x: Tensor): Tensor { return vmap(row, { inDims: 1 })(x.reshape(2, 3)).sum(); }
export function bound(x: number): number {
  const df = grad(f, { argnums: [0, 1] });
  let s = 0;
  for (let i = 0; i < 3; i++) { const [a, b] = df(x + i, 2 * x); s += a * b; }
  return s;
}
export function tBound(x: Tensor): Tensor { const m = vmap(row); return m(x.reshape(2, 3)).sum(); }
interface V { x: number; y: number }
function e(p: V, k: number): number { return k * p.x * p.x * p.y + Math.sin(p.y); }
export function gRec(t: number): number {
  const p = { x: t, y: 2 * t };
  const [o, pull] = vjp(e, [p, 3]);
  const [cp, ck] = pull(1);
  const [o2, tan] = jvp(e, [p, t], [{ x: 1, y: 0 }, 0.5]);
  return o * cp.x + cp.y * ck + tan * o2;
}
export function named(x: number): number { const o = x * x; const n = o * 3; return Math.sin(n) + o; }
export const d = {
  gVjp: [grad(gVjp), jacfwd(gVjp)], gJvp: [grad(gJvp), jacfwd(gJvp)], gHess: [grad(gHess), jacfwd(gHess)], gAux: [grad(gAux), jacfwd(gAux)],
  tVjp: [jacrev(tVjp), jacfwd(tVjp)], tJvp: [jacrev(tJvp), jacfwd(tJvp)], tVmap: [jacrev(tVmap), jacfwd(tVmap)], tVmapCols: [jacrev(tVmapCols), jacfwd(tVmapCols)],
  named: [grad(named), jacfwd(named)], gRec: [grad(gRec), jacfwd(gRec)], bound: [grad(bound), jacfwd(bound)], tBound: [jacrev(tBound), jacfwd(tBound)],
};
export const second = { gVjp: [hessian(gVjp), jacrev(jacrev(gVjp))], gJvp: [hessian(gJvp), jacfwd(jacfwd(gJvp))] };
export const batched = { gVjp: vmap(gVjp), gJvp: vmap(gJvp), tVjp: vmap(tVjp), tVmap: vmap(tVmap) };
`;

const fd = (g: (x: number) => number, x: number, h = 1e-5) => (-g(x + 2 * h) + 8 * g(x + h) - 8 * g(x - h) + g(x - 2 * h)) / (12 * h);
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * (1 + Math.abs(b)), `${what}: ${a} vs finite differences ${b}`);

test("vjp, jvp (over records too), hessian's nested blocks, a marker's function bound to a local, and a local named `o` inside functions of numbers: both modes agree with finite differences", async () => {
  const m = await compileAndImport(SRC, "markers-inside");
  for (const name of ["gVjp", "gJvp", "gHess", "gAux", "named", "bound", "gRec"]) {
    for (const x of [0.7, -1.3]) {
      const ref = fd(m[name], x);
      near(m.d[name][0](x), ref, `grad(${name})(${x})`);
      near(m.d[name][1](x), ref, `jacfwd(${name})(${x})`);
    }
  }
});

test("vjp, jvp and vmap inside functions of Tensors: both modes agree with finite differences", async () => {
  const m = await compileAndImport(SRC, "markers-inside");
  const x0 = [0.3, -0.4, 0.5, 0.2, -0.1, 0.6];
  const cases: [string, number][] = [["tVjp", 3], ["tJvp", 3], ["tVmap", 6], ["tVmapCols", 6], ["tBound", 6]];
  for (const [name, n] of cases) {
    const xs = x0.slice(0, n);
    const arg = (v: number[]) => tensor(v, { dtype: "float64" });
    const value = (v: number[]) => {
      const y = m[name](arg(v));
      return typeof y === "number" ? y : (y as Tensor).item();
    };
    const ref = xs.map((_, i) => fd((t) => value(xs.map((u, k) => (k === i ? t : u))), xs[i]));
    for (const [mode, g] of [["reverse", m.d[name][0]], ["forward", m.d[name][1]]] as const) {
      const got = g(arg(xs));
      const flat = [...((got as Tensor).data ?? got)] as number[];
      assert.is(flat.length, n, `${mode} ${name}: ${n} entries`);
      flat.forEach((v, i) => near(v, ref[i], `${mode} ${name}[${i}]`));
    }
  }
});

test("second derivatives through vjp and jvp inside (hessian, jacrev(jacrev), jacfwd(jacfwd)) agree with finite differences of the gradient", async () => {
  const m = await compileAndImport(SRC, "markers-inside");
  for (const name of ["gVjp", "gJvp"]) {
    for (const x of [0.7, -0.4]) {
      const ref = fd((t) => m.d[name][0](t), x);
      for (const h of m.second[name]) near(h(x), ref, `second derivative of ${name} at ${x}`);
    }
  }
});

test("vmap of functions that call vjp, jvp and vmap equals the functions row by row", async () => {
  const m = await compileAndImport(SRC, "markers-inside");
  const xs = [0.3, -0.7, 1.1];
  for (const name of ["gVjp", "gJvp"]) {
    const got = [...(m.batched[name](xs) as Tensor).data];
    xs.forEach((x, i) => assert.ok(Math.abs(got[i] - m[name](x)) <= 1e-12 * (1 + Math.abs(got[i])), `vmap(${name}) row ${i}`));
  }
  const rows = [[0.3, -0.4, 0.5, 0.2, -0.1, 0.6], [0.1, 0.2, -0.3, 0.4, 0.5, -0.6]];
  for (const [name, n] of [["tVjp", 3], ["tVmap", 6]] as const) {
    const X = tensor(rows.map((r) => r.slice(0, n)), { dtype: "float64" });
    const got = [...(m.batched[name](X) as Tensor).data];
    rows.forEach((r, i) => {
      const want = (m[name](tensor(r.slice(0, n), { dtype: "float64" })) as Tensor).item();
      assert.ok(Math.abs(got[i] - want) <= 1e-12 * (1 + Math.abs(want)), `vmap(${name}) row ${i}: ${got[i]} vs ${want}`);
    });
  }
});

// local functions that capture the differentiated function's variables, given to a marker inside it (JAX's
// vmap(lambda x: loss(W, x))(X)): each against the same function written with the captures as parameters
const CLOSURES = `import { grad, jacfwd, hessian, vmap, Tensor } from "jacc";
function loss(W: Tensor, x: Tensor): Tensor { return W.matmul(x).tanh().sum(); }
export function mapped(W: Tensor, X: Tensor): Tensor { return vmap((x: Tensor) => loss(W, x))(X).mean(); }
export function mappedRef(W: Tensor, X: Tensor): Tensor { return vmap(loss, { inDims: [null, 0] })(W, X).mean(); }
export function inner(W: Tensor, X: Tensor): Tensor { const x = X.select(0, 1); return grad((u: Tensor) => loss(W, u))(x).mul(x).sum(); }
export function innerRef(W: Tensor, X: Tensor): Tensor { const x = X.select(0, 1); return grad(loss, { argnums: 1 })(W, x).mul(x).sum(); }
export function perExample(W: Tensor, X: Tensor): Tensor { const G = vmap(grad((x: Tensor) => loss(W, x)))(X); return G.mul(G).sum(); }
export function perExampleRef(W: Tensor, X: Tensor): Tensor { const G = vmap(grad(loss, { argnums: 1 }), { inDims: [null, 0] })(W, X); return G.mul(G).sum(); }
export function numbers(a: number, b: number): number {
  const s = 2 * b;
  const slope = (t: number): number => Math.sin(t * s) * a;
  return jacfwd(slope)(a) * hessian((t: number) => t * t * t * s)(b);
}
export const d = {
  mapped: [grad(mapped), grad(mappedRef)], inner: [grad(inner), grad(innerRef)], perExample: [grad(perExample), grad(perExampleRef)],
  innerX: [jacfwd(inner, { argnums: 1 }), jacfwd(innerRef, { argnums: 1 })],
};
export const dn = [grad(numbers, { argnums: [0, 1] }), jacfwd(numbers, { argnums: [0, 1] })];
// a mapped function returning a number: its batch is a float64 Tensor [B] inside as at the top level
function lossN(W: Tensor, x: Tensor): number { return W.matmul(x).tanh().sum().item(); }
export function mappedNumbers(W: Tensor, X: Tensor): Tensor { return vmap((x: Tensor) => lossN(W, x))(X).mean(); }
function sq(x: number, k: number): number { return Math.sin(x * k) * x; }
export function mappedArray(xs: number[]): Tensor { return vmap(sq, { inDims: [0, null] })(xs, 2).sum(); }
export const dm = [grad(mappedNumbers), jacfwd(mappedNumbers)];
export const da = [grad(mappedArray), jacfwd(mappedArray)];
`;

test("a local function that captures the differentiated function's variables, given to vmap, grad, jacfwd or hessian inside it: equal to passing them as parameters, and to finite differences", async () => {
  const m = await compileAndImport(CLOSURES, "markers-inside-closures");
  const W = tensor([[0.5, -0.2], [0.1, 0.3]], { dtype: "float64" });
  const X = tensor([[1, 2], [3, -1], [0.5, 0.5]], { dtype: "float64" });
  for (const name of ["mapped", "inner", "perExample"]) {
    assert.is(Number(m[name](W, X).item()), Number(m[`${name}Ref`](W, X).item()), `${name}: value`);
    const [got, ref] = m.d[name].map((g: (w: Tensor, x: Tensor) => Tensor) => Array.from(g(W, X).data));
    assert.equal(got, ref, `grad(${name})`);
  }
  const [gx, rx] = m.d.innerX.map((g: (w: Tensor, x: Tensor) => Tensor) => Array.from(g(W, X).data));
  assert.equal(gx, rx, "jacfwd(inner, argnums 1)");
  for (const g of m.dm) assert.equal(Array.from((g(W, X) as Tensor).data).map((x) => x.toFixed(12)), Array.from(m.d.mapped[0](W, X).data as Float64Array).map((x) => x.toFixed(12)), "grad of a vmap of a number function");
  const xs = [0.3, -1.2, 2];
  for (const g of m.da) Array.from((g(xs) as Tensor).data).forEach((v, i) => near(v, Math.sin(2 * xs[i]) + 2 * xs[i] * Math.cos(2 * xs[i]), `d mappedArray / dx${i}`));
  const h = 1e-6;
  const fdA = (m.numbers(0.7 + h, 1.3) - m.numbers(0.7 - h, 1.3)) / (2 * h);
  const fdB = (m.numbers(0.7, 1.3 + h) - m.numbers(0.7, 1.3 - h)) / (2 * h);
  for (const g of m.dn) {
    const [a, b] = g(0.7, 1.3) as number[];
    near(a, fdA, "d numbers / da");
    near(b, fdB, "d numbers / db");
  }
});

// vjp, jvp and jacobian of a closure inside: its captures are constants to the inner transform (as in torch.func),
// the enclosing one differentiates through them; each against the captures-as-parameters form
const CLOSURES_VJP = `import { grad, jacfwd, jacrev, hessian, vjp, jvp, jacobian, vmap, Tensor } from "jacc";
function h(t: number, k: number): number { return Math.sin(t * k) + k * t * t; }
export function viaVjp(x: number, y: number): number {
  const k = y * y;
  const [o, pull] = vjp((t: number) => Math.sin(t * k) + k * t * t, [x]);
  const [ct] = pull(x + y);
  return o * ct;
}
export function viaVjpRef(x: number, y: number): number { const [o, pull] = vjp(h, [x, y * y]); return o * pull(x + y)[0]; }
export function viaJvp(x: number, y: number): number {
  const k = y * y;
  const [o, t] = jvp((u: number) => Math.sin(u * k) + k * u * u, [x], [y]);
  return o * t;
}
export function viaJvpRef(x: number, y: number): number { const [o, t] = jvp(h, [x, y * y], [y, 0]); return o * t; }
export function viaJac(x: number, y: number): number {
  const k = y * y;
  return jacobian((t: number) => Math.sin(t * k) + k * t * t, x, { createGraph: true }) * x;
}
export function viaJacRef(x: number, y: number): number { return jacobian(h, [x, y * y], { createGraph: true })[0] * x; }
// createGraph false (the default): the Jacobian is a constant to the enclosing transform, as in PyTorch
export function viaJacDetached(x: number, y: number): number {
  const k = y * y;
  return jacobian((t: number) => Math.sin(t * k) + k * t * t, x) * x;
}
function lossT(W: Tensor, x: Tensor): Tensor { return W.matmul(x).tanh().sum(); }
export function tVjp(W: Tensor, x: Tensor): Tensor {
  const [o, pull] = vjp((u: Tensor) => lossT(W, u), [x]);
  return pull(o.cos())[0].mul(x).sum();
}
export function tVjpRef(W: Tensor, x: Tensor): Tensor { const [o, pull] = vjp(lossT, [W, x]); return pull(o.cos())[1].mul(x).sum(); }
export function tJvp(W: Tensor, x: Tensor): Tensor {
  const [o, t] = jvp((u: Tensor) => lossT(W, u), [x], [x.sin()]);
  return o.mul(t);
}
export function tJvpRef(W: Tensor, x: Tensor): Tensor { const [o, t] = jvp(lossT, [W, x], [W.mul(0), x.sin()]); return o.mul(t); }
export const d = {
  viaVjp: [grad(viaVjp, { argnums: [0, 1] }), jacfwd(viaVjp, { argnums: [0, 1] }), grad(viaVjpRef, { argnums: [0, 1] })],
  viaJvp: [grad(viaJvp, { argnums: [0, 1] }), jacfwd(viaJvp, { argnums: [0, 1] }), grad(viaJvpRef, { argnums: [0, 1] })],
  viaJac: [grad(viaJac, { argnums: [0, 1] }), jacfwd(viaJac, { argnums: [0, 1] }), grad(viaJacRef, { argnums: [0, 1] })],
};
export const detached = [grad(viaJacDetached, { argnums: [0, 1] }), jacfwd(viaJacDetached, { argnums: [0, 1] })];
export const hv = [hessian(viaVjp, { argnums: [0, 1] }), hessian(viaVjpRef, { argnums: [0, 1] })];
export const mapped = vmap(viaJvp);
export const dt = {
  tVjp: [jacrev(tVjp, { argnums: [0, 1] }), jacfwd(tVjp, { argnums: [0, 1] }), jacrev(tVjpRef, { argnums: [0, 1] })],
  tJvp: [jacrev(tJvp, { argnums: [0, 1] }), jacfwd(tJvp, { argnums: [0, 1] }), jacrev(tJvpRef, { argnums: [0, 1] })],
};
`;

test("a local function that captures variables, given to vjp, jvp or jacobian inside a differentiated function: equal to passing them as parameters, and to finite differences", async () => {
  const m = await compileAndImport(CLOSURES_VJP, "markers-inside-closures-vjp");
  const [x, y] = [0.7, 1.3];
  const h = 1e-5;
  for (const name of ["viaVjp", "viaJvp", "viaJac"]) {
    const f = m[name] as (a: number, b: number) => number;
    assert.is(f(x, y), m[`${name}Ref`](x, y), `${name}: value`);
    const fdX = fd((a) => f(a, y), x, h), fdY = fd((b) => f(x, b), y, h);
    for (const g of m.d[name]) {
      const [a, b] = g(x, y) as number[];
      near(a, fdX, `d ${name} / dx`);
      near(b, fdY, `d ${name} / dy`);
    }
  }
  // the detached Jacobian, 2xk + 2k·cos... as a constant: d/dx is the Jacobian itself, d/dy 0
  const k = y * y;
  for (const g of m.detached) {
    const [a, b] = g(x, y) as number[];
    near(a, k * Math.cos(x * k) + 2 * k * x, "d viaJacDetached / dx");
    assert.is(b, 0, "d viaJacDetached / dy (createGraph false)");
  }
  const [H, Href] = m.hv.map((g: (a: number, b: number) => number[][]) => g(x, y).flat());
  H.forEach((v: number, i: number) => near(v, Href[i], `hessian(viaVjp) entry ${i}`));
  const rows = [0.2, -0.4, 1.1];
  const ys = [0.5, 0.9, -1.3];
  const got = Array.from((m.mapped(rows, ys) as Tensor).data);
  got.forEach((v, i) => near(v, m.viaJvp(rows[i], ys[i]), `vmap(viaJvp) row ${i}`));
  const W = tensor([[0.5, -0.2], [0.1, 0.3]], { dtype: "float64" });
  const xt = tensor([0.4, -0.8], { dtype: "float64" });
  for (const name of ["tVjp", "tJvp"]) {
    assert.is(Number(m[name](W, xt).item()), Number(m[`${name}Ref`](W, xt).item()), `${name}: value`);
    const all = m.dt[name].map((g: (w: Tensor, u: Tensor) => Tensor[]) => g(W, xt).map((b) => Array.from(b.data)));
    for (let j = 0; j < 2; j++) all[2][j].forEach((v: number, q: number) => {
      near(all[0][j][q], v, `jacrev(${name})[${j}][${q}]`);
      near(all[1][j][q], v, `jacfwd(${name})[${j}][${q}]`);
    });
  }
});

test("a local function that captures variables and takes a record, given to vjp inside a differentiated function: a located diagnostic", () => {
  expectDiagnostic(
    "closure-to-vjp",
    `interface P { a: number; b: number }\nfunction g(x: number): number { const k = 2 * x; const [o, pull] = vjp(‸(p: P) => p.a * k + p.b, [{ a: x, b: 1 }]); return o + pull(1)[0].a; }\nexport const d = grad(g);\n`,
    { code: "unsupported-construct", message: [/captures variables/, /`vjp` when it takes records or tuples/, /pass them as parameters/] },
  );
});

test("vjp inside a differentiated function: primals that are not an array literal are a located diagnostic", () => {
  expectDiagnostic(
    "vjp-inside-primals",
    `function f(x: number): number { return x * x; }\nfunction g(x: number): number { const p: [number] = [x]; const [o, pull] = vjp(f, ‸p); return o + pull(1)[0]; }\nexport const d = grad(g);\n`,
    { code: "unsupported-construct", message: [/primals must be an array literal/] },
  );
});

test("vmap inside a differentiated function of a function returning numbers or number arrays: a float64 Tensor [B] or [B, n], as at the top level", async () => {
  const m = await compileAndImport(
    `import { grad, jacfwd, vmap } from "jacc";
export function g(x: number[]): number { const r = vmap((t: number): number[] => [t, t * t])(x); return r.select(1, 1).sum().item() * 10 + r.select(0, 2).sum().item(); }
export const d = [grad(g), jacfwd(g)];`,
    "markers-inside-number-rows",
  );
  // 10 Σ t² + t₂ + t₂²
  for (const dg of m.d) assert.equal(Array.from((dg([1, 2, 3]) as Tensor).data), [20, 40, 67]);
});


// a helper taking a function, given a marker's result or a Tensor function (fixtures/scalar/function_arguments.ts has the rest)
const FUNCTION_ARGS = `import { grad, jacrev, jacfwd, vmap, Tensor } from "jacc";
function descend(df: (u: number) => number, u: number, rate: number): number { for (let i = 0; i < 5; i++) u -= rate * df(u); return u; }
function loss(u: number): number { return (u - 1.5) ** 2 + 0.1 * Math.sin(3 * u); }
function dloss(u: number): number { return 2 * (u - 1.5) + 0.3 * Math.cos(3 * u); }
export function viaGrad(x: number, r: number): number { return loss(descend(grad(loss), x, r)) * r; }
export function viaHand(x: number, r: number): number { return loss(descend(dloss, x, r)) * r; }
function layer(act: (t: Tensor) => Tensor, W: Tensor, h: Tensor): Tensor { return act(W.matmul(h)); }
export function net(W: Tensor, x: Tensor): Tensor { return layer((t: Tensor) => t.tanh(), W, layer((t: Tensor) => t.mul(W.sum()).sin(), W, x)).sum(); }
export const d = { viaGrad: [grad(viaGrad, { argnums: [0, 1] }), jacfwd(viaGrad, { argnums: [0, 1] })], viaHand: grad(viaHand, { argnums: [0, 1] }) };
export const dnet = [jacrev(net, { argnums: [0, 1] }), jacfwd(net, { argnums: [0, 1] })];
export const rows = vmap(viaGrad, { inDims: [0, null] });
`;

test("a helper taking a function (an arrow capturing a Tensor, a marker's result): lowered once per function given; both modes agree with finite differences and with the hand-written form", async () => {
  const m = await compileAndImport(FUNCTION_ARGS, "markers-inside-function-args");
  const [x, r] = [0.4, 0.12];
  assert.is(m.viaGrad(x, r), m.viaHand(x, r), "grad(loss) given as the function: the same numbers as the hand-written derivative");
  const fdX = fd((a) => m.viaGrad(a, r), x), fdR = fd((b) => m.viaGrad(x, b), r);
  for (const g of [...m.d.viaGrad, m.d.viaHand]) {
    const [a, b] = g(x, r) as number[];
    near(a, fdX, "d viaGrad / dx");
    near(b, fdR, "d viaGrad / dr");
  }
  const W = tensor([[0.5, -0.2], [0.1, 0.3]], { dtype: "float64" });
  const xt = tensor([0.4, -0.8], { dtype: "float64" });
  const [rev, fwd] = m.dnet.map((g: (w: Tensor, u: Tensor) => Tensor[]) => g(W, xt).map((b) => Array.from(b.data)));
  const flat = [...W.data, ...xt.data];
  const netAt = (v: number[]) => Number(m.net(tensor([v.slice(0, 2), v.slice(2, 4)], { dtype: "float64" }), tensor(v.slice(4), { dtype: "float64" })).item());
  flat.forEach((_, i) => {
    const d = fd((t) => netAt(flat.map((v, j) => (j === i ? t : v))), flat[i]);
    const [blk, q] = i < 4 ? [0, i] : [1, i - 4];
    near(rev[blk][q], d, `jacrev(net) entry ${i}`);
    near(fwd[blk][q], d, `jacfwd(net) entry ${i}`);
  });
  const xs = [0.2, 0.4, 0.9];
  Array.from((m.rows(xs, r) as Tensor).data).forEach((v, i) => assert.is(v, m.viaGrad(xs[i], r), `vmap row ${i}`));
});

test("vjp of a function that runs a reverse sweep inside (a few gradient steps, MAML's shape): ctᵀ·J equal to jacrev's blocks and to finite differences, numbers, Tensors, records and aux", async () => {
  const m = await compileAndImport(`import { grad, jacrev, vjp, Tensor } from "jacc";
function loss(w: number, x: number): number { return (w * x - 1) ** 2 + Math.sin(w); }
export function trained(lr: number, w0: number): number {
  const df = grad(loss);
  let w = w0;
  for (let i = 0; i < 3; i++) w = w - lr * df(w, 0.7);
  return w * w;
}
export const pair = (lr: number, w0: number) => vjp(trained, [lr, w0]);
export const jr = jacrev(trained, { argnums: [0, 1] });
function tloss(w: Tensor, x: Tensor): number { return w.mul(x).sin().sum().item(); }
export function tstep(w: Tensor, x: Tensor): [Tensor, number] {
  const g = grad(tloss)(w, x);
  const w1 = w.sub(g.mul(0.1));
  return [w1.mul(w1), w1.sum().item()];
}
export const tpair = (w: Tensor, x: Tensor) => vjp(tstep, [w, x]);
export const tjr = jacrev(tstep, { argnums: [0, 1] });
interface P { a: number; b: number }
function inner(p: P, t: number): number { return p.a * Math.sin(p.b * t); }
export function rec(p: P, t: number): [number, number] {
  const g = grad(inner)(p, t);
  return [g.a * p.b + t * g.b, g.b];
}
export const rpair = (p: P, t: number) => vjp(rec, [p, t], { hasAux: true });
`);
  // numbers: the vjp function at two cotangents is linear, and equals jacrev's row and finite differences
  const [y, pull] = m.pair(0.1, 0.4);
  assert.ok(Math.abs(y - m.trained(0.1, 0.4)) < 1e-15);
  const row = m.jr(0.1, 0.4) as number[];
  const c1 = pull(1) as number[];
  const c2 = pull(2.5) as number[];
  const fdLr = fd((t) => m.trained(t, 0.4), 0.1);
  const fdW = fd((t) => m.trained(0.1, t), 0.4);
  near(c1[0], fdLr, "∂/∂lr");
  near(c1[1], fdW, "∂/∂w0");
  for (let k = 0; k < 2; k++) {
    assert.ok(Math.abs(c1[k] - row[k]) < 1e-14 * (1 + Math.abs(row[k])), `vjp ${c1[k]} vs jacrev ${row[k]}`);
    assert.ok(Math.abs(c2[k] - 2.5 * c1[k]) < 1e-14 * (1 + Math.abs(c2[k])), "linear in the cotangent");
  }
  // Tensors, a tuple output: ctᵀ·J block by block
  const w = tensor([0.3, -0.2, 0.5]), x = tensor([1.0, 2.0, -1.0]);
  const ct0 = tensor([1, 0.5, -1]);
  const [, tpull] = m.tpair(w, x);
  const got = tpull([ct0, 2]) as Tensor[];
  const J = m.tjr(w, x) as Tensor[][];
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < 3; j++) {
      let want = 2 * J[1][k].data[j];
      for (let i = 0; i < 3; i++) want += ct0.data[i] * J[0][k].data[i * 3 + j];
      assert.ok(Math.abs(got[k].data[j] - want) < 1e-14 * (1 + Math.abs(want)), `input ${k}[${j}]: ${got[k].data[j]} vs ${want}`);
    }
    assert.equal(got[k].shape, [3]);
  }
  // a record input and aux: cotangents structured as the arguments
  const p = { a: 0.8, b: 1.3 };
  const [o, rpull, aux] = m.rpair(p, 0.6);
  assert.ok(Math.abs(aux - m.rec(p, 0.6)[1]) < 1e-15 && Math.abs(o - m.rec(p, 0.6)[0]) < 1e-15);
  const [cp, ct] = rpull(1) as [{ a: number; b: number }, number];
  near(cp.a, fd((t) => m.rec({ a: t, b: 1.3 }, 0.6)[0], 0.8), "∂/∂p.a");
  near(cp.b, fd((t) => m.rec({ a: 0.8, b: t }, 0.6)[0], 1.3), "∂/∂p.b");
  near(ct, fd((t) => m.rec(p, t)[0], 0.6), "∂/∂t");
});

test.run();
