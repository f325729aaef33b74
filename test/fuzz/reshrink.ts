// Shrinks saved counterexamples further (when the run's shrinking budget ran
// out): replays each fixture's seed and path (from its header) with fast-check,
// keeps shrinking on the same failure category, and rewrites the fixture when
// a smaller program still fails that way.
// node dist/test/fuzz/reshrink.js [--seconds N] fixtures/scalar/fuzz_x.ts …
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { ALL_PROPS, check, stablePoints } from "./check.js";
import { arbitraries, propsFor, subjectOf, textOf, type Found, type Kind } from "./engine.js";
import { writeFixture, type Meta } from "./fixture.js";

const i = process.argv.indexOf("--seconds");
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 180;
const files = process.argv.slice(2).filter((a, k, all) => a !== "--seconds" && all[k - 1] !== "--seconds");

for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const head = /^\/\/ Found by the fuzzer .*: seed (\d+), path (\S+)$/m.exec(text);
  const metaLine = /^\/\/ fuzz: (\{.*\})$/m.exec(text);
  if (!head || !metaLine) {
    console.log(`${file}: no fuzzer header, skipped`);
    continue;
  }
  const meta = JSON.parse(metaLine[1]) as Meta;
  const kind = meta.kind as Kind;
  const [seed, p] = [Number(head[1]), head[2]];
  const props = propsFor(meta.category, ALL_PROPS);
  let last: { value: unknown; failure: Found["shrunk"]["failure"] } | undefined;
  let steps = 0;
  const r = await fc.check(
    fc.asyncProperty(arbitraries[kind] as fc.Arbitrary<unknown>, async (v) => {
      const failure = (await check(subjectOf(kind, v), props)).find((f) => f.category === meta.category);
      if (!failure) return true;
      last = { value: v, failure };
      steps++;
      return false;
    }),
    { seed, path: p, numRuns: 1, plugins: [fc.interruptAfterTimeLimit(seconds * 1000)] },
  );
  if (!last) {
    console.log(`${file}: does not fail as "${meta.category}" any more (or the generator changed)`);
    continue;
  }
  const before = text.length;
  const found: Found = { kind, category: meta.category, culprit: "compiler", seed, path: p, count: 1, original: last, shrunk: { ...last, path: r.counterexamplePath ?? p, steps } };
  const s = subjectOf(kind, last.value);
  const stable = await stablePoints(s);
  const keep = s.points.filter((_, k) => stable[k] || k === last!.failure.point);
  fs.unlinkSync(file);
  const out = writeFixture(found, keep.length ? keep : s.points);
  console.log(`${file} → ${path.relative(process.cwd(), out)} (${steps} steps; ${before} → ${fs.readFileSync(out, "utf8").length} characters)\n${textOf(kind, last.value)}`);
}
