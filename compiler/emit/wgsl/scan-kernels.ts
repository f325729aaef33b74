// WGSL kernels of the scans (cumsum, cumprod and cumprod's derivatives) and
// of argmax / argmin. A slice along the dim is (outer, inner) with elements
// base + k * inner, base = (s / inner) * size * inner + s % inner; params
// carry [count, size, inner, flags…] as the layouts below say.
import { WgslBuilder } from "./builder.js";
import { ENTRY_1D, FLAT_ID, header } from "./kernels.js";

const BASE = "let base = (i / inner) * size * inner + i % inner;";

/** cumsum / cumprod, one thread per slice. params: [slices, size, inner, product, reverse]. */
export function scanKernel(): string {
  const b = new WgslBuilder();
  header(b, "cumsum / cumprod along one dim, one thread per slice (forward or from the end)", []);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let size = params[1];", "let inner = params[2];", BASE);
    b.line("let product = params[3] == 1u;", "var acc = select(0.0, 1.0, product);");
    b.block("for (var j = 0u; j < size; j = j + 1u)", () => {
      b.line("let k = select(j, size - 1u - j, params[4] == 1u);", "let at = base + k * inner;");
      b.line("acc = select(acc + x[at], acc * x[at], product);", "out[at] = acc;");
    });
  });
  return b.toString();
}

/**
 * cumprod's tangent as a dual-number scan, one thread per slice; with `second`, the mixed part of a
 * hyper-dual scan (x moving along ex). params: [slices, size, inner, second].
 */
export function cumprodJvpKernel(): string {
  const b = new WgslBuilder();
  header(b, "cumprod's tangent (dual numbers along each slice, exact at zeros)", []);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> dx: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read> ex: array<f32>;");
  b.line("@group(0) @binding(4) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let size = params[1];", "let inner = params[2];", BASE);
    b.line("let second = params[3] == 1u;", "var p = 1.0;", "var d1 = 0.0;", "var d2 = 0.0;", "var d12 = 0.0;");
    b.block("for (var k = 0u; k < size; k = k + 1u)", () => {
      b.line("let at = base + k * inner;", "let a = x[at];", "let da = dx[at];", "var ea = 0.0;", "if (second) { ea = ex[at]; }");
      b.line("d12 = d12 * a + d1 * ea + d2 * da;", "d1 = d1 * a + p * da;", "d2 = d2 * a + p * ea;", "p = p * a;");
      b.line("out[at] = select(d1, d12, second);");
    });
  });
  return b.toString();
}

/**
 * cumprod's backward x̄_i = Σ_{k>=i} ct_k Π_{j<=k, j≠i} x_j, one thread per element; with `tangent`,
 * its tangent as x moves along dx. params: [n, size, inner, tangent].
 */
export function cumprodBackKernel(): string {
  const b = new WgslBuilder();
  header(b, "cumprod's backward (products without x_i along the slice, exact at zeros)", []);
  b.line("@group(0) @binding(1) var<storage, read> ct: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read> dx: array<f32>;");
  b.line("@group(0) @binding(4) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let size = params[1];", "let inner = params[2];", "let tangent = params[3] == 1u;");
    b.line("let me = (i / inner) % size;", "let base = (i / (inner * size)) * size * inner + i % inner;");
    b.line("var p = 1.0;", "var d = 0.0;", "var acc = 0.0;");
    b.block("for (var k = 0u; k < size; k = k + 1u)", () => {
      b.line("let at = base + k * inner;");
      b.block("if (k != me)", () => b.line("if (tangent) { d = d * x[at] + p * dx[at]; }", "p = p * x[at];"));
      b.line("if (k >= me) { acc = acc + ct[at] * select(p, d, tangent); }");
    });
    b.line("out[i] = acc;");
  });
  return b.toString();
}

/** argmax / argmin: the first index of the extremum, a NaN winning. params: [slices, size, inner, min]. */
export function argExtremumKernel(): string {
  const b = new WgslBuilder();
  header(b, "argmax / argmin along one dim (first on ties, NaN wins), one thread per slice", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let size = params[1];", "let inner = params[2];", BASE);
    b.line("let is_min = params[3] == 1u;", "var best = 0u;", "var v = x[base];");
    b.block("for (var k = 1u; k < size; k = k + 1u)", () => {
      b.line("if (is_nan(v)) { break; }", "let u = x[base + k * inner];");
      b.line("if (is_nan(u) || select(u > v, u < v, is_min)) { best = k; v = u; }");
    });
    b.line("out[i] = f32(best);");
  });
  return b.toString();
}
