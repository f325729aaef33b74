// Fusion of elementwise chains (compiler/opt/fuse.ts): one loop per chain,
// bit-for-bit the numbers of the op-by-op code in float64 and float32, and the
// ops themselves when operands broadcast.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, compileOrThrow, repoRoot, withPaths } from "./util/compile.js";
import { tensor, Tensor } from "../runtime/index.js";

const SRC = `
import { jacrev, vjp, type Tensor } from "jacc";
const chainF = (x: Tensor, y: Tensor, s: number) => x.exp().mul(2).sin().add(y.mul(y).sigmoid()).div(s).neg().sub(-3).mul(-0.1).neg().sqrt().abs();
const broadcastF = (x: Tensor, y: Tensor) => x.mul(y).tanh().sub(1);
// vjp's first result is the primal, emitted as a generated function
export const chain = (x: Tensor, y: Tensor, s: number) => vjp(chainF, [x, y, s])[0];
export const broadcast = (x: Tensor, y: Tensor) => vjp(broadcastF, [x, y])[0];
export const layerJ = jacrev((x: Tensor) => x.mul(3).tanh());
`;

const withoutFusion = <T>(f: () => T): T => withPaths({ fuse: false }, f);

test("elementwise chains fuse into one loop per dtype", () => {
  const r = compileOrThrow(SRC, path.join(repoRoot, ".tmp", "tests", "fuse-src.ts"));
  assert.ok(r.code.includes("function __jaccFuse1("), "a fused helper");
  const primal = r.code.slice(r.code.indexOf("function chainF"), r.code.indexOf("}", r.code.indexOf("function chainF")));
  assert.is((primal.match(/__jaccFuse\d+\(/g) ?? []).length, 1, primal);
  assert.not.ok(/__jt\.(exp|sin|mul|add|div|neg|sqrt|abs|sigmoid)\(/.test(primal), primal);
  assert.ok(/o\[i\] = Math\.fround/.test(r.code), "a float32 specialisation");
  const off = withoutFusion(() => compileOrThrow(SRC, path.join(repoRoot, ".tmp", "tests", "fuse-src.ts")));
  assert.not.ok(off.code.includes("__jaccFuse"));
});

test("fused chains give the op-by-op numbers exactly (float64, float32, broadcasting)", async () => {
  const on = await compileAndImport(SRC, "fuse-on");
  const off = await withoutFusion(() => compileAndImport(SRC, "fuse-off"));
  const same = (a: Tensor, b: Tensor) => {
    assert.is(a.dtype, b.dtype);
    assert.equal([...a.shape], [...b.shape]);
    assert.equal(Array.from(a.data), Array.from(b.data));
  };
  for (const dtype of ["float64", "float32"] as const) {
    const x = tensor([[0.3, -1.2, 2.5], [0.7, -0.1, 1.9]], { dtype });
    const y = tensor([[1.3, 0.2, -0.5], [0.1, 2.1, -3.3]], { dtype });
    same(on.chain(x, y, 0.7), off.chain(x, y, 0.7));
    same(on.chain(x, y, -3), off.chain(x, y, -3));
    same(on.broadcast(x, tensor([0.5, -2, 1.5], { dtype })), off.broadcast(x, tensor([0.5, -2, 1.5], { dtype })));
    same(on.layerJ(x), off.layerJ(x));
  }
  // mixed dtypes: promotion through the ops themselves
  same(on.chain(tensor([0.1, 0.2], { dtype: "float32" }), tensor([0.3, 0.4], { dtype: "float64" }), 2), off.chain(tensor([0.1, 0.2], { dtype: "float32" }), tensor([0.3, 0.4], { dtype: "float64" }), 2));
});

// Regions (compiler/opt/fuse-region.ts): forward mode's primal and tangent in one loop
const REGION_SRC = `
import { jvp, vjp, hessian, type Tensor } from "jacc";
const sinExpTanh = (x: Tensor) => x.sin().mul(x.exp()).tanh();
export const j = (x: Tensor, dx: Tensor) => jvp(sinExpTanh, [x], [dx]);
export const jb = (x: Tensor, y: Tensor, dx: Tensor, dy: Tensor) => jvp((a: Tensor, b: Tensor) => a.sin().mul(b.exp()).tanh(), [x, y], [dx, dy]);
export const js = (x: Tensor, s: number, dx: Tensor, ds: number) => jvp((a: Tensor, k: number) => a.mul(k).sin().mul(a), [x, s], [dx, ds]);
export const back = (x: Tensor, ct: Tensor) => vjp(sinExpTanh, [x])[1](ct);
export const h = hessian((x: Tensor) => x.sin().mul(x.exp()).tanh().sum());
`;

test("regions: jvp's primal and tangent come from one helper call, one loop", () => {
  const r = compileOrThrow(REGION_SRC, path.join(repoRoot, ".tmp", "tests", "fuse-region.ts"));
  const fn = r.code.slice(r.code.search(/function sinExpTanh\d*_jvp\(/), r.code.indexOf("\n}", r.code.search(/function sinExpTanh\d*_jvp\(/)));
  assert.ok(fn.length > 0, r.code.slice(0, 2000));
  assert.match(fn, /\[out, dout\] = __jaccFuse\d+\(x, dx\);/);
  assert.not.match(fn, /__jt\./, "no op left outside the region");
  const helper = r.code.match(/\/\/ fused elementwise region: returns out, dout of[^]*?\n\}/)?.[0] ?? "";
  assert.is((helper.match(/for \(let i = 0; i < n; i\+\+\)/g) ?? []).length, 2, "one loop per dtype");
  assert.is((helper.match(/Math\.tanh\(/g) ?? []).length, 2, "tanh once per loop, its value reused by the tangent");
});

test("regions give the op-by-op numbers exactly (float64, float32, broadcasting, number operands, hessian, vjp)", async () => {
  const on = await compileAndImport(REGION_SRC, "fuse-region-on");
  const off = await withoutFusion(() => compileAndImport(REGION_SRC, "fuse-region-off"));
  const same = (a: unknown, b: unknown, what: string) => {
    if (Array.isArray(a)) return (a as unknown[]).forEach((x, i) => same(x, (b as unknown[])[i], `${what}[${i}]`));
    const [ta, tb] = [a as Tensor, b as Tensor];
    assert.is(ta.dtype, tb.dtype, what);
    assert.equal([...ta.shape], [...tb.shape], what);
    assert.equal(Array.from(ta.data), Array.from(tb.data), what);
  };
  for (const dtype of ["float64", "float32"] as const) {
    const x = tensor([[0.3, -1.2, 2.5], [0.7, -0.1, 1.9]], { dtype });
    const dx = tensor([[1.1, 0.4, -0.6], [0.2, -2.3, 0.9]], { dtype });
    const row = tensor([0.5, -2, 1.5], { dtype });
    same(on.j(x, dx), off.j(x, dx), `jvp ${dtype}`);
    same(on.jb(x, row, dx, row), off.jb(x, row, dx, row), `jvp broadcasting ${dtype}`);
    same(on.jb(x, x, dx, dx), off.jb(x, x, dx, dx), `jvp two tensors ${dtype}`);
    same(on.js(x, 0.7, dx, -1.3), off.js(x, 0.7, dx, -1.3), `jvp with a number ${dtype}`);
    same(on.back(x, dx), off.back(x, dx), `vjp ${dtype}`);
    same(on.h(row), off.h(row), `hessian ${dtype}`);
  }
  const [out, dout] = on.j(tensor([0.5], { dtype: "float64" }), tensor([1], { dtype: "float64" }));
  const y = Math.sin(0.5) * Math.exp(0.5);
  assert.ok(Math.abs(out.item() - Math.tanh(y)) < 1e-15 && Math.abs(dout.item() - (1 - Math.tanh(y) ** 2) * (Math.cos(0.5) + Math.sin(0.5)) * Math.exp(0.5)) < 1e-12, "the values themselves");
});

test.run();
