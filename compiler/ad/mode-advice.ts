// What `jacc explain` says about the sweeps of a number program's Jacobian or
// Hessian (issue 19): the Hessian's path (coloured or dense, pattern cached or
// not, colours per sweep), and for jacrev / jacfwd / jacobian the cost of this
// mode and of the other one for the function's shape, so a user sees when the
// other marker fits better. Forward mode costs one sweep per TANGENT_LANES
// input columns, reverse mode one sweep per output row (several rows share one
// where the output is a literal vector of at most 8 numbers).
import type { Fn } from "../ir/ir.js";
import { TANGENT_LANES } from "./lanes.js";

/** The numbers a function returns, where the compiler knows how many (numbers, literal vectors). */
function outputCount(f: Fn): number | undefined {
  if (f.results.some((t) => t.k !== "num" && t.k !== "vec")) return undefined;
  let n = 0;
  for (const [i, t] of f.results.entries()) {
    if (t.k === "num") n += 1;
    else {
      // a vector output: its length is known only when every return builds it as a literal
      let len: number | undefined;
      let ok = true;
      const visit = (list: Fn["body"]) => {
        for (const s of list) {
          if (s.k === "if") (visit(s.then), visit(s.else));
          else if (s.k === "loop") (visit(s.pre), visit(s.body));
          else if (s.k === "for") visit(s.body);
          else if (s.k === "return") {
            const a = s.values[i];
            const def = a?.k === "var" ? lastLiteral(f.body, a.name) : undefined;
            if (def === undefined || (len !== undefined && len !== def)) ok = false;
            else len = def;
          }
        }
      };
      visit(f.body);
      if (!ok || len === undefined) return undefined;
      n += len;
    }
  }
  return n;
}

/** The length of the literal vector `x` is built as, when it is built once as one (`[a, b]`). */
function lastLiteral(body: Fn["body"], x: string): number | undefined {
  let len: number | undefined;
  let defs = 0;
  const visit = (list: Fn["body"]) => {
    for (const s of list) {
      if (s.k === "let" && s.dst === x) {
        defs++;
        // `out = arr` (a copy of the name): arr's length
        len = s.e.k === "veclit" ? s.e.items.length : s.e.k === "atom" && s.e.a.k === "var" && s.e.a.name !== x ? lastLiteral(body, s.e.a.name) : undefined;
      } else if (s.k === "if") (visit(s.then), visit(s.else));
      else if (s.k === "loop") (visit(s.pre), visit(s.body));
      else if (s.k === "for") visit(s.body);
    }
  };
  visit(body);
  return defs === 1 ? len : undefined;
}

const sweeps = (n: number, per: number) => Math.ceil(n / per);

/** Lines for `jacc explain`: the sweeps this marker runs, and the other mode's where it fits the shape better. */
export function modeAdvice(marker: string, f: Fn, hessian?: { sparse?: { cacheable: boolean; lanes?: { L: number } }; dense?: string }): string[] {
  if (f.params.some((p) => p.type.k === "tensor") || f.results.some((t) => t.k === "tensor")) return [];
  if (marker === "hessian") {
    if (hessian?.sparse) {
      const pattern = hessian.sparse.cacheable
        ? "computed once per argument lengths and cached (the path, loop bounds and indices read lengths and literals only)"
        : "computed at every call (the path or an index may depend on values: compiler/ad/shape-only.ts)";
      const L = hessian.sparse.lanes?.L ?? 1;
      return [
        `hessian path: column-coloured: the sparsity pattern (a twin of ${f.source ?? f.name} that tracks which inputs interact) is ${pattern};`,
        `  columns sharing no row get one colour; ${L > 1 ? `${L} colours per forward-over-reverse sweep (lanes)` : "one forward-over-reverse sweep per colour"}, entries written into the dense result`,
      ];
    }
    return [`hessian path: dense, one forward-over-reverse sweep per input (${hessian?.dense ?? "not a coloured Hessian"})`];
  }
  if (marker !== "jacrev" && marker !== "jacfwd" && marker !== "jacobian") return [];
  const m = outputCount(f);
  const vecIn = f.params.filter((p) => p.type.k === "vec").length;
  const numIn = f.params.length - vecIn;
  const ins = vecIn ? `${numIn ? `${numIn} number${numIn > 1 ? "s" : ""} and ` : ""}${vecIn} vector${vecIn > 1 ? "s" : ""} of n numbers` : `${numIn} number${numIn > 1 ? "s" : ""}`;
  const outs = m === undefined ? "a vector of m numbers" : `${m} number${m > 1 ? "s" : ""}`;
  const fwd = vecIn ? `⌈n / ${TANGENT_LANES}⌉ forward sweeps per vector (${TANGENT_LANES} tangent columns each)` : `${numIn} forward sweep${numIn > 1 ? "s" : ""}`;
  const rev = m === undefined ? "one reverse sweep per output number" : m <= 8 ? `1 reverse sweep (${m} cotangent lane${m > 1 ? "s" : ""})` : `${m} reverse sweeps`;
  const lines = [`modes: inputs ${ins}, output ${outs}: forward mode makes ${fwd}, reverse mode ${rev}`];
  const mode = marker === "jacfwd" ? "fwd" : marker === "jacrev" ? "rev" : undefined;
  // the comparison, where the shape decides it at compile time
  const revSweeps = m === undefined ? undefined : m <= 8 ? 1 : m;
  const fwdBetter = vecIn === 0 && revSweeps !== undefined ? sweeps(numIn, 1) < revSweeps : false;
  const revBetter = revSweeps === 1 && (vecIn > 0 || numIn > 1);
  if (mode === "fwd" && revBetter) lines.push(`  reverse mode fits this shape better: jacrev makes 1 sweep where jacfwd makes one per ${TANGENT_LANES} inputs (same values up to rounding)`);
  if (mode === "fwd" && vecIn && m === undefined) lines.push(`  reverse mode fits better when m < n / ${TANGENT_LANES}: jacrev makes m sweeps, jacfwd ⌈n / ${TANGENT_LANES}⌉`);
  if (mode === "rev" && fwdBetter) lines.push(`  forward mode fits this shape better: jacfwd makes ${numIn} sweep${numIn > 1 ? "s" : ""} where jacrev makes ${revSweeps}`);
  if (mode === "rev" && vecIn && m !== undefined && m > 8) lines.push(`  forward mode fits better when n < ${m * TANGENT_LANES}: jacfwd makes ⌈n / ${TANGENT_LANES}⌉ sweeps, jacrev ${m}`);
  return lines;
}
