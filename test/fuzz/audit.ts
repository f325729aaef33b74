// Development aid: every failure of a sample, to audit the generator and the
// tolerances (no shrinking). node dist/test/fuzz/audit.js <kind> <count> <seed> [props] [categoryRegex]
import fc from "fast-check";
import { check, fmtArg, stats, type Prop } from "./check.js";
import { arbitraries, subjectOf, textOf, type Kind } from "./engine.js";

const kind = (process.argv[2] ?? "scalar") as Kind;
const count = Number(process.argv[3] ?? 100);
const seed = Number(process.argv[4] ?? 1);
const props = (process.argv[5] ?? "first,second").split(",") as Prop[];
const only = new RegExp(process.argv[6] ?? ".");
const counts = new Map<string, number>();
const t0 = Date.now();
let i = 0;
for (const v of fc.sample(arbitraries[kind] as fc.Arbitrary<unknown>, { numRuns: count, seed })) {
  const s = subjectOf(kind, v);
  for (const f of await check(s, props)) {
    counts.set(f.category, (counts.get(f.category) ?? 0) + 1);
    if (!only.test(f.category)) continue;
    console.log(`\n===== #${i} ${f.category}\n${textOf(kind, v)}// points: ${s.points.map((p) => `(${p.map(fmtArg).join(", ")})`).join("  ")}\n${f.message}`);
  }
  i++;
}
console.log(`\n${count} programs in ${Date.now() - t0} ms`, stats);
for (const [c, n] of counts) console.log(`${n}× ${c}`);
