// WGSL generators, one per kernel kind. Every shader is shape-independent:
// sizes, strides, offsets and scalar operands arrive at run time in `params`, a
// read-only storage buffer of u32 (floats as their bits), so one shader text
// serves every shape of its kind and the runtime's pipeline cache (keyed by the
// text) compiles each kind once. (A uniform array<vec4<u32>, 64> was tried: on
// SwiftShader the kernels ran 10–50% slower, and it caps the parameters at 256.) Binding 0 is always `params`; then the inputs;
// the output is last. Layouts of `meta` are documented per generator and
// mirrored by runtime/webgpu/ops.ts.
//
// float32 only (WGSL has no f64). NaN and infinities are handled through their
// bit patterns, since WGSL lets a compiler assume that comparisons never see
// NaN; sin and cos use a Cody–Waite reduction and the Cephes polynomials, as
// SwiftShader's builtins are off by up to 2e-4.

import { WgslBuilder } from "./builder.js";
import { mathText } from "./math.js";
import { BINARY_NAMES, ELEMENTWISE_OPS, UNARY_NAMES, type ElementwiseName } from "../../ops/elementwise.js";

/** Threads per workgroup of the 1-D kernels; the runtime dispatches ceil(n / WG) groups (2-D past 65535). */
export const WG = 64;
/** Tile edge of the matmul kernel (workgroup memory holds two TILE×TILE tiles). */
export const TILE = 16;

/** The registry's elementwise ops (compiler/ops/elementwise.ts) and the AD helpers' own kernels. */
export type UnaryKind = ElementwiseName | "step" | "sgn";
export type BinaryKind = ElementwiseName | "pick_max" | "pick_min";
export type FoldKind = "sum" | "prod" | "max" | "min";

export const HELPERS = {
  bits: `fn f32_of(b: u32) -> f32 {
  // a function call, not a constant expression: NaN and inf bit patterns are allowed here
  var v = b;
  return bitcast<f32>(v);
}
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}`,
  sincos: `// Cephes sinf / cosf: x reduced by multiples of pi/4 (three-part pi/4), then a
// minimax polynomial on [-pi/4, pi/4]; about 1e-7 relative on |x| < 8192.
fn sin_cos_poly(x: f32, want_cos: bool) -> f32 {
  if (!(abs(x) < 8192.0)) {
    return select(sin(x), cos(x), want_cos);
  }
  var sign = 1.0;
  var ax = x;
  if (ax < 0.0) {
    ax = -ax;
    if (!want_cos) { sign = -1.0; }
  }
  var j = u32(ax * 1.27323954473516);
  var y = f32(j);
  if ((j & 1u) == 1u) {
    j = j + 1u;
    y = y + 1.0;
  }
  j = j & 7u;
  if (j > 3u) {
    j = j - 4u;
    sign = -sign;
  }
  if (want_cos && j > 1u) { sign = -sign; }
  let z = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let zz = z * z;
  let cos_poly = select(j == 1u || j == 2u, j == 0u || j == 3u, want_cos);
  var r: f32;
  if (cos_poly) {
    r = ((2.443315711809948e-5 * zz - 1.388731625493765e-3) * zz + 4.166664568298827e-2) * zz * zz - 0.5 * zz + 1.0;
  } else {
    r = ((-1.9515295891e-4 * zz + 8.3321608736e-3) * zz - 1.6666654611e-1) * zz * z + z;
  }
  return sign * r;
}`,
  log1p: `// log(1 + x) without the cancellation of 1 + x for small x (Goldberg's trick)
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return u; }
  return log(u) * (x / (u - 1.0));
}`,
  pow: `// C's pow, what PyTorch computes: pow(1, y) = pow(x, 0) = 1, a negative base
// takes integer exponents only, small integer exponents multiply exactly.
fn pow_c(x: f32, y: f32) -> f32 {
  if (x == 1.0 || y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return f32_of(0x7fc00000u); }
  let ax = abs(x);
  if (is_inf(y)) {
    if (ax == 1.0) { return 1.0; }
    return select(0.0, f32_of(0x7f800000u), (ax > 1.0) == (y > 0.0));
  }
  let integral = floor(y) == y;
  let odd = integral && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  if (x < 0.0 && !integral) { return f32_of(0x7fc00000u); }
  var r: f32;
  if (ax == 0.0) {
    r = select(f32_of(0x7f800000u), 0.0, y > 0.0);
  } else if (is_inf(ax)) {
    r = select(0.0, f32_of(0x7f800000u), y > 0.0);
  } else if (integral && abs(y) <= 64.0) {
    var e = u32(abs(y));
    var b = ax;
    r = 1.0;
    while (e > 0u) {
      if ((e & 1u) == 1u) { r = r * b; }
      b = b * b;
      e = e >> 1u;
    }
    if (y < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(y * log2(ax));
  }
  if (x < 0.0 && odd) { r = -r; }
  if (x == 0.0 && odd && (bitcast<u32>(x) & 0x80000000u) != 0u) { r = -r; }
  return r;
}`,
};

export function header(b: WgslBuilder, title: string, helpers: string[]): void {
  b.comment(`jacc: ${title}`);
  b.line("@group(0) @binding(0) var<storage, read> params: array<u32>;");
  for (const text of helperTexts(helpers)) b.blank().line(text);
}

/** The texts of the helpers a kernel's formulas call: the kernels' own, then the math library's (with what they call). */
export function helperTexts(helpers: Iterable<string>): string[] {
  const all = [...new Set(helpers)];
  const own = all.filter((h): h is keyof typeof HELPERS => h in HELPERS).map((h) => HELPERS[h]);
  const math = all.filter((h) => !(h in HELPERS));
  return math.length ? [...own, mathText(math)] : own;
}

/** The flat thread index of a 1-D kernel dispatched as a (x, y) grid of WG-wide groups. */
export const ENTRY_1D = `@compute @workgroup_size(${WG})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;
export const FLAT_ID = `let i = gid.x + gid.y * nwg.x * ${WG}u;`;

/** Each unary kernel's value of `x` (the registry's WGSL formula; its parameters are read from params[1..]). */
export const UNARY_EXPR: Record<UnaryKind, string> = {
  ...(Object.fromEntries(UNARY_NAMES.map((n) => [n, ELEMENTWISE_OPS[n].wgsl])) as Record<ElementwiseName, string>),
  step: "select(0.0, 1.0, x > 0.0)",
  // (abs's derivative: NaN passes through, unlike the registry's sign)
  sgn: "select(sign(x), x, is_nan(x))",
};

/** The helpers (beyond `bits`) an elementwise op's formula calls: the kernels' own it names, and the math library's in its text. */
export function opHelpers(op: string): string[] {
  const entry = ELEMENTWISE_OPS[op as ElementwiseName];
  if (!entry) return [];
  return [...(entry.wgslHelpers ?? []), ...(entry.wgsl.match(/\bjacc_\w+(?=\()/g) ?? [])];
}

/** The `let` lines that read an op's parameters from params[first..] (softplus's beta, threshold). */
function paramLets(op: string, first: number): string[] {
  return (ELEMENTWISE_OPS[op as ElementwiseName]?.params ?? []).map(([name], k) => `let ${name} = f32_of(params[${first + k}u]);`);
}

/**
 * out[i] = f(x[i]) over contiguous storage.
 * params: [n, the bits of each parameter of the op].
 */
export function unaryKernel(op: UnaryKind): string {
  const b = new WgslBuilder();
  header(b, `elementwise ${op}: out[i] = ${UNARY_EXPR[op]} where x = input[i]`, ["bits", ...opHelpers(op)]);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", ...paramLets(op, 1), "let x = input[i];", `out[i] = ${UNARY_EXPR[op]};`);
  });
  return b.toString();
}

/** Each binary kernel's value of `x` (op) `y`: the registry's WGSL formula, and the AD helpers'. */
export const BINARY_EXPR: Record<BinaryKind, string> = {
  ...(Object.fromEntries(BINARY_NAMES.map((n) => [n, ELEMENTWISE_OPS[n].wgsl])) as Record<ElementwiseName, string>),
  // weights of the first operand of maximum / minimum: 1, one half on ties, 0
  pick_max: "select(select(0.0, 1.0, x > y), 0.5, x == y)",
  pick_min: "select(select(0.0, 1.0, x < y), 0.5, x == y)",
};

/**
 * Operand offsets of output element i through broadcast strides: the loop
 * every strided kernel shares. meta from `base`: shape[rank], then `k`
 * stride arrays of length rank.
 */
function stridedOffsets(b: WgslBuilder, names: string[], base: string): void {
  b.line("let rank = params[1];");
  b.line("var rem = i;");
  for (const n of names) b.line(`var ${n} = 0u;`);
  b.block("for (var d = rank; d > 0u; d = d - 1u)", () => {
    b.line("let k = d - 1u;", `let size = params[${base} + k];`, "let idx = rem % size;", "rem = rem / size;");
    names.forEach((n, j) => b.line(`${n} = ${n} + idx * params[${base} + ${j + 1}u * rank + k];`));
  });
}

/**
 * out[i] = a[ia] (op) b[ib] with PyTorch broadcasting; either operand may be
 * a scalar carried in meta.
 * params: [n, rank, scalarFlags (bit 0: a, bit 1: b), aBits, bBits, shape[rank], aStrides[rank], bStrides[rank]].
 */
export function binaryKernel(op: BinaryKind): string {
  const b = new WgslBuilder();
  header(b, `elementwise ${op} with broadcasting: out = ${BINARY_EXPR[op]}`, ["bits", ...opHelpers(op)]);
  b.line("@group(0) @binding(1) var<storage, read> lhs: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> rhs: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    stridedOffsets(b, ["ia", "ib"], "5u");
    b.line("let flags = params[2];");
    b.line("let x = select(lhs[ia], f32_of(params[3]), (flags & 1u) != 0u);");
    b.line("let y = select(rhs[ib], f32_of(params[4]), (flags & 2u) != 0u);");
    b.line(`out[i] = ${BINARY_EXPR[op]};`);
  });
  return b.toString();
}

/**
 * where(cond, a, b) with broadcasting (cond holds where nonzero, NaN counts
 * as true); a and b may be scalars carried in meta.
 * params: [n, rank, scalarFlags (bit 0: a, bit 1: b), aBits, bBits, shape[rank], condStrides, aStrides, bStrides].
 */
export function whereKernel(): string {
  const b = new WgslBuilder();
  header(b, "where(cond, a, b) with broadcasting", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> cond: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> lhs: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read> rhs: array<f32>;");
  b.line("@group(0) @binding(4) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    stridedOffsets(b, ["ic", "ia", "ib"], "5u");
    b.line("let flags = params[2];");
    b.line("let c = cond[ic];");
    b.line("let x = select(lhs[ia], f32_of(params[3]), (flags & 1u) != 0u);");
    b.line("let y = select(rhs[ib], f32_of(params[4]), (flags & 2u) != 0u);");
    b.line("out[i] = select(y, x, c != 0.0 || is_nan(c));");
  });
  return b.toString();
}

/**
 * clamp's derivative mask: 1 where lo <= x <= hi, else 0, with lo and hi
 * broadcast to x's shape (scalars, ∓inf when absent, carried in meta).
 * params: [n, rank, scalarFlags (bit 0: lo, bit 1: hi), loBits, hiBits, shape[rank], loStrides, hiStrides].
 */
export function clampMaskKernel(): string {
  const b = new WgslBuilder();
  header(b, "clamp's derivative mask: 1 where lo <= x <= hi", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> lo: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read> hi: array<f32>;");
  b.line("@group(0) @binding(4) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    stridedOffsets(b, ["il", "ih"], "5u");
    b.line("let flags = params[2];");
    b.line("let l = select(lo[il], f32_of(params[3]), (flags & 1u) != 0u);");
    b.line("let h = select(hi[ih], f32_of(params[4]), (flags & 2u) != 0u);");
    b.line("let v = x[i];");
    b.line("out[i] = select(0.0, 1.0, v - l >= 0.0 && h - v >= 0.0);");
  });
  return b.toString();
}

/**
 * clamp with number bounds: min(max(x, lo), hi), NaN kept, lo > hi gives hi.
 * params: [n, loBits, hiBits].
 */
export function clampScalarKernel(): string {
  const b = new WgslBuilder();
  header(b, "clamp(x, lo, hi) with number bounds", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    b.line("var v = input[i];", "let lo = f32_of(params[1]);", "let hi = f32_of(params[2]);");
    b.line("if (v < lo) { v = lo; }", "if (v > hi) { v = hi; }", "out[i] = v;");
  });
  return b.toString();
}

const FOLD: Record<FoldKind, { identity: string; combine: (a: string, v: string) => string }> = {
  sum: { identity: "0.0", combine: (a, v) => `${a} = ${a} + ${v};` },
  prod: { identity: "1.0", combine: (a, v) => `${a} = ${a} * ${v};` },
  // once NaN, it sticks (PyTorch)
  max: { identity: "f32_of(0xff800000u)", combine: (a, v) => `if (${v} > ${a} || is_nan(${v})) { ${a} = ${v}; }` },
  min: { identity: "f32_of(0x7f800000u)", combine: (a, v) => `if (${v} < ${a} || is_nan(${v})) { ${a} = ${v}; }` },
};

/**
 * A reduction over any set of dims: one workgroup per output element; its
 * threads stride over the reduced elements, then combine pairwise in
 * workgroup memory. The result is divided by `divisor` (mean; 1 otherwise).
 * params: [nOut, count, keptRank, redRank, divisorBits, keptShape, keptStrides, redShape, redStrides].
 */
export function reduceKernel(fold: FoldKind): string {
  const f = FOLD[fold];
  const b = new WgslBuilder();
  header(b, `reduction (${fold}) over dims, one workgroup per output element`, ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.line(`var<workgroup> part: array<f32, ${WG}>;`);
  b.blank();
  b.block(
    `@compute @workgroup_size(${WG})\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`,
    () => {
      b.line("let o = wid.x + wid.y * nwg.x;");
      b.line("if (o >= params[0]) { return; }");
      b.line("let count = params[1];", "let kr = params[2];", "let rr = params[3];");
      b.comment("the kept dims give the first input element of this output");
      b.line("var rem = o;", "var base = 0u;");
      b.block("for (var d = kr; d > 0u; d = d - 1u)", () => {
        b.line("let k = d - 1u;", "let size = params[5u + k];", "base = base + (rem % size) * params[5u + kr + k];", "rem = rem / size;");
      });
      b.line("let rs = 5u + 2u * kr;");
      b.line(`var acc = ${f.identity};`);
      b.block(`for (var r = lid.x; r < count; r = r + ${WG}u)`, () => {
        b.line("var rem2 = r;", "var off = base;");
        b.block("for (var d = rr; d > 0u; d = d - 1u)", () => {
          b.line("let k = d - 1u;", "let size = params[rs + k];", "off = off + (rem2 % size) * params[rs + rr + k];", "rem2 = rem2 / size;");
        });
        b.line("let v = input[off];", f.combine("acc", "v"));
      });
      b.line("part[lid.x] = acc;", "workgroupBarrier();");
      b.block(`for (var s = ${WG / 2}u; s > 0u; s = s >> 1u)`, () => {
        b.block("if (lid.x < s)", () => b.line("var a = part[lid.x];", "let v = part[lid.x + s];", f.combine("a", "v"), "part[lid.x] = a;"));
        b.line("workgroupBarrier();");
      });
      b.block("if (lid.x == 0u)", () => b.line("out[o] = part[0] / f32_of(params[4]);"));
    },
  );
  return b.toString();
}

/**
 * Batched matrix product, TILE×TILE tiles of A and B staged in workgroup
 * memory; workgroup (x, y, z) computes a tile of output matrix z.
 * params: [M, K, N, batchRank, flags, batchShape, aBatchStrides, bBatchStrides] (strides in elements).
 * flags bit 0: A is stored transposed (K×M), bit 1: B is (N×K), so Aᵀ @ C and
 * C @ Bᵀ read the stored matrix in place (the reverse sweeps of a matmul) instead
 * of copying it; a transposed operand's tile is loaded with lid.x along its
 * stored rows, so the loads stay coalesced.
 */
export function matmulKernel(): string {
  const b = new WgslBuilder();
  header(b, `batched matmul, ${TILE}x${TILE} tiles in workgroup memory`, []);
  b.line("@group(0) @binding(1) var<storage, read> A: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> B: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.line(`var<workgroup> tileA: array<f32, ${TILE * TILE}>;`, `var<workgroup> tileB: array<f32, ${TILE * TILE}>;`);
  b.blank();
  b.block(
    `@compute @workgroup_size(${TILE}, ${TILE})\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>)`,
    () => {
      b.line("let M = params[0];", "let K = params[1];", "let N = params[2];", "let br = params[3];", "let ta = (params[4] & 1u) != 0u;", "let tb = (params[4] & 2u) != 0u;");
      b.line(`let row0 = wid.y * ${TILE}u;`, `let col0 = wid.x * ${TILE}u;`, "let row = row0 + lid.y;", "let col = col0 + lid.x;", "let z = wid.z;");
      b.comment("batch offsets through the broadcast batch strides");
      b.line("var rem = z;", "var ao = 0u;", "var bo = 0u;");
      b.block("for (var d = br; d > 0u; d = d - 1u)", () => {
        b.line("let k = d - 1u;", "let size = params[5u + k];", "let idx = rem % size;", "rem = rem / size;");
        b.line("ao = ao + idx * params[5u + br + k];", "bo = bo + idx * params[5u + 2u * br + k];");
      });
      b.line("var acc = 0.0;");
      b.line(`let tiles = (K + ${TILE - 1}u) / ${TILE}u;`);
      b.block("for (var t = 0u; t < tiles; t = t + 1u)", () => {
        b.comment("tileA[r][k] = A(row0 + r, t·TILE + k), tileB[k][c] = B(t·TILE + k, col0 + c)");
        b.line("var va = 0.0;", "var vb = 0.0;");
        b.block("if (ta)", () => {
          b.line(`let r = row0 + lid.x;`, `let ak = t * ${TILE}u + lid.y;`);
          b.line("if (r < M && ak < K) { va = A[ao + ak * M + r]; }", `tileA[lid.x * ${TILE}u + lid.y] = va;`);
        });
        b.block("else", () => {
          b.line(`let ak = t * ${TILE}u + lid.x;`);
          b.line("if (row < M && ak < K) { va = A[ao + row * K + ak]; }", `tileA[lid.y * ${TILE}u + lid.x] = va;`);
        });
        b.block("if (tb)", () => {
          b.line(`let c = col0 + lid.y;`, `let bk = t * ${TILE}u + lid.x;`);
          b.line("if (bk < K && c < N) { vb = B[bo + c * K + bk]; }", `tileB[lid.x * ${TILE}u + lid.y] = vb;`);
        });
        b.block("else", () => {
          b.line(`let bk = t * ${TILE}u + lid.y;`);
          b.line("if (bk < K && col < N) { vb = B[bo + bk * N + col]; }", `tileB[lid.y * ${TILE}u + lid.x] = vb;`);
        });
        b.line("workgroupBarrier();");
        b.block(`for (var k = 0u; k < ${TILE}u; k = k + 1u)`, () => b.line(`acc = acc + tileA[lid.y * ${TILE}u + k] * tileB[k * ${TILE}u + lid.x];`));
        b.line("workgroupBarrier();");
      });
      b.block("if (row < M && col < N)", () => b.line("out[z * M * N + row * N + col] = acc;"));
    },
  );
  return b.toString();
}

/**
 * out[outOff + Σ idx·outStride] = in[inOff + Σ idx·inStride]: the index map
 * behind transpose, permute, expand, narrow, select, cat and stack pieces,
 * and writing a Jacobian column.
 * params: [n, rank, inOff, outOff, shape[rank], inStrides[rank], outStrides[rank]].
 */
export function copyStridedKernel(): string {
  const b = new WgslBuilder();
  header(b, "strided copy (index map)", []);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    stridedOffsets(b, ["si", "so"], "4u");
    b.line("out[params[3] + so] = input[params[2] + si];");
  });
  return b.toString();
}

/**
 * Rows of x along dim 0 picked by indices (x[idx]).
 * params: [n, inner]; rows: u32 indices (already wrapped to 0..size-1).
 */
export function gatherRowsKernel(): string {
  const b = new WgslBuilder();
  header(b, "gather rows along dim 0 (index)", []);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> rows: array<u32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let inner = params[1];", "out[i] = input[rows[i / inner] * inner + i % inner];");
  });
  return b.toString();
}

/**
 * The backward of index: each element of x's shape sums the cotangent rows
 * whose index points at its row (a gather, so no atomics are needed).
 * params: [n, inner, nRows]; rows: u32 indices.
 */
export function scatterRowsAddKernel(): string {
  const b = new WgslBuilder();
  header(b, "index backward: cotangent rows summed back at their indices", []);
  b.line("@group(0) @binding(1) var<storage, read> ct: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> rows: array<u32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let inner = params[1];", "let row = i / inner;", "let c = i % inner;", "var acc = 0.0;");
    b.block("for (var r = 0u; r < params[2]; r = r + 1u)", () => b.line("if (rows[r] == row) { acc = acc + ct[r * inner + c]; }"));
    b.line("out[i] = acc;");
  });
  return b.toString();
}

/**
 * softmax / logSoftmax along one dim: one thread per slice, max subtracted first.
 * params: [nSlices, size, inner].
 */
export function softmaxKernel(log: boolean): string {
  const b = new WgslBuilder();
  header(b, `${log ? "logSoftmax" : "softmax"} along one dim, one thread per slice`, ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> input: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let size = params[1];", "let inner = params[2];");
    b.line("let base = (i / inner) * size * inner + i % inner;");
    b.line("var m = f32_of(0xff800000u);");
    b.block("for (var k = 0u; k < size; k = k + 1u)", () => b.line("let v = input[base + k * inner];", "if (v > m || is_nan(v)) { m = v; }"));
    b.line("var s = 0.0;");
    b.block("for (var k = 0u; k < size; k = k + 1u)", () => b.line("s = s + exp(input[base + k * inner] - m);"));
    if (log) {
      b.line("let ls = log(s);");
      b.block("for (var k = 0u; k < size; k = k + 1u)", () => b.line("let j = base + k * inner;", "out[j] = input[j] - m - ls;"));
    } else {
      b.block("for (var k = 0u; k < size; k = k + 1u)", () => b.line("let j = base + k * inner;", "out[j] = exp(input[j] - m) / s;"));
    }
  });
  return b.toString();
}

/** out[i] = value. params: [n, valueBits]. */
export function fillKernel(): string {
  const b = new WgslBuilder();
  header(b, "fill", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => b.line(FLAT_ID, "if (i >= params[0]) { return; }", "out[i] = f32_of(params[1]);"));
  return b.toString();
}

/** out[i] = i == k ? 1 : 0 (a basis direction). params: [n, k]. */
export function oneHotKernel(): string {
  const b = new WgslBuilder();
  header(b, "one-hot basis direction", []);
  b.line("@group(0) @binding(1) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => b.line(FLAT_ID, "if (i >= params[0]) { return; }", "out[i] = select(0.0, 1.0, i == params[1]);"));
  return b.toString();
}

/**
 * ∂prod/∂x_i per row of L elements (the reduced dims moved last): prefix ×
 * suffix products, exact at zeros. One thread per row. params: [rows, L].
 */
export function prodGradKernel(): string {
  const b = new WgslBuilder();
  header(b, "prod's gradient: product of the other elements of each row", []);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let L = params[1];", "let base = i * L;", "var pre = 1.0;");
    b.block("for (var k = 0u; k < L; k = k + 1u)", () => b.line("out[base + k] = pre;", "pre = pre * x[base + k];"));
    b.line("var suf = 1.0;");
    b.block("for (var k = L; k > 0u; k = k - 1u)", () => b.line("out[base + k - 1u] = out[base + k - 1u] * suf;", "suf = suf * x[base + k - 1u];"));
  });
  return b.toString();
}

/**
 * The tangent of prod's gradient: d(Π_{k≠i} x_k) = Σ_{j≠i} dx_j Π_{k≠i,j} x_k,
 * one thread per element of rows of L. params: [n, L].
 */
export function prodGradJvpKernel(): string {
  const b = new WgslBuilder();
  header(b, "tangent of prod's gradient", []);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> dx: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let L = params[1];", "let base = (i / L) * L;", "let me = i % L;", "var acc = 0.0;");
    b.block("for (var j = 0u; j < L; j = j + 1u)", () => {
      b.line("if (j == me) { continue; }", "var p = dx[base + j];");
      b.block("for (var k = 0u; k < L; k = k + 1u)", () => b.line("if (k != me && k != j) { p = p * x[base + k]; }"));
      b.line("acc = acc + p;");
    });
    b.line("out[i] = acc;");
  });
  return b.toString();
}
