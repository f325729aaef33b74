// vmap's run-time part: maps a compiled function over a batch dimension, one
// call per row, and stacks the results at outDims (torch.func.vmap semantics).
// The compiler passes the generated function; nothing here is evaluated from text.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";

type Dim = number | null;

function batchSize(x: unknown, d: number, i: number): number {
  if (x instanceof Tensor) {
    const nd = x.shape.length;
    if (d < -nd || d >= nd) throw new RangeError(`vmap: inDims[${i}] = ${d} is out of range for an argument of shape [${x.shape.join(",")}]`);
    return x.shape[d < 0 ? d + nd : d];
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    if (d !== 0 && d !== -1) throw new RangeError(`vmap: inDims[${i}] = ${d} is out of range for a 1-D batch of numbers`);
    return (x as ArrayLike<number>).length;
  }
  throw new TypeError(`vmap: argument ${i} is batched (inDims ${d}) but is not a Tensor or an array of numbers`);
}

function row(x: unknown, d: number, b: number): unknown {
  if (x instanceof Tensor) return ops.select(x, d, b);
  return (x as ArrayLike<number>)[b];
}

function stackRows(rows: unknown[], outDim: Dim, i: string): unknown {
  const first = rows[0];
  if (outDim === null) return first;
  if (typeof first === "number") {
    if (outDim !== 0 && outDim !== -1) throw new RangeError(`vmap: outDims${i} = ${outDim} is out of range for a number output`);
    return new Tensor(Float64Array.from(rows as number[]), [rows.length]);
  }
  if (first instanceof Tensor) return ops.stack(rows as Tensor[], outDim);
  throw new TypeError(`vmap: output${i} must be a number or a Tensor`);
}

export function adVmap(fn: (...a: unknown[]) => unknown, args: unknown[], inDims: Dim | readonly Dim[], outDims: Dim | readonly Dim[]): unknown {
  const dims = Array.isArray(inDims) ? inDims : args.map(() => inDims as Dim);
  if (dims.length !== args.length) throw new RangeError(`vmap: inDims has ${dims.length} entries but the function got ${args.length} arguments`);
  let B = -1;
  dims.forEach((d, i) => {
    if (d === null) return;
    const n = batchSize(args[i], d, i);
    if (B >= 0 && n !== B) throw new RangeError(`vmap: mismatched batch sizes: argument ${i} has ${n} along dim ${d}, expected ${B}`);
    B = n;
  });
  if (B < 0) throw new RangeError("vmap: at least one argument must be batched (inDims all null)");
  const results: unknown[] = [];
  for (let b = 0; b < B; b++) results.push(fn(...args.map((x, i) => (dims[i] === null ? x : row(x, dims[i] as number, b)))));
  if (Array.isArray(results[0])) {
    const k = (results[0] as unknown[]).length;
    const od = Array.isArray(outDims) ? outDims : new Array(k).fill(outDims);
    return Array.from({ length: k }, (_, j) => stackRows(results.map((r) => (r as unknown[])[j]), od[j], `[${j}]`));
  }
  return stackRows(results, Array.isArray(outDims) ? outDims[0] : (outDims as Dim), "");
}
