// Golden emitted code: each fixtures/golden/<name>.ts (a small module with a
// marker) is compiled with compileModule(source, "<name>.ts", { target: "ts" })
// and the code must equal fixtures/golden/<name>.expected.ts byte for byte, so
// that every change to the generated code shows up in review as a diff of the
// expected files.
//
// After an intended change to the emitted code, rewrite the expected files with
//
//   UPDATE_GOLDEN=1 npm test
//
// (or `npm run build && UPDATE_GOLDEN=1 node test/run.mjs`), then review and
// commit the diff of fixtures/golden/*.expected.ts with the compiler change.
import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileModule, formatDiagnostic } from "../compiler/index.js";
import { repoRoot } from "./util/compile.js";

const dir = path.join(repoRoot, "fixtures", "golden");
const update = process.env.UPDATE_GOLDEN === "1";
const sources = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".expected.ts")).sort();

/** The first differing line with a little context, for a readable failure. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  const from = Math.max(0, i - 2);
  const show = (lines: string[]) => lines.slice(from, i + 3).map((l, k) => `${String(from + k + 1).padStart(5)} | ${l}`).join("\n");
  return `first difference at line ${i + 1} (${a.length} lines emitted, ${e.length} expected)\n  emitted:\n${show(a)}\n  expected:\n${show(e)}`;
}

test("fixtures/golden: there are golden fixtures", () => {
  assert.ok(sources.length >= 3, `expected at least 3 golden fixtures in ${dir}, found ${sources.length}`);
});

for (const file of sources) {
  const name = path.basename(file, ".ts");
  test(`golden/${name}: emitted code equals ${name}.expected.ts`, () => {
    const source = fs.readFileSync(path.join(dir, file), "utf8");
    const r = compileModule(source, `${name}.ts`, { target: "ts", checkIR: true });
    assert.equal(r.diagnostics.map(formatDiagnostic), [], "no diagnostics");
    assert.ok(r.changed, "the module has a marker, so it changes");
    const expectedFile = path.join(dir, `${name}.expected.ts`);
    if (update) {
      fs.writeFileSync(expectedFile, r.code);
      return;
    }
    if (!fs.existsSync(expectedFile)) assert.unreachable(`${name}.expected.ts is missing: run UPDATE_GOLDEN=1 npm test to write it`);
    const expected = fs.readFileSync(expectedFile, "utf8");
    if (r.code !== expected) {
      assert.unreachable(`the emitted code of ${file} changed (run UPDATE_GOLDEN=1 npm test to accept it, and review the diff)\n${firstDifference(r.code, expected)}`);
    }
  });
}

test.run();
