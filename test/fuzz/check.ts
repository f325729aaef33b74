// The properties the fuzzer checks on every generated program.
//
// A program is compiled once with every marker the properties need, imported,
// and checked at its two points:
//   "first":  jacobian (reverse), jacobian { strategy: "forward-mode" },
//             jacrev and jacfwd (argnums: all) agree with each other (tight,
//             1e-8 relative) and with central finite differences in float64;
//   "second": (number outputs) hessian, jacfwd(jacrev(f)) and
//             jacrev(jacrev(f)) agree with each other (tight) and with finite
//             differences of the reverse-mode gradient;
//   "vmap":   vmap(f) and vmap(jacrev(f)) on a batch of the points (and their
//             midpoint) equal f and jacrev(f) called row by row (tight), the
//             batched result's structure being SPEC §2's (batch dim first);
//   "types":  the emitted TypeScript (target "ts") type-checks under strict.
// Where a derivative differs from another mode's or from finite differences,
// the point is checked again with every tolerance widened by eps times the
// largest value the program computes (magnitude.ts: the rounding two modes
// may legitimately differ by); where a mode still differs from jacrev, jvp and
// vjp with scaled seeds measure each mode's own rounding noise at the point
// (seed-noise.ts), and only a difference within both is excused. A derivative
// non-finite in one mode only, or non-finite against finite differences, is
// excused only as overflow.ts says (IEEE 0 · ∞, as PyTorch gives it).
// plus the result structure of SPEC §3 (a number when both sides are numbers,
// else a float64 Tensor of shape out.shape ++ in.shape; arrays for tuples).
//
// Finite differences: the fourth-order stencil at two steps, h = 1e-4 and
// h = 1e-3 (times max(1, |x|)). Where the two disagree by more than
// 1e-3·(1 + |d|), or the one-sided differences from the left and the right
// (second order, step 1e-5) disagree by more than 1e-6·(1 + |d|), the point is
// next to a kink or a jump (a branch, floor, abs, min/max, a loop's exit) and
// finite differences say nothing there: the point is not compared with them
// (forward and reverse still are). Elsewhere the
// tolerance is |ad − fd| ≤ 1e-5·(1 + |fd|) + 10·|fd(h) − fd(10h)|, the second
// term being an estimate of the difference's own error. A derivative that
// disagrees there is still not a failure if it is itself ill-conditioned at the
// point (adJumps: it jumps under a relative 1e-9 to 1e-5 move, as a formula
// dividing rounding noise by rounding noise does); such points are counted. Points where f itself
// is not finite are skipped.
//
// A failure has a category (what failed, which marker, which reference) so that
// shrinking keeps looking for the same failure, and a `culprit`: "compiler"
// for wrong numbers, crashes, diagnostics on programs of the language and type
// errors in the emitted code, "generator" when the generated program itself
// misbehaves (f throws), which is a bug of this fuzzer.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { Tensor } from "jacc";
import { compileModule, formatDiagnostic } from "../../compiler/index.js";
import { repoRoot } from "../util/compile.js";
import { typeCheck, type TypeError } from "./typecheck.js";
import { measureAt } from "./magnitude.js";
import { OVERFLOW_SCALE, zeroSeedLane, type Jacobians, type Mode } from "./overflow.js";
import { SEED_SCALES, seedNoiseCode, seededBlock, seedSpread, spreadAllowance, type Spread } from "./seed-noise.js";
import { type Arg, copyArg, flatLeaf, sizeOf } from "./values.js";

export type Prop = "first" | "second" | "vmap" | "types";
export const ALL_PROPS: Prop[] = ["first", "second", "vmap", "types"];

export type { Arg };
type Vec = Float64Array;

/** What the checker needs to know about a program, whatever generated it. */
export interface Subject {
  /** the module text without imports or markers, exporting `f` */
  source: string;
  /** the imports the source itself needs (tensor programs import from "jacc") */
  imports?: string;
  params: { name: string; type: string }[];
  /** output leaves: [] for a number (or 0-d), [n] for a vector; several for a tuple */
  outShapes: number[][];
  tuple: boolean;
  /** number output (a number, or a 0-d Tensor): second derivatives are checked */
  scalarOut: boolean;
  /** outputs are Tensors (a 0-d output gives 0-d Tensor blocks, never numbers) */
  tensorOut?: boolean;
  points: Arg[][];
}

export interface Failure {
  category: string;
  culprit: "compiler" | "generator";
  message: string;
  point?: number;
  /** the point was away from kinks (finite differences were stable there) */
  fdStable?: boolean;
  /** for a difference between two modes: the block [out i][in j] that differs */
  block?: [number, number];
}

/** What checkPointRounded has measured at a point, each only once a mismatch asked for it. */
interface Evidence {
  /** the program's largest value (magnitude.ts), 0 where too small to widen anything */
  magnitude: number;
  /** the program computed ±∞ or NaN at the point */
  nonFinite: boolean;
  /** block "i,j" → each mode's spread under scaled seeds (seed-noise.ts) */
  noise: Map<string, Spread>;
  /** block "i,j" → each mode's value with seeds scaled by OVERFLOW_SCALE (overflow.ts) */
  scaled: Map<string, { forward: Vec; reverse: Vec }>;
  /** an overflow.ts excuse was used on this attempt */
  overflowUsed: boolean;
}

export interface Stats {
  points: number;
  skippedNonFinite: number;
  fdUnstable: number;
  compared: number;
  /** batch rows compared by "vmap" */
  vmapRows: number;
  /** points where the derivative itself is ill-conditioned (adJumps): not compared with finite differences */
  adUnstable: number;
  /** points where two modes differed beyond 1e-8 but within the rounding of the program's magnitude (magnitude.ts) */
  roundingExplained: number;
  /** points where two modes differed beyond that but within their own rounding noise under scaled seeds (seed-noise.ts) */
  noiseExplained: number;
  /** points where a derivative was non-finite in one mode or against finite differences as IEEE arithmetic gives it (overflow.ts) */
  overflowExplained: number;
}
export const stats: Stats = { points: 0, skippedNonFinite: 0, fdUnstable: 0, compared: 0, vmapRows: 0, adUnstable: 0, roundingExplained: 0, noiseExplained: 0, overflowExplained: 0 };

// ---------------------------------------------------------------- module text and compilation

const argsList = (s: Subject) => s.params.map((p) => p.name).join(", ");
const sigList = (s: Subject) => s.params.map((p) => `${p.name}: ${p.type}`).join(", ");

/**
 * The module that checks `props`. Without `surface`, the markers that only
 * wrap the same transforms again (`jacobian(f, inputs)` in both modes and
 * `hessian`, built as jacrev/jacfwd and jacfwd(jacrev) are) are left out:
 * long runs check them on every n-th program only (`--surface-every`), and
 * spend the time on more programs.
 */
export function markerCode(s: Subject, props: readonly Prop[], surface = true): string {
  const all = `{ argnums: [${s.params.map((_, i) => i).join(", ")}] }`;
  const inputs = s.params.length === 1 ? s.params[0].name : `[${argsList(s)}]`;
  const lines = [`import { jacobian, jacrev, jacfwd, hessian, vmap } from "jacc";`];
  if (s.imports) lines.push(s.imports);
  lines.push(s.source, "// ---- appended by the fuzzer (test/fuzz)");
  const types = props.includes("types");
  const wantFirst = props.includes("first") || types;
  const wantSecond = s.scalarOut && (props.includes("second") || types);
  // (the type-checked module has one marker of each kind of generated code, to keep it small)
  const wantVmap = props.includes("vmap");
  if (wantFirst || wantSecond || wantVmap) lines.push(`export const jr = jacrev(f, ${all});`);
  if (wantVmap) lines.push(`export const vm = vmap(f);`, `export const vmj = vmap(jacrev(f, ${all}));`);
  if (wantFirst && surface) lines.push(`export const jRev = (${sigList(s)}) => jacobian(f, ${inputs});`);
  if (wantFirst && surface && !types) lines.push(`export const jFwd = (${sigList(s)}) => jacobian(f, ${inputs}, { strategy: "forward-mode" });`);
  if (wantFirst) lines.push(`export const jf = jacfwd(f, ${all});`);
  if (wantSecond && surface) lines.push(`export const hess = hessian(f, ${all});`);
  if (wantSecond && !types) {
    lines.push(
      `export const hFR = jacfwd(jacrev(f, ${all}), ${all});`,
      `export const hRR = jacrev(jacrev(f, ${all}), ${all});`,
    );
  }
  return lines.join("\n") + "\n";
}

const outDir = path.join(repoRoot, ".tmp", "fuzz");
const fileName = path.join(outDir, "program.ts");
const loaded = new Map<string, any>();

class Fail extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}
const fail = (category: string, message: string, extra: Partial<Failure> = {}): never => {
  throw new Fail({ category, culprit: "compiler", message, ...extra });
};

/** Compiles (target js) and imports; a diagnostic or a crash is a failure. */
async function load(text: string, family: string): Promise<any> {
  const key = crypto.createHash("sha1").update(text).digest("hex").slice(0, 16);
  const hit = loaded.get(key);
  if (hit) return hit;
  let r;
  try {
    r = compileModule(text, fileName, { target: "js", checkIR: true });
  } catch (e) {
    const first = String((e as Error).message).split("\n")[0];
    return fail(`compile(${family}): crash: ${normalize(first)}`, `compileModule threw: ${(e as Error).stack?.split("\n").slice(0, 6).join("\n")}`);
  }
  if (r.diagnostics.length) {
    const d = r.diagnostics[0];
    return fail(`compile(${family}): diagnostic ${normalize(d.message.split("\n")[0])}`, r.diagnostics.map(formatDiagnostic).join("\n"));
  }
  fs.mkdirSync(outDir, { recursive: true });
  // (named by the compiled code, not by the program: a file compiled by an earlier build of jacc is never imported again)
  const file = path.join(outDir, `m-${crypto.createHash("sha1").update(r.code).digest("hex").slice(0, 16)}.mjs`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, r.code);
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    return fail(`import(${family}): ${normalize(String((e as Error).message).split("\n")[0])}`, `importing the compiled module threw: ${(e as Error).stack?.split("\n").slice(0, 6).join("\n")}`);
  }
  if (loaded.size > 64) loaded.clear();
  loaded.set(key, mod);
  return mod;
}

/**
 * A message without its numbers and generated identifiers, to group failures
 * that are the same (`quoted` text is dropped unless it is a type, as in
 * TypeScript's "Type 'boolean' is not assignable to type 'number'").
 */
export function normalize(msg: string, keepQuoted = false): string {
  return msg
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, (q) => (keepQuoted && q.length < 40 ? q : "'…'"))
    .replace(/\b[A-Za-z_$][\w$]*\d+\b/g, "x")
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, "N")
    .slice(0, 120);
}

// ---------------------------------------------------------------- values

const shapeOf = (a: Arg): number[] => (typeof a === "number" ? [] : a instanceof Tensor ? [...a.shape] : [a.length]);
const elem = (a: Arg, e: number): number => (typeof a === "number" ? a : a instanceof Tensor ? a.data[e] : a[e]);
function withElem(a: Arg, e: number, v: number): Arg {
  if (typeof a === "number") return v;
  const c = copyArg(a);
  if (c instanceof Tensor) (c.data as Float64Array)[e] = v;
  else (c as number[])[e] = v;
  return c;
}

export const fmtArg = (a: unknown): string =>
  typeof a === "number"
    ? String(a)
    : a instanceof Tensor
      ? `tensor(${JSON.stringify(a.toArray())})`
      : a instanceof Float64Array
        ? `Float64Array[${[...a]}]`
        : Array.isArray(a)
          ? `[${a.map(fmtArg).join(", ")}]`
          : String(a);

function describe(v: unknown): string {
  if (typeof v === "number") return `number ${v}`;
  if (v instanceof Tensor) return `Tensor(shape [${v.shape}], ${v.dtype})`;
  if (Array.isArray(v)) return `array(${v.length}) [${v.slice(0, 4).map(describe).join(", ")}${v.length > 4 ? ", …" : ""}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return String(v);
}

const show = (v: Vec) => (v.length <= 16 ? `[${[...v].map((x) => +x.toPrecision(10)).join(", ")}]` : `(${v.length} values) [${[...v.slice(0, 12)].map((x) => +x.toPrecision(10)).join(", ")}, …]`);

/** f's outputs, flattened leaf by leaf. */
function leaves(s: Subject, y: unknown): Vec[] {
  const parts = s.tuple ? (y as unknown[]) : [y];
  return parts.map(flatLeaf);
}

/** Flat values of a block after checking its structure (SPEC §3). */
function block(where: string, v: unknown, outShape: number[], inShape: number[], numbers: boolean): Vec {
  const shape = [...outShape, ...inShape];
  if (numbers && shape.length === 0) {
    if (typeof v === "number") return Float64Array.of(v);
    return fail(`structure: ${where} number`, `${where}: expected a number (output and input are numbers), got ${describe(v)}`);
  }
  if (!(v instanceof Tensor)) return fail(`structure: ${where}`, `${where}: expected a Tensor of shape [${shape}], got ${describe(v)}`);
  if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i]))
    return fail(`structure: ${where} shape`, `${where}: expected shape [${shape}], got [${v.shape}]`);
  if (v.dtype !== "float64") return fail(`structure: ${where} dtype`, `${where}: expected float64, got ${v.dtype}`);
  return Float64Array.from(v.data);
}

/** r[i][j] for out leaf i and input j, given how r nests (tuple outputs outside, tuple inputs inside). */
function nest(where: string, r: unknown, nOut: number, outTuple: boolean, nIn: number, inTuple: boolean): unknown[][] {
  const arr = (w: string, v: unknown, n: number): unknown[] => {
    if (!Array.isArray(v) || v.length !== n) return fail(`structure: ${where}`, `${w}: expected an array of ${n}, got ${describe(v)}`);
    return v;
  };
  const rows = outTuple ? arr(where, r, nOut) : [r];
  return rows.map((row, i) => (inTuple ? arr(`${where}${outTuple ? `[${i}]` : ""}`, row, nIn) : [row]));
}

function call(where: string, fn: unknown, args: Arg[]): unknown {
  if (typeof fn !== "function") return fail(`structure: ${where} missing`, `${where}: the compiled module has no function here (got ${describe(fn)})`);
  try {
    return fn(...args.map(copyArg));
  } catch (e) {
    // (without the op's name: "mul: expected a Tensor…" and "add: expected a Tensor…" are one failure)
    const first = String((e as Error).message).split("\n")[0].replace(/^[\w.]+: /, "");
    return fail(`run: ${where} threw ${normalize(first)}`, `${where} threw: ${(e as Error).stack?.split("\n").slice(0, 6).join("\n")}`);
  }
}

// ---------------------------------------------------------------- finite differences

interface FdResult {
  /** ref[i][j]: out leaf i, input j, row-major out ++ in */
  ref: Vec[][];
  err: Vec[][];
  stable: boolean;
}

/**
 * ∂g/∂(args) by the fourth-order central stencil at steps h and 10h. `stable`
 * is false next to a kink or a jump: where the two stencils disagree, or where
 * the one-sided (second-order) differences from the left and from the right
 * at a small step disagree (a kink right at the point: a piecewise-linear
 * function is scale invariant there, so the two central stencils agree, on the
 * average of the two slopes), or where a central difference at a tiny step
 * disagrees with them (a staircase: round(x¹⁶) is flat at the point, its
 * derivative 0, yet crosses many steps within h, which both stencils average
 * into the slope of x¹⁶; seed 20261928).
 */
function fdJacobian(g: (args: Arg[]) => Vec[] | undefined, args: Arg[], nLeaves: number[]): FdResult {
  const ref = nLeaves.map((m) => args.map((a) => new Float64Array(m * sizeOf(a))));
  const err = nLeaves.map((m) => args.map((a) => new Float64Array(m * sizeOf(a))));
  let stable = true;
  args.forEach((a, j) => {
    const n = sizeOf(a);
    for (let e = 0; e < n; e++) {
      const x = elem(a, e);
      const at = (d: number) => g(args.map((b, k) => (k === j ? withElem(b, e, x + d) : b)));
      const stencil = (h: number): Vec[] | undefined => {
        const [p2, p1, m1, m2] = [at(2 * h), at(h), at(-h), at(-2 * h)];
        if (!p2 || !p1 || !m1 || !m2) return undefined;
        return p1.map((_, i) => p1[i].map((_, q) => (-p2[i][q] + 8 * p1[i][q] - 8 * m1[i][q] + m2[i][q]) / (12 * h)));
      };
      const h = 1e-4 * Math.max(1, Math.abs(x));
      const A = stencil(h);
      const B = stencil(10 * h);
      const hs = 1e-5 * Math.max(1, Math.abs(x));
      const [f0, p1, p2, m1, m2] = [at(0), at(hs), at(2 * hs), at(-hs), at(-2 * hs)];
      const ht = 1e-8 * Math.max(1, Math.abs(x));
      const [pt, mt] = [at(ht), at(-ht)];
      if (!A || !B || !f0 || !p1 || !p2 || !m1 || !m2 || !pt || !mt) {
        stable = false;
        continue;
      }
      A.forEach((col, i) => {
        for (let q = 0; q < col.length; q++) {
          const d = Math.abs(col[q] - B[i][q]);
          const right = (-3 * f0[i][q] + 4 * p1[i][q] - p2[i][q]) / (2 * hs);
          const left = (3 * f0[i][q] - 4 * m1[i][q] + m2[i][q]) / (2 * hs);
          if (!Number.isFinite(col[q]) || !(d <= 1e-3 * (1 + Math.abs(col[q]))) || !(Math.abs(right - left) <= 1e-6 * (1 + Math.abs(col[q])) + 1e-9 * Math.abs(f0[i][q]))) stable = false;
          // (the tiny step's own rounding error: about 1e-16 |f| / ht)
          const tinyStep = (pt[i][q] - mt[i][q]) / (2 * ht);
          if (!(Math.abs(tinyStep - col[q]) <= 1e-3 * (1 + Math.abs(col[q])) + 1e-15 * Math.abs(f0[i][q]) / ht)) stable = false;
          // (the stencil's own rounding, about 4e-16 |f| / h, hides a derivative smaller than it: 2^81 + 0.5 x
          // moves by nothing a double can hold at h = 1e-4, seed 20280119; the stencils then agree on 0)
          if (!(4e-16 * Math.abs(f0[i][q]) / h <= 1e-3 * (1 + Math.abs(col[q])))) stable = false;
          ref[i][j][q * n + e] = col[q];
          err[i][j][q * n + e] = d;
        }
      });
    }
  });
  return { ref, err, stable };
}

/**
 * Whether a derivative `d` (blocks [out][in]) is ill-conditioned at `args`: its
 * second difference over points a relative s = 1e-9, 1e-7 or 1e-5 away on
 * either side (every element moved), d(x + s) + d(x − s) − 2 d(x), exceeds
 * 1e-4·(1 + |d|). A smooth derivative's is O(s²), right or wrong; a formula
 * that divides rounding noise by rounding noise jumps by O(1) (std of a
 * constant vector whose mean rounds by an ulp: PyTorch's formula and PyTorch's
 * number, seed 20262155). Only asked where the derivative disagrees with
 * stable finite differences, so a wrong derivative from the compiler, as
 * smooth as the right one, still fails.
 */
export function adJumps(d: (a: Arg[]) => Vec[][], args: Arg[], at: Vec[][]): boolean {
  const movedBy = (step: number) => {
    let e = 0;
    return args.map((a) => {
      let b = a;
      for (let q = 0; q < sizeOf(a); q++, e++) {
        const x = elem(a, q);
        b = withElem(b, q, x + step * (e % 2 ? -1 : 1) * Math.max(1, Math.abs(x)));
      }
      return b;
    });
  };
  for (const step of [1e-9, 1e-7, 1e-5]) {
    let plus: Vec[][], minus: Vec[][];
    try {
      plus = d(movedBy(step));
      minus = d(movedBy(-step));
    } catch {
      return true; // (a throw or a structure failure there: not this point's question)
    }
    for (let i = 0; i < at.length; i++) for (let j = 0; j < at[i].length; j++) {
      const second = plus[i][j].map((v, q) => v + minus[i][j][q] - at[i][j][q]);
      if (compare(second, at[i][j], (q) => 1e-4 * (1 + Math.abs(at[i][j][q])))) return true;
    }
  }
  return false;
}

function finite(vs: Vec[]): boolean {
  return vs.every((v) => v.every(Number.isFinite));
}

/** Elementwise comparison; returns a message for the first mismatch that `excused` does not accept. */
function compare(actual: Vec, expected: Vec, tol: (i: number) => number, excused?: (i: number) => boolean): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    const ok = Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) ? a === b : Math.abs(a - b) <= tol(i);
    if (!ok && !excused?.(i)) return `element ${i} is ${a}, expected ${b}\n    actual   ${show(actual)}\n    expected ${show(expected)}`;
  }
  return undefined;
}

const tight = (expected: Vec) => (i: number) => 1e-8 * (1 + Math.abs(expected[i]));

/**
 * What two modes may differ by through rounding alone: eps times the program's
 * largest value (0 unless checkPointRounded measured it) times the block's scale.
 */
const roundingAllowance = (expected: Vec, magnitude: number) => {
  let scale = 0;
  for (const v of expected) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  return EPS * magnitude * (1 + scale);
};
const modes = (expected: Vec, magnitude: number) => {
  const extra = roundingAllowance(expected, magnitude);
  return (i: number) => tight(expected)(i) + extra;
};

// ---------------------------------------------------------------- the check

/**
 * Every failure of the program, at most one per property and category: the
 * first mismatch of "first" and of "second" (the rest of that property is not
 * checked after it), or a compile failure; and one per distinct type error.
 */
export async function check(s: Subject, props: readonly Prop[], surface = true): Promise<Failure[]> {
  const out: Failure[] = [];
  const guard = async (fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      if (e instanceof Fail) out.push(e.failure);
      else out.push({ category: `harness: ${normalize(String((e as Error).message))}`, culprit: "generator", message: String((e as Error).stack) });
    }
  };
  const numeric = props.filter((p) => p !== "types");
  if (numeric.length) {
    let mod: any;
    await guard(async () => {
      try {
        mod = await load(markerCode(s, numeric, surface), numeric.join("+"));
      } catch (e) {
        // pin a failing compile on the family that causes it
        if (numeric.length > 1 && e instanceof Fail && /^(compile|import)/.test(e.failure.category)) {
          for (const p of numeric) await load(markerCode(s, [p], surface), p);
        }
        throw e;
      }
    });
    if (mod) {
      for (const prop of numeric) {
        if (prop === "vmap") await guard(() => checkVmap(s, mod));
        else await guard(async () => {
          for (let p = 0; p < s.points.length; p++) await checkPointRounded(s, mod, s.points[p], p, prop);
        });
      }
    }
  }
  if (props.includes("types")) {
    await guard(() => {
      out.push(...checkTypes(s));
    });
  }
  // A diagnostic or a type error is the compiler's only if the program itself is valid TypeScript.
  if (out.some((f) => f.culprit === "compiler" && /^(compile|types)/.test(f.category))) {
    const own = programTypeErrors(s);
    if (own.length) {
      return [{
        category: `generator: the program does not type-check: TS${own[0].code} ${normalize(own[0].message.split("\n")[0], true)}`,
        culprit: "generator",
        message: `the generated program itself does not type-check (a bug of the generator):\n${own[0].message}\n${own[0].excerpt}`,
      }];
    }
  }
  return out;
}

/** Type errors of the generated program itself (no markers): any is the generator's bug. */
function programTypeErrors(s: Subject): TypeError[] {
  return typeCheck(`${s.imports ?? ""}\n${s.source}`);
}

function checkTypes(s: Subject): Failure[] {
  const text = markerCode(s, ["types"]);
  let r;
  try {
    r = compileModule(text, fileName, { target: "ts" });
  } catch (e) {
    return fail(`compile(ts): crash ${normalize(String((e as Error).message).split("\n")[0])}`, String((e as Error).stack));
  }
  if (r.diagnostics.length) return fail(`compile(ts): diagnostic ${normalize(r.diagnostics[0].message)}`, r.diagnostics.map(formatDiagnostic).join("\n"));
  const errors = typeCheck(r.code);
  const byKind = new Map<string, TypeError[]>();
  for (const e of errors) {
    const k = `types: TS${e.code} ${normalize(e.message.split("\n")[0], true)}`;
    byKind.set(k, [...(byKind.get(k) ?? []), e]);
  }
  return [...byKind].map(([category, es]) => ({
    category,
    culprit: "compiler" as const,
    message:
      `the emitted TypeScript does not type-check: ${es.length} error(s) TS${es[0].code} (${errors.length} in all)\n` +
      `first, at line ${es[0].line} of the emitted module: ${es[0].message.split("\n")[0]}\n${es[0].excerpt}` +
      (es.length > 1 ? `\nsecond, at line ${es[1].line}:\n${es[1].excerpt}` : ""),
  }));
}

/** float64's machine epsilon */
const EPS = 2 ** -52;

/** A numeric mismatch (two modes, or a mode and finite differences): rounding may explain it. */
const numericMismatch = (category: string) => /^(first|second): .* vs /.test(category);

/**
 * checkPoint; where a derivative differs from another mode's or from finite
 * differences, the point is checked again with every tolerance widened by eps
 * times the largest value the program computes there (magnitude.ts says why),
 * and the failure stands only if it still differs. For most programs that
 * value is small and the widening nothing.
 */
async function checkPointRounded(s: Subject, mod: any, args: Arg[], p: number, prop: Prop): Promise<void> {
  const ev: Evidence = { magnitude: 0, nonFinite: false, noise: new Map(), scaled: new Map(), overflowUsed: false };
  const { noise, scaled } = ev;
  let measured = false;
  for (let attempt = 0; ; attempt++) {
    ev.overflowUsed = false;
    try {
      checkPoint(s, mod, args, p, prop, ev, attempt === 0);
      if (ev.overflowUsed) stats.overflowExplained++;
      else if (noise.size) stats.noiseExplained++;
      else if (attempt) stats.roundingExplained++;
      return;
    } catch (e) {
      if (!(e instanceof Fail) || !numericMismatch(e.failure.category)) throw e;
      if (!measured) {
        measured = true;
        const m = await measureAt(s.imports ?? "", s.source, outDir, () => args.map(copyArg));
        ev.magnitude = EPS * m.max >= 1e-10 ? m.max : 0;
        ev.nonFinite = m.nonFinite;
        if (ev.magnitude || ev.nonFinite) continue;
      }
      const b = e.failure.block;
      const key = b && `${b[0]},${b[1]}`;
      if (b && key && !noise.has(key) && !scaled.has(key)) {
        const [spread, block] = await Promise.all([measureSpread(s, args, b[0], b[1]), measureScaled(s, args, b[0], b[1])]);
        if (spread) noise.set(key, spread);
        if (block) scaled.set(key, block);
        if (spread || block) continue;
      }
      const magnitude = ev.magnitude;
      if (magnitude) e.failure.message += `\n    (the program's largest value at the point is ${magnitude.toExponential(3)}; rounding alone allows ${(EPS * magnitude).toExponential(2)}·(1 + the block's largest |entry|) more, and the difference is larger)`;
      if (key && noise.has(key)) e.failure.message += `\n    (jvp and vjp with seeds scaled by ${SEED_SCALES.join(", ")} spread by at most ${Math.max(...noise.get(key)!.forward).toExponential(2)} (forward) and ${Math.max(...noise.get(key)!.reverse).toExponential(2)} (reverse) over the block: the difference is larger than their rounding)`;
      throw e;
    }
  }
}

/** Block [i][j] by jvp and vjp with seeds scaled by OVERFLOW_SCALE (overflow.ts), or undefined where they cannot give it. */
async function measureScaled(s: Subject, args: Arg[], i: number, j: number): Promise<{ forward: Vec; reverse: Vec } | undefined> {
  try {
    return seededBlock(s, await load(seedNoiseCode(s), "seed-noise"), args, i, j, OVERFLOW_SCALE);
  } catch {
    return undefined;
  }
}

/** The spread of block [i][j] under scaled seeds, or undefined where jvp/vjp cannot give it. */
export async function measureSpread(s: Subject, args: Arg[], i: number, j: number): Promise<Spread | undefined> {
  try {
    return seedSpread(s, await load(seedNoiseCode(s), "seed-noise"), args, i, j);
  } catch {
    return undefined;
  }
}

function checkPoint(s: Subject, mod: any, args: Arg[], p: number, prop: Prop, ev: Evidence, count = true): void {
  const { magnitude, noise } = ev;
  if (prop === "first" && count) stats.points++;
  const where = `at point ${p} (${args.map(fmtArg).join(", ")})`;
  const f = mod.f as (...a: Arg[]) => unknown;
  const evalF = (a: Arg[]): Vec[] | undefined => {
    let y: unknown;
    try {
      y = f(...a.map(copyArg));
    } catch (e) {
      throw new Fail({ category: "generator: f threw", culprit: "generator", message: `f threw ${where}: ${(e as Error).message}` });
    }
    const l = leaves(s, y);
    return finite(l) ? l : undefined;
  };
  const y0 = evalF(args);
  if (!y0) {
    stats.skippedNonFinite++;
    return;
  }
  const nOut = s.outShapes.length;
  const outSizes = s.outShapes.map((sh) => sh.reduce((a, b) => a * b, 1));
  const inShapes = args.map(shapeOf);
  y0.forEach((l, i) => {
    if (l.length !== outSizes[i]) throw new Fail({ category: "generator: output shape", culprit: "generator", message: `f's output ${i} has ${l.length} values, the generator said ${outSizes[i]}` });
  });

  const fd = fdJacobian(evalF, args, outSizes);
  if (prop === "first" && count) {
    if (!fd.stable) stats.fdUnstable++;
    else stats.compared++;
  }

  const blocksOf = (label: string, r: unknown, inTuple: boolean): Vec[][] =>
    nest(label, r, nOut, s.tuple, args.length, inTuple).map((row, i) => row.map((b, j) => block(`${label}${s.tuple ? `[${i}]` : ""}${inTuple ? `[${j}]` : ""}`, b, s.outShapes[i], inShapes[j], !s.tensorOut && typeof args[j] === "number")));
  const label = (m: string) => `${m} ${where}`;

  {
    const jr = blocksOf("jacrev(f, { argnums: all })", call("jacrev", mod.jr, args), true);
    const others: [string, Vec[][]][] = [];
    if (prop === "first") {
      if ("jRev" in mod) {
        others.push(
          ["jacobian(f, inputs)", blocksOf("jacobian(f, inputs)", call("jacobian", mod.jRev, args), args.length > 1)],
          ["jacobian(f, inputs, { strategy: \"forward-mode\" })", blocksOf("jacobian forward-mode", call("jacobian forward-mode", mod.jFwd, args), args.length > 1)],
        );
      }
      const jf = blocksOf("jacfwd(f, { argnums: all })", call("jacfwd", mod.jf, args), true);
      others.push(["jacfwd(f, { argnums: all })", jf]);
      const J: Jacobians = { reverse: jr, forward: jf, outSizes, inSizes: args.map(sizeOf) };
      // an entry finite in one mode only: its own seed overflowed, or a zero seed met another entry's ∞ (overflow.ts)
      const overflowed = (mode: Mode, i: number, j: number, q: number, good: number, tol: (q: number) => number) => {
        const sc = ev.scaled.get(`${i},${j}`)?.[mode][q];
        const ok = (sc !== undefined && Math.abs(sc - good) <= tol(q)) || zeroSeedLane(J, mode, i, j, q);
        if (ok) ev.overflowUsed = true;
        return ok;
      };
      for (const [name, b] of others) {
        const mode: Mode = name.startsWith("jacfwd") || name.includes("forward-mode") ? "forward" : "reverse";
        for (let i = 0; i < nOut; i++) for (let j = 0; j < args.length; j++) {
          const sp = noise.get(`${i},${j}`);
          const allowance = sp ? spreadAllowance(sp, jr[i][j]) : undefined;
          const tol0 = modes(jr[i][j], magnitude);
          const tol = allowance ? (q: number) => tol0(q) + allowance[q] : tol0;
          const [act, exp] = [b[i][j], jr[i][j]];
          const m = compare(act, exp, tol, (q) => mode === "forward" && Number.isFinite(act[q]) !== Number.isFinite(exp[q]) &&
            (Number.isFinite(act[q]) ? overflowed("reverse", i, j, q, act[q], tol) : overflowed("forward", i, j, q, exp[q], tol)));
          if (m) fail(`first: ${name} vs jacrev`, `${label(name)} [out ${i}][in ${j}] differs from jacrev's: ${m}`, { point: p, fdStable: fd.stable, block: [i, j] });
        }
      }
      if (fd.stable) {
        const jrAt = (a: Arg[]) => blocksOf("jacrev(f, { argnums: all })", call("jacrev", mod.jr, a), true);
        for (let i = 0; i < nOut; i++) for (let j = 0; j < args.length; j++) {
          const ref = fd.ref[i][j];
          const err = fd.err[i][j];
          const extra = roundingAllowance(jr[i][j], magnitude);
          const tol = (q: number) => 1e-5 * (1 + Math.abs(ref[q])) + 10 * err[q] + extra;
          // jacrev non-finite where finite differences are not (overflow.ts): its value with a scaled seed, or
          // jacfwd's where a zero seed met another entry's ∞, or none where both modes overflow as f itself did
          const m = compare(jr[i][j], ref, tol, (q) => {
            if (Number.isFinite(jr[i][j][q])) return false;
            const sc = ev.scaled.get(`${i},${j}`);
            const alt = sc && Number.isFinite(sc.reverse[q]) ? sc.reverse[q]
              : Number.isFinite(jf[i][j][q]) && zeroSeedLane(J, "reverse", i, j, q) ? jf[i][j][q] : undefined;
            const ok = alt !== undefined ? Math.abs(alt - ref[q]) <= tol(q)
              : ev.nonFinite && !Number.isFinite(jf[i][j][q]) && !(sc && Number.isFinite(sc.forward[q]));
            if (ok) ev.overflowUsed = true;
            return ok;
          });
          if (m && adJumps(jrAt, args, jr)) {
            stats.adUnstable++;
            return;
          }
          if (m) fail(`first: jacrev vs finite differences`, `${label("jacrev(f) (and jacobian, jacfwd, equal to it)")} [out ${i}][in ${j}] differs from finite differences: ${m}`, { point: p, fdStable: true, block: [i, j] });
        }
      }
    }
    if (prop === "second" && s.scalarOut) checkSecond(s, mod, args, p, where, jr, magnitude);
  }
}

function checkSecond(s: Subject, mod: any, args: Arg[], p: number, where: string, jr: Vec[][], magnitude: number): void {
  const k = args.length;
  const inShapes = args.map(shapeOf);
  const grad = (a: Arg[]): Vec[] | undefined => {
    let r: unknown;
    try {
      r = (mod.jr as (...x: Arg[]) => unknown)(...a.map(copyArg));
    } catch {
      return undefined;
    }
    const g = (r as unknown[]).map((b) => (typeof b === "number" ? Float64Array.of(b) : Float64Array.from((b as Tensor).data)));
    return finite(g) ? g : undefined;
  };
  if (!finite(jr[0])) return;
  // H_fd[i][j]: ∂ grad_i / ∂ x_j (grad_i has the shape of input i)
  const fd = fdJacobian(grad, args, args.map(sizeOf));
  // the reference: hessian's, or jacfwd(jacrev)'s where the module has no hessian (see markerCode)
  const hs: [string, unknown][] = [
    ...("hess" in mod ? [["hessian(f, { argnums: all })", call("hessian", mod.hess, args)] as [string, unknown]] : []),
    ["jacfwd(jacrev(f))", call("jacfwd(jacrev)", mod.hFR, args)],
    ["jacrev(jacrev(f))", call("jacrev(jacrev)", mod.hRR, args)],
  ];
  const refName = "hess" in mod ? "hessian" : "jacfwd(jacrev(f))";
  const got = hs.map(([name, r]) => {
    const rows = nest(`${name} ${where}`, r, k, true, k, true);
    return rows.map((row, i) => row.map((b, j) => block(`${name}[${i}][${j}]`, b, inShapes[i], inShapes[j], !s.tensorOut && typeof args[i] === "number" && typeof args[j] === "number")));
  });
  for (let n = 1; n < hs.length; n++) {
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const m = compare(got[n][i][j], got[0][i][j], (q) => 1e-7 * (1 + Math.abs(got[0][i][j][q])) + roundingAllowance(got[0][i][j], magnitude));
      if (m) fail(`second: ${hs[n][0]} vs ${refName}`, `${hs[n][0]} ${where} [${i}][${j}] differs from ${refName}'s: ${m}`, { point: p, fdStable: fd.stable });
    }
  }
  if (!fd.stable) return;
  const refAt = (a: Arg[]) => {
    const [name, fn] = "hess" in mod ? ["hessian", mod.hess] : ["jacfwd(jacrev)", mod.hFR];
    const rows = nest(`${name} ${where}`, call(name, fn, a), k, true, k, true);
    return rows.map((row, i) => row.map((b, j) => block(`${name}[${i}][${j}]`, b, inShapes[i], inShapes[j], !s.tensorOut && typeof args[i] === "number" && typeof args[j] === "number")));
  };
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    const ref = fd.ref[i][j];
    const err = fd.err[i][j];
    const extra = roundingAllowance(got[0][i][j], magnitude);
    const m = compare(got[0][i][j], ref, (q) => 1e-5 * (1 + Math.abs(ref[q])) + 10 * err[q] + extra);
    if (m && adJumps(refAt, args, got[0])) {
      stats.adUnstable++;
      return;
    }
    if (m) fail(`second: ${refName} vs finite differences`, `${refName === "hessian" ? "hessian(f)" : refName} ${where} [${i}][${j}] differs from finite differences of the reverse-mode gradient: ${m}`, { point: p, fdStable: true });
  }
}

/**
 * For each point: f is finite there and finite differences are stable (of f,
 * and for number outputs of the reverse-mode gradient when that runs), i.e.
 * the point is not next to a kink, so the fixture harness can check it.
 */
export async function stablePoints(s: Subject): Promise<boolean[]> {
  let mod: any;
  try {
    mod = await load(markerCode(s, ["first"]), "first");
  } catch {
    return s.points.map(() => false);
  }
  return s.points.map((args) => {
    const evalF = (a: Arg[]): Vec[] | undefined => {
      try {
        const l = leaves(s, mod.f(...a.map(copyArg)));
        return finite(l) ? l : undefined;
      } catch {
        return undefined;
      }
    };
    const y = evalF(args);
    if (!y) return false;
    if (!fdJacobian(evalF, args, y.map((l) => l.length)).stable) return false;
    if (!s.scalarOut) return true;
    const grad = (a: Arg[]): Vec[] | undefined => {
      try {
        const g = (mod.jr(...a.map(copyArg)) as unknown[]).map((b) => (typeof b === "number" ? Float64Array.of(b) : Float64Array.from((b as Tensor).data)));
        return finite(g) ? g : undefined;
      } catch {
        return undefined;
      }
    };
    const g = grad(args);
    return !g || fdJacobian(grad, args, args.map(sizeOf)).stable;
  });
}

// ---------------------------------------------------------------- vmap == row by row

/** The rows of a batch: the points and their midpoint (vectors and Tensors of one point have the other's shapes). */
function batchRows(s: Subject): Arg[][] {
  const a = s.points[0];
  const b = s.points[1] ?? a; // (a saved fixture may keep one point)
  const mid = a.map((x, k) => {
    const y = b[k];
    if (typeof x === "number") return (x + (y as number)) / 2;
    const n = sizeOf(x);
    let c = copyArg(x);
    for (let e = 0; e < n; e++) c = withElem(c, e, (elem(x, e) + elem(y, e)) / 2);
    return c;
  });
  return [a, b, mid];
}

/** Argument k of the batch at inDims 0: numbers → Float64Array [B], vectors and Tensors → a float64 Tensor [B, …]. */
function batchArg(rows: Arg[][], k: number): Float64Array | Tensor {
  const col = rows.map((r) => r[k]);
  if (col.every((x) => typeof x === "number")) return Float64Array.from(col as number[]);
  const shape = shapeOf(col[0]);
  const n = sizeOf(col[0]);
  const data = new Float64Array(col.length * n);
  col.forEach((x, b) => {
    for (let e = 0; e < n; e++) data[b * n + e] = elem(x, e);
  });
  return new Tensor(data, [col.length, ...shape]);
}

/** Row b of a batched result, flattened leaf by leaf (arrays are tuples of batched leaves). */
function rowLeaves(where: string, v: unknown, b: number, B: number): Vec[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => rowLeaves(`${where}[${i}]`, x, b, B));
  if (v instanceof Tensor) {
    if (v.shape[0] !== B) return fail(`structure: ${where} batch dim`, `${where}: expected a batch dimension of ${B} first, got shape [${v.shape}]`);
    const n = v.data.length / B;
    return [Float64Array.from(v.data.subarray(b * n, (b + 1) * n))];
  }
  if (v instanceof Float64Array || v instanceof Float32Array) {
    if (v.length !== B) return fail(`structure: ${where} batch dim`, `${where}: expected ${B} values, got ${v.length}`);
    return [Float64Array.of(v[b])];
  }
  return fail(`structure: ${where}`, `${where}: expected a batched Tensor, got ${describe(v)}`);
}

/** An unbatched result flattened the same way (numbers, vectors, Tensors, arrays of them). */
function plainLeaves(v: unknown): Vec[] {
  if (typeof v === "number") return [Float64Array.of(v)];
  if (v instanceof Tensor) return [Float64Array.from(v.data)];
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return [Float64Array.from(v as number[])];
  if (Array.isArray(v)) return v.flatMap(plainLeaves);
  if (ArrayBuffer.isView(v)) return [Float64Array.from(v as unknown as ArrayLike<number>)];
  return [Float64Array.of(NaN)];
}

function checkVmap(s: Subject, mod: any): void {
  const rows = batchRows(s);
  const B = rows.length;
  const args = s.params.map((_, k) => batchArg(rows, k));
  const where = `on the batch (${rows.map((r) => `(${r.map(fmtArg).join(", ")})`).join("; ")})`;
  const pairs: [string, unknown, string, unknown][] = [
    ["vmap(f)", mod.vm, "f", mod.f],
    ["vmap(jacrev(f, { argnums: all }))", mod.vmj, "jacrev(f, { argnums: all })", mod.jr],
  ];
  for (const [vname, vfn, rname, rfn] of pairs) {
    const batched = call(vname, vfn, args as Arg[]);
    rows.forEach((r, b) => {
      let expected: Vec[];
      try {
        expected = plainLeaves((rfn as (...a: Arg[]) => unknown)(...r.map(copyArg)));
      } catch {
        return; // the row itself throws (first/second report that)
      }
      // a tuple's number leaves and a vector output are one batched Tensor each: compare flattened
      const got = rowLeaves(vname, s.tuple || Array.isArray(batched) ? batched : [batched], b, B);
      const flatGot = Float64Array.from(got.flatMap((v) => [...v]));
      const flatExp = Float64Array.from(expected.flatMap((v) => [...v]));
      const m = compare(flatGot, flatExp, tight(flatExp));
      stats.vmapRows++;
      if (m) fail(`vmap: ${vname} vs ${rname} row by row`, `${vname} ${where}, row ${b}, differs from ${rname} called on that row: ${m}`);
    });
  }
}
