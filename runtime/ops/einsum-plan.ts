// einsum's subscripts read once into a plan of movement ops, a product and a
// sum, so the compiler lowers einsum into primitives that already have
// derivatives, batching rules and WebGPU kernels (compiler/front/einsum.ts)
// and the runtime's plain call runs the same plan (runtime/ops/einsum.ts).
// Letters are addressed by negative dims only: the dims an ellipsis stands for
// stay in front, so one plan serves every rank. No imports: the compiler reads
// this file too.

/** One step on an operand or on the product: dims are negative (counted from the end). */
export type EinsumStep =
  | { k: "diagonal"; d1: number; d2: number }
  | { k: "sum"; dims: number[] }
  | { k: "movedim"; src: number[]; dst: number[] }
  | { k: "unsqueeze"; dim: number };

/** One operand's subscripts: its letters before and after the ellipsis (all in `tail` without one). */
export interface EinsumTerm {
  head: string[];
  ellipsis: boolean;
  tail: string[];
}

export interface EinsumPlan {
  inputs: EinsumTerm[];
  output: EinsumTerm;
  /** per operand: the steps that give it the layout [...batch, letters of `order`] (size 1 where missing) */
  operands: EinsumStep[][];
  /** after the product of the operands: the contracted letters summed, the output's order restored */
  after: EinsumStep[];
}

const LETTER = /^[A-Za-z]$/;

function term(text: string, what: string): EinsumTerm {
  const parts = text.split("...");
  if (parts.length > 2) throw new RangeError(`einsum: ${what} "${text}" has more than one ellipsis`);
  for (const p of parts) for (const c of p) if (!LETTER.test(c)) throw new RangeError(`einsum: ${what} "${text}" holds '${c}': subscripts are letters a-z, A-Z and one "..."`);
  return parts.length === 2 ? { head: [...parts[0]], ellipsis: true, tail: [...parts[1]] } : { head: [], ellipsis: false, tail: [...parts[0]] };
}

/** The letters of a term, in order. */
export const lettersOf = (t: EinsumTerm) => [...t.head, ...t.tail];

/** Reads `subscripts` for `count` operands: a RangeError naming einsum for anything malformed. */
export function parseEinsum(subscripts: string, count: number): { inputs: EinsumTerm[]; output: EinsumTerm } {
  const eq = subscripts.replace(/\s+/g, "");
  const arrow = eq.split("->");
  if (arrow.length > 2) throw new RangeError(`einsum: subscripts "${subscripts}" have more than one "->"`);
  const inputs = arrow[0].split(",").map((t, i) => term(t, `operand ${i}'s subscripts`));
  if (inputs.length !== count) throw new RangeError(`einsum: subscripts "${subscripts}" name ${inputs.length} operand(s), got ${count}`);
  const counts = new Map<string, number>();
  for (const t of inputs) for (const c of lettersOf(t)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const anyEllipsis = inputs.some((t) => t.ellipsis);
  let output: EinsumTerm;
  if (arrow.length === 2) {
    output = term(arrow[1], "the output's subscripts");
    const seen = new Set<string>();
    for (const c of lettersOf(output)) {
      if (seen.has(c)) throw new RangeError(`einsum: output subscript '${c}' appears more than once in "${subscripts}"`);
      if (!counts.has(c)) throw new RangeError(`einsum: output subscript '${c}' does not appear in the operands' subscripts "${arrow[0]}"`);
      seen.add(c);
    }
    if (anyEllipsis && !output.ellipsis) throw new RangeError(`einsum: the output of "${subscripts}" must keep the ellipsis (summing the dims an ellipsis stands for is not supported)`);
    if (output.ellipsis && !anyEllipsis) throw new RangeError(`einsum: the output of "${subscripts}" has an ellipsis that no operand has`);
  } else {
    // implicit output: the letters that appear once, in alphabetical order (A-Z before a-z, as PyTorch), after the ellipsis
    const once = [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort();
    output = { head: [], ellipsis: anyEllipsis, tail: once };
  }
  return { inputs, output };
}

/** The plan of `subscripts` for `count` operands (see EinsumPlan). */
export function planEinsum(subscripts: string, count: number): EinsumPlan {
  const { inputs, output } = parseEinsum(subscripts, count);
  const outLetters = lettersOf(output);
  const uses = new Map<string, number>();
  for (const t of inputs) for (const c of new Set(lettersOf(t))) uses.set(c, (uses.get(c) ?? 0) + 1);
  // the common layout: the output's letters, then the letters summed after the product
  const contracted = [...uses.keys()].filter((c) => !outLetters.includes(c) && uses.get(c)! > 1);
  const order = [...outLetters, ...contracted];
  const operands = inputs.map((t) => operandSteps(t, order, outLetters, uses));
  const after: EinsumStep[] = [];
  if (contracted.length) after.push({ k: "sum", dims: contracted.map((_, i) => i - contracted.length) });
  // an output ellipsis after some letters: those letters go back in front
  if (output.head.length) after.push({ k: "movedim", src: output.head.map((_, i) => i - outLetters.length), dst: output.head.map((_, i) => i) });
  return { inputs, output, operands, after };
}

function operandSteps(t: EinsumTerm, order: string[], outLetters: string[], uses: Map<string, number>): EinsumStep[] {
  const steps: EinsumStep[] = [];
  // letters before an ellipsis move to just before those after it: every letter then sits at a known negative dim
  if (t.ellipsis && t.head.length) {
    const n = t.head.length + t.tail.length;
    steps.push({ k: "movedim", src: t.head.map((_, i) => i), dst: t.head.map((_, i) => i - n) });
  }
  const cur = lettersOf(t);
  const at = (i: number) => i - cur.length;
  // a repeated letter: its diagonal (which goes last)
  for (;;) {
    const i = cur.findIndex((c, k) => cur.indexOf(c) !== k);
    if (i < 0) break;
    const first = cur.indexOf(cur[i]);
    steps.push({ k: "diagonal", d1: at(first), d2: at(i) });
    const c = cur[i];
    cur.splice(i, 1);
    cur.splice(first, 1);
    cur.push(c);
  }
  // a letter of this operand only, not in the output: summed right away
  const own = cur.filter((c) => uses.get(c) === 1 && !outLetters.includes(c));
  if (own.length) {
    steps.push({ k: "sum", dims: own.map((c) => at(cur.indexOf(c))) });
    for (const c of own) cur.splice(cur.indexOf(c), 1);
  }
  // the letters in the common order, then a size-1 dim for each one missing
  const sorted = [...cur].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (sorted.some((c, i) => c !== cur[i])) steps.push({ k: "movedim", src: sorted.map((c) => at(cur.indexOf(c))), dst: sorted.map((_, i) => at(i)) });
  const have = new Set(sorted);
  for (const [j, c] of order.entries()) {
    if (have.has(c)) continue;
    // the letters after c that are already there
    const after = order.slice(j + 1).filter((x) => have.has(x)).length;
    steps.push({ k: "unsqueeze", dim: -(after + 1) });
    have.add(c);
  }
  return steps;
}

/**
 * The sizes the operands give each letter, checked as PyTorch does: a repeated letter within one
 * operand has one size, across operands sizes agree or are 1 (broadcast); a rank that does not fit
 * the subscripts is a RangeError naming einsum and the shapes.
 */
export function checkEinsum(subscripts: string, shapes: readonly (readonly number[])[], plan = planEinsum(subscripts, shapes.length)): void {
  const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
  const all = shapes.map(fmt).join(", ");
  const size = new Map<string, number>();
  plan.inputs.forEach((t, i) => {
    const s = shapes[i];
    const n = t.head.length + t.tail.length;
    if (t.ellipsis ? s.length < n : s.length !== n) {
      throw new RangeError(`einsum: operand ${i} of shape ${fmt(s)} has ${s.length} dim(s) but its subscripts "${[t.head.join(""), t.tail.join("")].join(t.ellipsis ? "..." : "")}" name ${t.ellipsis ? "at least " : ""}${n} (operands ${all})`);
    }
    const own = new Map<string, number>();
    const dimsOf = [...t.head.map((c, k) => [c, s[k]] as const), ...t.tail.map((c, k) => [c, s[s.length - t.tail.length + k]] as const)];
    for (const [c, d] of dimsOf) {
      if (own.has(c) && own.get(c) !== d) throw new RangeError(`einsum: subscript '${c}' is repeated in operand ${i} of shape ${fmt(s)} with sizes ${own.get(c)} and ${d} (operands ${all})`);
      own.set(c, d);
      const prev = size.get(c);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) throw new RangeError(`einsum: subscript '${c}' has size ${prev} in one operand and ${d} in operand ${i} (operands ${all})`);
      if (prev === undefined || prev === 1) size.set(c, d);
    }
  });
  // the dims an ellipsis stands for broadcast together
  const fromEnd: number[] = [];
  plan.inputs.forEach((t, i) => {
    if (!t.ellipsis) return;
    const s = shapes[i];
    const e = s.slice(t.head.length, s.length - t.tail.length);
    for (let k = 1; k <= e.length; k++) {
      const d = e[e.length - k], prev = fromEnd[k - 1];
      if (prev === undefined || prev === 1) fromEnd[k - 1] = d;
      else if (d !== prev && d !== 1) throw new RangeError(`einsum: the dims the ellipsis stands for do not broadcast (operands ${all})`);
    }
  });
}
