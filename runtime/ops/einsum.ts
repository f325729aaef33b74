// einsum as a plain call: the plan the compiler lowers to (runtime/ops/einsum-plan.ts),
// run with the device-aware ops, so it works on the CPU and on WebGPU alike.

import { Tensor } from "../tensor.js";
import { describe } from "../shape.js";
import { deviceAware } from "../device.js";
import * as reduce from "./reduce.js";
import * as reshapeOps from "./reshape.js";
import { diagonal, movedim } from "./moves.js";
import { mul } from "./elementwise-api.gen.js";
import { checkEinsum, type EinsumStep, planEinsum } from "./einsum-plan.js";

const sum = deviceAware("sum", reduce.sum);
const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);

function step(x: Tensor, s: EinsumStep): Tensor {
  switch (s.k) {
    case "diagonal": return diagonal(x, 0, s.d1, s.d2);
    case "sum": return sum(x, s.dims, false);
    case "movedim": return movedim(x, s.src, s.dst);
    case "unsqueeze": return unsqueeze(x, s.dim);
  }
}

/**
 * torch.einsum: `einsum("ij,jk->ik", a, b)`, or with the operands in an array
 * (`einsum("ij,jk", [a, b])`). Repeated letters take diagonals, an implicit
 * output is the letters used once in alphabetical order, size-1 dims broadcast,
 * and an ellipsis stands for leading dims that broadcast (the output must keep it).
 */
export function einsum(subscripts: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof subscripts !== "string") throw new TypeError(`einsum: expected a string of subscripts first, got ${describe(subscripts)}`);
  const xs = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as unknown[];
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`einsum: expected a Tensor for operand ${i}, got ${describe(x)}`);
  });
  const ts = xs as Tensor[];
  const plan = planEinsum(subscripts, ts.length);
  checkEinsum(subscripts, ts.map((t) => t.shape), plan);
  const parts = ts.map((t, i) => plan.operands[i].reduce(step, t));
  return plan.after.reduce(step, parts.reduce((a, b) => mul(a, b)));
}

/** The compiled lowering's check (compiler/front/einsum.ts): operand 0 back unchanged once every operand's shape fits; `batched[i]`: operand i carries vmap's leading batch dim. */
export function adEinsumCheck(x: Tensor, ...rest: unknown[]): Tensor {
  if (x === undefined) return undefined as never; // a structural zero (forward over reverse): nothing to check
  // (the operands, then the subscripts and, under vmap, the batched flags)
  const k = rest.findIndex((a) => typeof a === "string");
  const subscripts = rest[k] as string;
  const batched = rest[k + 1] as boolean[] | undefined;
  const shapes = [x, ...(rest.slice(0, k) as Tensor[])].map((t, i) => (batched?.[i] ? t.shape.slice(1) : t.shape));
  checkEinsum(subscripts, shapes);
  return x;
}
