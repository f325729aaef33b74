// Prints a few generated programs (development aid): node dist/test/fuzz/sample.js [count] [seed]
import fc from "fast-check";
import { renderScalar, scalarCase, argsOf } from "./gen.js";

const n = Number(process.argv[2] ?? 3);
const seed = Number(process.argv[3] ?? 1);
for (const c of fc.sample(scalarCase, { numRuns: n, seed })) {
  console.log(renderScalar(c.prog));
  console.log("// points", JSON.stringify([argsOf(c, 0), argsOf(c, 1)].map((a) => a.map((x) => (typeof x === "number" ? x : [...x])))));
  console.log("// ----");
}
