// Development aid: replay one generated program (seed and path, as printed by
// the fuzzer or by audit.js) and shrink it on a category (a regular expression).
// node dist/test/fuzz/replay.js <kind> <seed> <path> <props> <categoryRegex> [shrinkSeconds] [--save]
// --save writes the shrunk program as a fixture (fixture.ts), as `npm run fuzz` does
// for a new category, also when its category already has one. --no-surface replays
// without the jacobian/hessian markers (a program the run's --surface-every skipped).
import path from "node:path";
import fc from "fast-check";
import { check, fmtArg, stablePoints, type Failure, type Prop } from "./check.js";
import { arbitraries, subjectOf, textOf, type Kind } from "./engine.js";
import { writeFixture } from "./fixture.js";

const save = process.argv.includes("--save");
const surface = !process.argv.includes("--no-surface");
const [kind, seed, path0, propList, re, secs] = process.argv.slice(2).filter((a) => a !== "--save" && a !== "--no-surface");
const props = propList.split(",") as Prop[];
const category = new RegExp(re);
let last: { v: unknown; message: string; category: string; failure: Failure } | undefined;
let steps = 0;
const r = await fc.check(
  fc.asyncProperty(arbitraries[kind as Kind] as fc.Arbitrary<unknown>, async (v) => {
    const f = (await check(subjectOf(kind as Kind, v), props, surface)).find((x) => category.test(x.category));
    if (!f) return true;
    last = { v, message: f.message, category: f.category, failure: f };
    steps++;
    return false;
  }),
  { seed: Number(seed), path: path0, numRuns: 1, plugins: [fc.interruptAfterTimeLimit(Number(secs ?? 120) * 1000)] },
);
if (!last) console.log("did not fail");
else {
  const s = subjectOf(kind as Kind, last.v);
  console.log(`${last.category} (path ${r.counterexamplePath}, ${steps} failing steps)\n${textOf(kind as Kind, last.v)}// points: ${s.points.map((p) => `(${p.map(fmtArg).join(", ")})`).join("  ")}\n${last.message}`);
  if (save) {
    const stable = await stablePoints(s);
    const keep = s.points.filter((_, i) => stable[i] || i === last!.failure.point);
    const shrunk = { value: last.v, failure: last.failure, path: r.counterexamplePath ?? path0, steps };
    const file = writeFixture({ kind: kind as Kind, category: last.category, culprit: last.failure.culprit, seed: Number(seed), path: path0, count: 1, original: shrunk, shrunk }, keep.length ? keep : s.points);
    console.log(`→ saved as ${path.relative(process.cwd(), file)}`);
  }
}
