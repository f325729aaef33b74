// Tangent lanes (issue 19): a tangent function g(x…, dx) → [y…, dy…] made
// into g_L(x…, dx_0 … dx_{L−1}) → [y…, dy_0…, …, dy_{L−1}…], which runs the
// primal once and carries L tangent columns, so jacfwd of n inputs costs
// ⌈n / L⌉ sweeps instead of n. A statement that reads or defines a tangent
// (anything depending on dx, arrays a tangent is stored into included) is
// repeated per lane with its tangent variables renamed; everything else runs
// once. Each lane computes exactly what g computes for its seed, statement by
// statement, so the numbers are g's.
import { type Fn, type Stmt, exprReads, stmtReads, v, walk } from "../ir/ir.js";
import { renameStmts } from "../opt/simplify.js";
import type { Ctx } from "./jvp.js";

const memo = new WeakMap<Map<string, Fn>, Map<string, string | null>>();

/**
 * The L-lane version of the tangent function `gName` (one tangent parameter,
 * the last), or null where lanes do not apply: a tape (forward over reverse),
 * calls, runtime effects, Tensors, or control flow that reads a tangent.
 */
export function jvpLanes(ctx: Ctx, gName: string, L: number): string | null {
  let m = memo.get(ctx.fns);
  if (!m) memo.set(ctx.fns, (m = new Map()));
  const key = `${gName}|${L}`;
  if (m.has(key)) return m.get(key)!;
  const made = build(ctx, ctx.fns.get(gName)!, L);
  m.set(key, made);
  return made;
}

function build(ctx: Ctx, g: Fn, L: number): string | null {
  const seed = g.params[g.params.length - 1];
  if (!seed || seed.type.k !== "vec") return null;
  const nres = g.results.length / 2;
  let ok = true;
  walk(g.body, (s) => {
    if (s.k === "push" || s.k === "pushobj" || s.k === "settape" || s.k === "effect" || s.k === "call") ok = false;
    if (s.k === "let" && (s.e.k === "pop" || s.e.k === "popobj" || s.e.k === "tape")) ok = false;
  });
  if (!ok || [...g.vars.values()].some((t) => t.k === "tensor")) return null;

  // tangents: what depends on the seed, and the arrays tangents are stored into
  const tainted = new Set([seed.name]);
  const isT = (a: { k: string; name?: string }) => a.k === "var" && tainted.has(a.name!);
  for (let changed = true; changed; ) {
    changed = false;
    walk(g.body, (s) => {
      let dst: string | undefined;
      if (s.k === "let" && exprReads(s.e).some(isT)) dst = s.dst;
      if (s.k === "store" && s.arr.k === "var" && (isT(s.value) || isT(s.index))) dst = s.arr.name;
      if (dst && !tainted.has(dst)) {
        tainted.add(dst);
        changed = true;
      }
      // an array that aliases a tangent array (`b = a`, `c ? a : b`) is one too, and so is what it aliases
      if (s.k === "let" && tainted.has(s.dst) && g.vars.get(s.dst)?.k === "vec" && (s.e.k === "atom" || s.e.k === "prim")) {
        for (const a of exprReads(s.e)) {
          if (a.k === "var" && g.vars.get(a.name)?.k === "vec" && !tainted.has(a.name)) {
            tainted.add(a.name);
            changed = true;
          }
        }
      }
    });
  }
  if (g.params.some((p) => p !== seed && tainted.has(p.name))) return null;
  walk(g.body, (s) => {
    if ((s.k === "if" || s.k === "loop") && isT(s.cond)) ok = false;
    if (s.k === "for" && (isT(s.from) || isT(s.to))) ok = false;
  });
  if (!ok) return null;

  const name = ctx.fnNames.claim(`${g.name}_lanes`);
  const vars = new Map(g.vars);
  const taken = new Set(vars.keys());
  const laneName = new Map<string, string>();
  const ln = (l: number, x: string): string => {
    if (!tainted.has(x)) return x;
    const k = `${l}|${x}`;
    let n = laneName.get(k);
    if (!n) {
      let i = l;
      n = `${x}_${i}`;
      while (taken.has(n)) n = `${x}_${(i += L)}`;
      taken.add(n);
      vars.set(n, g.vars.get(x)!);
      laneName.set(k, n);
    }
    return n;
  };
  const each = (s: Stmt): Stmt[] => Array.from({ length: L }, (_, l) => renameStmts([s], (x) => ln(l, x))[0]);
  const touches = (s: Stmt) => stmtReads(s).some(isT) || (s.k === "let" && tainted.has(s.dst)) || (s.k === "store" && isT(s.arr));
  const laned = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (s.k === "if") return [{ ...s, then: laned(s.then), else: laned(s.else) }];
      if (s.k === "loop") return [{ ...s, pre: laned(s.pre), body: laned(s.body) }];
      if (s.k === "for") return [{ ...s, body: laned(s.body) }];
      if (s.k === "return") {
        const tans = s.values.slice(nres);
        return [{ ...s, values: [...s.values.slice(0, nres), ...Array.from({ length: L }, (_, l) => tans.map((a) => (a.k === "var" ? v(ln(l, a.name)) : a))).flat()] }];
      }
      return touches(s) ? each(s) : [s];
    });
  const body = laned(g.body);
  const fn: Fn = {
    ...g,
    name,
    params: [...g.params.slice(0, -1), ...Array.from({ length: L }, (_, l) => ({ ...seed, name: ln(l, seed.name) }))],
    results: [...g.results.slice(0, nres), ...Array.from({ length: L }, () => g.results.slice(nres)).flat()],
    tupleResult: true,
    body,
    vars,
  };
  ctx.fns.set(name, fn);
  return name;
}
