// Fusion of elementwise chains (compiler/opt/fuse.ts): one loop per chain,
// bit-for-bit the numbers of the op-by-op code in float64 and float32, and the
// ops themselves when operands broadcast.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, compileOrThrow, repoRoot } from "./util/compile.js";
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

function withoutFusion<T>(f: () => T): T {
  process.env.JACC_FUSE = "off";
  try {
    return f();
  } finally {
    delete process.env.JACC_FUSE;
  }
}

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

test.run();
