// Development aid: replay one generated program (seed and path, as printed by
// the fuzzer or by audit.js) and shrink it on a category (a regular expression).
// node dist/test/fuzz/replay.js <kind> <seed> <path> <props> <categoryRegex> [shrinkSeconds]
import fc from "fast-check";
import { check, fmtArg, type Prop } from "./check.js";
import { arbitraries, subjectOf, textOf, type Kind } from "./engine.js";

const [kind, seed, path, propList, re, secs] = process.argv.slice(2);
const props = propList.split(",") as Prop[];
const category = new RegExp(re);
let last: { v: unknown; message: string; category: string } | undefined;
let steps = 0;
const r = await fc.check(
  fc.asyncProperty(arbitraries[kind as Kind] as fc.Arbitrary<unknown>, async (v) => {
    const f = (await check(subjectOf(kind as Kind, v), props)).find((x) => category.test(x.category));
    if (!f) return true;
    last = { v, message: f.message, category: f.category };
    steps++;
    return false;
  }),
  { seed: Number(seed), path, numRuns: 1, plugins: [fc.interruptAfterTimeLimit(Number(secs ?? 120) * 1000)] },
);
if (!last) console.log("did not fail");
else {
  const s = subjectOf(kind as Kind, last.v);
  console.log(`${last.category} (path ${r.counterexamplePath}, ${steps} failing steps)\n${textOf(kind as Kind, last.v)}// points: ${s.points.map((p) => `(${p.map(fmtArg).join(", ")})`).join("  ")}\n${last.message}`);
}
