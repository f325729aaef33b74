// all / any: whether every (some) element over `dim` is nonzero (NaN counts as
// true), a bool tensor. Counted with the ops themselves (a mask, a sum, a
// comparison), so they run on the device of their argument.
import { Tensor } from "../tensor.js";
import { describe } from "../shape.js";
import { deviceAware } from "../device.js";
import * as reduce from "./reduce.js";
import { eq, gt, logicalNot, ne } from "./elementwise-api.gen.js";

const sum = deviceAware("sum", reduce.sum);

function input(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for input, got ${describe(x)}`);
  return x;
}

/** Whether every element over `dim` (all dims when omitted) is nonzero: a bool tensor. */
export function all(x: Tensor, dim?: reduce.Dims, keepdim = false): Tensor {
  return eq(sum(logicalNot(input("all", x)), dim, keepdim), 0);
}

/** Whether some element over `dim` (all dims when omitted) is nonzero: a bool tensor. */
export function any(x: Tensor, dim?: reduce.Dims, keepdim = false): Tensor {
  return gt(sum(ne(input("any", x), 0), dim, keepdim), 0);
}
