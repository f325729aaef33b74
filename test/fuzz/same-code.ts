// Whether another build of jacc compiles the fuzzer's programs to the same code
// as this one: the modules a fuzz run compiles (every marker family, targets js
// and ts), compared text for text. A long fuzz run covers one compiler; where
// later commits leave every generated program's code unchanged, the run covers
// them too. Compiles only (no checks run), so it is cheap next to the fuzz.
//   node dist/test/fuzz/same-code.js OTHER_CHECKOUT [programs = 200] [seed = 1]
// OTHER_CHECKOUT is a built checkout (its dist/compiler/index.js is loaded).
import fc from "fast-check";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compileModule } from "../../compiler/index.js";
import { markerCode } from "./check.js";
import { arbitraries, subjectOf, type Kind } from "./engine.js";
import { repoRoot } from "../util/compile.js";

const [other, programs = "200", seed = "1"] = process.argv.slice(2);
if (!other) {
  console.log("usage: node dist/test/fuzz/same-code.js OTHER_CHECKOUT [programs] [seed]");
  process.exit(2);
}
const theirs = (await import(pathToFileURL(path.resolve(other, "dist/compiler/index.js")).href)) as { compileModule: typeof compileModule };
const file = path.join(repoRoot, ".tmp", "same-code", "m.ts");
const code = (compile: typeof compileModule, text: string, target: "js" | "ts"): string => {
  try {
    return compile(text, file, { target }).code;
  } catch (e) {
    return `threw: ${(e as Error).message}`;
  }
};
let same = 0;
const differ: string[] = [];
for (const kind of ["scalar", "tensor"] as Kind[]) {
  // (the fuzzer's mix: three scalar programs to one tensor program)
  const n = kind === "scalar" ? Number(programs) : Math.ceil(Number(programs) / 3);
  fc.sample(arbitraries[kind] as fc.Arbitrary<unknown>, { numRuns: n, seed: Number(seed) + (kind === "tensor" ? 1 : 0) }).forEach((v, i) => {
    const text = markerCode(subjectOf(kind, v), ["first", "second", "vmap"], true);
    for (const target of ["js", "ts"] as const) {
      if (code(compileModule, text, target) === code(theirs.compileModule, text, target)) same++;
      else differ.push(`${kind} #${i} (seed ${Number(seed) + (kind === "tensor" ? 1 : 0)}), target ${target}`);
    }
  });
}
console.log(`${same} of ${same + differ.length} compiled modules identical${differ.length ? `; different:\n  ${differ.slice(0, 20).join("\n  ")}` : ""}`);
process.exit(differ.length ? 1 : 0);
