// The fuzzing loop: a recording pass over `numRuns` generated programs (every
// failure is kept, the pass does not stop at the first), then, for each
// distinct failure category, fast-check replays the first program that showed
// it (same seed and path) and shrinks it, keeping only candidates that fail
// with the SAME category, so that the shrunk program shows the failure that was
// found and not another one met on the way.
import fc from "fast-check";
import { check, stats, type Failure, type Prop, type Stats, type Subject } from "./check.js";
import { argsOf, outType, paramName, paramType, renderScalar, scalarCase, type ScalarCase } from "./gen.js";
import { renderTensor, tensorCase, tensorSubject, type TensorCase } from "./tensor-gen.js";
import { renamer } from "./names.js";

export type Kind = "scalar" | "tensor";

export function scalarSubject(c: ScalarCase): Subject {
  const p = c.prog;
  const outShapes = p.out.kind === "num" ? [[]] : p.out.kind === "tuple" ? [[], []] : [[p.out.n]];
  return {
    source: renderScalar(p),
    params: p.params.map((q, k) => ({ name: paramName(q.kind, k), type: paramType(q.kind) })),
    outShapes,
    tuple: p.out.kind === "tuple",
    scalarOut: p.out.kind === "num",
    points: [argsOf(c, 0), argsOf(c, 1)],
  };
}
void outType;

/** A generated case and the seed of its names (test/fuzz/names.ts; 0: the generator's own). */
export interface Named<T> {
  c: T;
  names: number;
}
const named = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Named<T>> => fc.record({ c: arb, names: fc.nat() });
export const arbitraries = { scalar: named(scalarCase), tensor: named(tensorCase) };

function plainSubject(kind: Kind, v: unknown): Subject {
  const c = (v as Named<unknown>).c;
  return kind === "scalar" ? scalarSubject(c as ScalarCase) : tensorSubject(c as TensorCase);
}
const renamerOf = (s: Subject, v: unknown) => renamer(`${s.imports ?? ""}\n${s.source}`, (v as Named<unknown>).names);

export function subjectOf(kind: Kind, v: unknown): Subject {
  const s = plainSubject(kind, v);
  const r = renamerOf(s, v);
  return { ...s, source: r(s.source), params: s.params.map((p) => ({ ...p, name: r(p.name) })) };
}
export function textOf(kind: Kind, v: unknown): string {
  const c = (v as Named<unknown>).c;
  const text = kind === "scalar" ? renderScalar((c as ScalarCase).prog) : renderTensor((c as TensorCase).prog);
  return renamerOf(plainSubject(kind, v), v)(text);
}

/** The properties a failure's category is about (what shrinking re-checks). */
export function propsFor(category: string, props: readonly Prop[]): Prop[] {
  if (/^(types|compile\(ts\))/.test(category)) return ["types"];
  if (/^compile\(second\)|^import\(second\)|^second|hessian|jacfwd\(jacrev|jacrev\(jacrev/.test(category)) return ["second"];
  if (/^(compile|import)\(first\)/.test(category)) return ["first"];
  if (/^(compile|import)\(vmap\)|^vmap:|^structure: vmap/.test(category)) return ["vmap"];
  return props.filter((p) => p !== "types");
}

export interface Found {
  kind: Kind;
  category: string;
  culprit: Failure["culprit"];
  seed: number;
  path: string;
  /** how many programs of the pass showed this category */
  count: number;
  original: { value: unknown; failure: Failure };
  shrunk: { value: unknown; failure: Failure; path: string; steps: number };
}

export interface BatchOptions {
  kind: Kind;
  seed: number;
  numRuns: number;
  props: readonly Prop[];
  shrink?: boolean;
  /** stop shrinking one failure after this long */
  shrinkMs?: number;
  /** all shrinking of the batch together stops after this long */
  shrinkBudgetMs?: number;
  /** and in any case at this Date.now() */
  shrinkDeadline?: number;
  /** type-check only every n-th program (the type errors found so far are systemic; default 1: all) */
  typesEvery?: number;
  /** build `jacobian` (both modes) and `hessian` only for every n-th program (default 1: all; see markerCode) */
  surfaceEvery?: number;
  /** categories already known (not shrunk again) */
  known?: Set<string>;
  onProgress?: (done: number) => void;
  /** polled between programs: true ends the batch early (the rest of the runs do nothing, no shrinking) */
  stop?: () => boolean;
  /** Date.now() after which the recording pass starts no more programs (found failures are still shrunk) */
  until?: number;
}

export interface BatchResult {
  programs: number;
  found: Found[];
  /** failures per category, including known ones */
  counts: Map<string, number>;
  /** points of the recording pass (not of shrinking) */
  stats: Stats;
  ms: number;
}

export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  const t0 = Date.now();
  const arb = arbitraries[o.kind] as fc.Arbitrary<unknown>;
  const first = new Map<string, { idx: number; value: unknown; failure: Failure; surface: boolean }>();
  const counts = new Map<string, number>();
  let idx = 0;
  await fc.check(
    fc.asyncProperty(arb, async (v) => {
      if (o.stop?.() || (o.until !== undefined && Date.now() > o.until)) return true;
      const i = idx++;
      const props = i % (o.typesEvery ?? 1) === 0 ? o.props : o.props.filter((p) => p !== "types");
      const surface = i % (o.surfaceEvery ?? 1) === 0;
      for (const failure of await check(subjectOf(o.kind, v), props, surface)) {
        counts.set(failure.category, (counts.get(failure.category) ?? 0) + 1);
        if (!first.has(failure.category)) first.set(failure.category, { idx: i, value: v, failure, surface });
      }
      o.onProgress?.(i + 1);
      return true;
    }),
    { seed: o.seed, numRuns: o.numRuns },
  );
  const recorded = { ...stats };
  const found: Found[] = [];
  const shrinkEnd = Math.min(Date.now() + (o.shrinkBudgetMs ?? Infinity), o.shrinkDeadline ?? Infinity);
  // wrong numbers and crashes first, type errors last: the shrinking budget goes to what matters most
  const order = (c: string) => (/^types/.test(c) ? 2 : /^(first|second):/.test(c) ? 0 : 1);
  for (const [category, f] of [...first].sort((a, b) => order(a[0]) - order(b[0]))) {
    let shrunk = { value: f.value, failure: f.failure, path: String(f.idx), steps: 0 };
    const left = Math.min(o.shrinkMs ?? 60_000, shrinkEnd - Date.now());
    if (o.shrink !== false && !o.known?.has(category) && left > 0 && !o.stop?.()) shrunk = await shrinkOne(o, category, f.idx, f, left);
    found.push({ kind: o.kind, category, culprit: f.failure.culprit, seed: o.seed, path: String(f.idx), count: counts.get(category) ?? 1, original: { value: f.value, failure: f.failure }, shrunk });
  }
  return { programs: idx, found, counts, stats: recorded, ms: Date.now() - t0 };
}

async function shrinkOne(o: BatchOptions, category: string, idx: number, orig: { value: unknown; failure: Failure; surface: boolean }, ms: number) {
  const arb = arbitraries[o.kind] as fc.Arbitrary<unknown>;
  const props = propsFor(category, o.props);
  let last = { value: orig.value, failure: orig.failure };
  let steps = 0;
  const r = await fc.check(
    fc.asyncProperty(arb, async (v) => {
      if (o.stop?.()) return true;
      // (with the markers the program was found with: a category names them)
      const failure = (await check(subjectOf(o.kind, v), props, orig.surface)).find((f) => f.category === category);
      if (failure) {
        last = { value: v, failure };
        steps++;
        return false;
      }
      return true;
    }),
    { seed: o.seed, path: String(idx), numRuns: 1, plugins: [fc.interruptAfterTimeLimit(ms)] },
  );
  return { ...last, path: r.counterexamplePath ?? String(idx), steps };
}

export { stats };
