// torch.linalg.norm's vector norms and the Frobenius norm, as torch.norm
// computes them (runtime/ops/stats.ts), with torch.linalg.norm's reading of
// ord and dim: no ord is the 2-norm of the flattened input (or of `dim`); an
// ord with no dim needs a 1-D input (a vector norm) or, for "fro", a 2-D one.
// The matrix norms of ord 1, 2 and Infinity (column sums, singular values,
// row sums) are not supported: a RangeError says so.

import { Tensor } from "../tensor.js";
import { describe, dimMask, fmt } from "../shape.js";
import * as stats from "./stats.js";
import type { Dims } from "./reduce.js";

const ORDERS = "1, 2, Infinity or \"fro\" (or none)";

/** torch.linalg.norm(x, ord?, dim?, keepdim?) for vector norms and "fro". */
export function linalgNorm(x: Tensor, ord?: number | "fro" | null, dim?: Dims, keepdim = false): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`linalg.norm: expected a Tensor for input, got ${describe(x)}`);
  if (ord !== undefined && ord !== null && ord !== 1 && ord !== 2 && ord !== Infinity && ord !== "fro") throw new RangeError(`linalg.norm: ord must be ${ORDERS}, got ${describe(ord)} (input ${fmt(x.shape)})`);
  const dims = dim === undefined || dim === null ? undefined : typeof dim === "number" ? [dim] : [...dim];
  if (dims) dimMask("linalg.norm", dims, x.shape);
  const matrix = dims ? dims.length === 2 : x.shape.length === 2;
  if (ord === undefined || ord === null) return stats.norm(x, 2, dim ?? undefined, keepdim);
  if (ord === "fro") {
    if (!matrix) throw new RangeError(`linalg.norm: "fro" is a matrix norm: it needs a 2-D input or 2 dims, got input ${fmt(x.shape)}${dims ? ` and dim ${fmt(dims)}` : ""}`);
    return stats.norm(x, 2, dim ?? undefined, keepdim);
  }
  if (matrix) throw new RangeError(`linalg.norm: the matrix norm of ord ${ord} is not supported (input ${fmt(x.shape)}${dims ? `, dim ${fmt(dims)}` : ""}); give one dim for a vector norm`);
  if (!dims && x.shape.length !== 1) throw new RangeError(`linalg.norm: with ord ${ord} and no dim the input must be 1-D or 2-D, got ${fmt(x.shape)}`);
  return stats.norm(x, ord, dim ?? undefined, keepdim);
}
