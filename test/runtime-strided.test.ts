// The strided loop nest under broadcasting, permuting and reducing, checked
// against element-by-element references on many shapes (size-1 dims merge,
// broadcast dims collapse, rows split: each path of the coalescing).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor, rand } from "../runtime/index.js";

/** The element of `t` at multi-index `idx` (which may have extra leading dims, and broadcasts). */
function at(t: Tensor, idx: number[]): number {
  const lead = idx.length - t.shape.length;
  let off = 0;
  t.shape.forEach((n, i) => {
    off += (n === 1 ? 0 : idx[lead + i]) * t.strides[i];
  });
  return t.data[off];
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < n; flat++) {
    const idx = new Array<number>(shape.length);
    let r = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}

const PAIRS: [number[], number[]][] = [
  [[2, 3, 4], [4]],
  [[2, 3, 4], [3, 1]],
  [[2, 1, 4], [1, 3, 1]],
  [[1, 1, 5], [2, 1, 1]],
  [[3, 1, 2, 1], [4, 1, 5]],
  [[2, 3], [2, 3]],
  [[6], [1]],
  [[1], [6]],
  [[2, 1, 3, 1, 2], [3, 2, 1]],
  [[], [2, 2]],
];

test("broadcast add / mul / where match the definition", () => {
  let seed = 1;
  for (const [sa, sb] of PAIRS) {
    const a = rand(sa, { seed: seed++, dtype: "float64" }), b = rand(sb, { seed: seed++, dtype: "float64" });
    const sum = a.add(b), prod = b.mul(a), w = a.where(a.sub(b), b);
    for (const idx of indices(sum.shape)) {
      const x = at(a, idx), y = at(b, idx);
      const k = sum.strides.reduce((o, s, i) => o + s * idx[i], 0);
      assert.is(sum.data[k], x + y, `add ${sa} ${sb} at ${idx}`);
      assert.is(prod.data[k], y * x, `mul ${sa} ${sb} at ${idx}`);
      assert.is(w.data[k], x - y !== 0 ? x : y, `where ${sa} ${sb} at ${idx}`);
    }
  }
});

test("reductions over every subset of dims match the definition", () => {
  for (const shape of [[2, 3, 4], [1, 3, 1, 2], [4, 1], [2, 2, 2, 2]]) {
    const x = rand(shape, { seed: shape.length, dtype: "float64" });
    const nd = shape.length;
    for (let mask = 1; mask < 1 << nd; mask++) {
      const dims = shape.map((_, i) => i).filter((i) => mask & (1 << i));
      const s = x.sum(dims, true), mx = x.max(dims, true);
      for (const idx of indices(s.shape)) {
        let ref = 0, refMax = -Infinity;
        for (const full of indices(shape)) {
          if (full.every((v, i) => dims.includes(i) || v === idx[i])) {
            ref += at(x, full);
            refMax = Math.max(refMax, at(x, full));
          }
        }
        const k = s.strides.reduce((o, st, i) => o + st * idx[i], 0);
        assert.ok(Math.abs(s.data[k] - ref) < 1e-12, `sum ${shape} dims ${dims} at ${idx}`);
        assert.is(mx.data[k], refMax, `max ${shape} dims ${dims} at ${idx}`);
      }
    }
  }
});

test("permute and expand match the definition", () => {
  const x = rand([2, 3, 1, 4], { seed: 3, dtype: "float64" });
  const perms = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];
  for (const p of perms) {
    const y = x.permute(p);
    for (const idx of indices(y.shape)) {
      const src = new Array<number>(4);
      p.forEach((d, i) => (src[d] = idx[i]));
      const k = y.strides.reduce((o, s, i) => o + s * idx[i], 0);
      assert.is(y.data[k], at(x, src), `permute ${p} at ${idx}`);
    }
  }
  const e = x.expand(5, 2, 3, 6, 4);
  for (const idx of indices(e.shape)) {
    const k = e.strides.reduce((o, s, i) => o + s * idx[i], 0);
    assert.is(e.data[k], at(x, idx), `expand at ${idx}`);
  }
});

test.run();
