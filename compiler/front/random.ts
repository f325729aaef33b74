// Random ops in differentiated functions (SPEC §2, `randomness`): which calls
// draw random numbers, and the one check every marker makes. A random op is a
// compile-time error under randomness "error" (the default, and the only value
// of every marker but jacfwd and vmap). Under "different" / "same" only
// `Math.random()` is supported: it is lowered to the IR's `random` primitive,
// which vmap draws per row or shares across rows. jacc's random factories, and
// a random op inside a Tensor factory's arguments (a constant read as written),
// would be re-drawn wherever the generated code re-reads a constant (the
// reverse sweep does), so they stay a diagnostic.
import ts from "typescript";
import type { Stmt } from "../ir/ir.js";
import { fail } from "./diagnostics.js";

/** The random factories of jacc's runtime (runtime/factories.ts): each call draws anew. */
export const RANDOM_FACTORIES: ReadonlySet<string> = new Set(["rand", "randn", "randLike", "randnLike", "dropout"]);

/** How to do without the draw, per op (the default: draw it outside and pass it in). */
const WITHOUT: Readonly<Record<string, string>> = {
  dropout: "give `training` the literal false (evaluation: the input itself), or draw the mask outside (`rand(x.shape).ge(p)`) and pass it in",
};

export interface RandomOp {
  node: ts.CallExpression;
  /** what the op is, for messages: "Math.random", "rand" */
  name: string;
  /** true: lowered to the `random` primitive; false: a draw jacc cannot follow */
  lowered: boolean;
}

/** Random ops met while lowering, per IR function. */
export class RandomOps {
  private own = new Map<string, RandomOp[]>();

  add(fnName: string, op: RandomOp): void {
    this.own.set(fnName, [...(this.own.get(fnName) ?? []), op]);
  }

  /** The random ops of `fnName` and of every function it calls, in order. */
  reachable(fns: ReadonlyMap<string, { body: Stmt[] }>, fnName: string, seen = new Set<string>()): RandomOp[] {
    if (seen.has(fnName)) return [];
    seen.add(fnName);
    const out = [...(this.own.get(fnName) ?? [])];
    const visit = (list: Stmt[]) => {
      for (const s of list) {
        if (s.k === "call") out.push(...this.reachable(fns, s.fn, seen));
        if (s.k === "if") (visit(s.then), visit(s.else));
        if (s.k === "loop") (visit(s.pre), visit(s.body));
        if (s.k === "for") visit(s.body);
      }
    };
    const fn = fns.get(fnName);
    if (fn) visit(fn.body);
    return out;
  }

  /**
   * The marker's check: `randomness` is its literal value ("runtime" when it is
   * computed). Throws the diagnostic of the first random op that is not allowed.
   */
  check(fns: ReadonlyMap<string, { body: Stmt[] }>, fnName: string, randomness: unknown): void {
    const ops = this.reachable(fns, fnName);
    if (randomness === "error" && ops.length) {
      // (the message does not name the marker: a function under several markers gets one diagnostic)
      const op = ops[0];
      const fix = op.lowered ? `give jacfwd or vmap { randomness: "different" } or "same" (the other markers take no randomness), or draw it outside and pass it in` : WITHOUT[op.name] ?? "draw it outside and pass it in";
      fail(op.node, "random", `a random op (\`${op.node.getText()}\`) under randomness "error" (the default): ${fix}`);
    }
    const opaque = ops.find((op) => !op.lowered);
    if (opaque) {
      const what = RANDOM_FACTORIES.has(opaque.name) ? `\`${opaque.name}(…)\` (a random Tensor)` : `\`${opaque.name}()\` in a Tensor factory's arguments`;
      fail(opaque.node, "unsupported-construct", `${what} is not supported in a differentiated function, whatever its randomness: ${WITHOUT[opaque.name] ?? "draw it outside and pass it in"}`);
    }
  }
}
