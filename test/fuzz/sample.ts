// Prints a few generated programs (development aid): node dist/test/fuzz/sample.js [count] [seed] [scalar|tensor]
import fc from "fast-check";
import { fmtArg } from "./check.js";
import { arbitraries, subjectOf, textOf, type Kind } from "./engine.js";

const n = Number(process.argv[2] ?? 3);
const seed = Number(process.argv[3] ?? 1);
const kind = (process.argv[4] ?? "scalar") as Kind;
for (const c of fc.sample(arbitraries[kind] as fc.Arbitrary<unknown>, { numRuns: n, seed })) {
  console.log(textOf(kind, c));
  console.log(`// points: ${subjectOf(kind, c).points.map((p) => `(${p.map(fmtArg).join(", ")})`).join("  ")}`);
  console.log("// ----");
}
