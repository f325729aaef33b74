// Child process of the benchmarks (node dist/bench/compile-time.js): times
// compileModule on the generated ~1,000-line module with 20 markers. Run in a
// fresh process so that the first call is really cold (TypeScript's parser and
// the compiler not yet JIT-compiled). Prints one JSON object.
// (Nothing here imports jacc/compiler statically, so that loading it, with
// TypeScript, is timed on its own.)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateModule } from "./genmodule.js";
import { median } from "./timing.js";

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

let t0 = now();
const { compileModule } = await import("jacc/compiler");
const importTime = now() - t0;

const { source, lines, markers } = generateModule();
const fileName = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../.tmp/bench/generated-1000.ts");

t0 = now();
const first = compileModule(source, fileName, { target: "js" });
const cold = now() - t0;

// warm: repeat until >= 2 s and >= 5 calls, median
function warmRuns(target: "js" | "ts"): number[] {
  const ts: number[] = [];
  let spent = 0;
  while (ts.length < 5 || spent < 2) {
    t0 = now();
    compileModule(source, fileName, { target });
    const t = now() - t0;
    ts.push(t);
    spent += t;
  }
  return ts;
}
const warm = warmRuns("js");
// target "ts" skips the final type-stripping of the whole output
const warmTs = warmRuns("ts");

console.log(
  JSON.stringify({
    lines,
    markers,
    diagnostics: first.diagnostics.length,
    outputLines: first.code.split("\n").length,
    importTime,
    cold,
    warmMedian: median(warm),
    warmMin: Math.min(...warm),
    warmRuns: warm.length,
    warmTsMedian: median(warmTs),
  }),
);
