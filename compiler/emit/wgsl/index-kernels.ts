// WGSL kernels of gather and scatterAdd along a dim with the index on the
// device (float32 values, read by the kernel): each thread decomposes its flat
// position over the index's shape. An index value that is not an integer in
// [0, size) cannot be reported from the device, so it gives NaN (gather: that
// entry; scatterAdd: every entry, as crossEntropy's bad class does).
// params: [n, m, rank, dim, size, idxShape…, xStrides…, srcStrides…].
import { WgslBuilder } from "./builder.js";
import { ENTRY_1D, FLAT_ID, header } from "./kernels.js";

/** `off` (x's offset) and `soff` (src's) of index element r, and whether its value is valid. */
function locate(b: WgslBuilder, r: string): void {
  b.line(`var rest = ${r};`, "var off = 0u;", "var soff = 0u;", "let v = index[" + r + "];", "let ok = v >= 0.0 && v < f32(params[4]) && floor(v) == v;");
  b.block("for (var k = 0u; k < rank; k = k + 1u)", () => {
    b.line("let d = rank - 1u - k;", "let n = params[5u + d];", "let c = rest % n;", "rest = rest / n;");
    b.line("off = off + select(c, u32(max(v, 0.0)), d == params[3]) * params[5u + rank + d];", "soff = soff + c * params[5u + 2u * rank + d];");
  });
}

/** out[i] = x at index element i's coordinates with the dim's replaced by its value (out has the index's shape). */
export function gatherDimKernel(): string {
  const b = new WgslBuilder();
  header(b, "gather along a dim, the index on the device", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> x: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> index: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let rank = params[2];");
    locate(b, "i");
    b.line("out[i] = select(f32_of(0x7fc00000u), x[off], ok);");
  });
  return b.toString();
}

/** out[o] = Σ src[soff(r)] over the index elements r aimed at x's element o (a gather over the index: no atomics). */
export function scatterAddDimKernel(): string {
  const b = new WgslBuilder();
  header(b, "scatterAdd along a dim (src summed into zeros), the index on the device", ["bits"]);
  b.line("@group(0) @binding(1) var<storage, read> src: array<f32>;");
  b.line("@group(0) @binding(2) var<storage, read> index: array<f32>;");
  b.line("@group(0) @binding(3) var<storage, read_write> out: array<f32>;");
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }", "let rank = params[2];", "var acc = 0.0;");
    b.block("for (var r = 0u; r < params[1]; r = r + 1u)", () => {
      locate(b, "r");
      b.line("if (!ok) { acc = f32_of(0x7fc00000u); }", "if (ok && off == i) { acc = acc + src[soff]; }");
    });
    b.line("out[i] = acc;");
  });
  return b.toString();
}
