// Counterexamples as fixtures. A scalar program becomes
// fixtures/scalar/fuzz_<hash>.ts in the format of the other scalar fixtures
// (the exported function f and `export const points`), so the fixture harness
// (test/fixtures-scalar.test.ts) runs it through every marker; a tensor program
// becomes fixtures/fuzz-tensor/fuzz_<hash>.ts. Both carry a `// fuzz: {…}`
// line with what test/fuzz.test.ts needs to replay them through the fuzzer's
// own properties (tight forward == reverse, hessians, vmap, emitted types).
// A fixture may also carry a `// open: <why>` line: a compiler bug found and
// reported but not fixed yet (in code this fuzzer's authors do not own); its
// replay and its category in the bounded pass are reported, not failed, and
// whoever fixes the bug deletes the line.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { Tensor } from "jacc";
import { repoRoot } from "../util/compile.js";
import type { Arg, Subject } from "./check.js";
import type { Found } from "./engine.js";
import { subjectOf } from "./engine.js";

export const scalarDir = path.join(repoRoot, "fixtures", "scalar");
export const tensorDir = path.join(repoRoot, "fixtures", "fuzz-tensor");

type Encoded = number | { arr: number[] } | { f64: number[] } | { tensor: number[]; shape: number[] };
export interface Meta {
  kind: "scalar" | "tensor";
  category: string;
  params: Subject["params"];
  outShapes: number[][];
  tuple: boolean;
  scalarOut: boolean;
  tensorOut?: boolean;
  points: Encoded[][];
}

const encode = (a: Arg): Encoded =>
  typeof a === "number" ? a : a instanceof Tensor ? { tensor: [...a.data], shape: [...a.shape] } : a instanceof Float64Array ? { f64: [...a] } : { arr: [...a] };
const decode = (e: Encoded): Arg =>
  typeof e === "number" ? e : "tensor" in e ? new Tensor(Float64Array.from(e.tensor), e.shape) : "f64" in e ? Float64Array.from(e.f64) : [...e.arr];

function nested(data: number[], shape: number[]): string {
  if (shape.length === 0) return String(data[0]);
  const step = shape.slice(1).reduce((a, b) => a * b, 1);
  return `[${Array.from({ length: shape[0] }, (_, i) => nested(data.slice(i * step, (i + 1) * step), shape.slice(1))).join(", ")}]`;
}
const literal = (a: Arg): string =>
  typeof a === "number"
    ? String(a)
    : a instanceof Tensor
      ? `tensor(${nested([...a.data], [...a.shape])}, { dtype: "float64" })`
      : a instanceof Float64Array
        ? `new Float64Array([${[...a].join(", ")}])`
        : `[${a.join(", ")}]`;

const comment = (text: string, max = 14): string[] => {
  const lines = text.split("\n");
  // (never `from "jacc"` in a scalar fixture, not even in a comment: the fixture harness checks that fixtures hold no markers)
  return [...lines.slice(0, max), ...(lines.length > max ? ["…"] : [])]
    .map((l) => l.replace(/from\s+(["'])jacc\1/g, "from <jacc>").split(`file://${repoRoot}/`).join("").split(`${repoRoot}/`).join(""))
    .map((l) => `// ${l.length > 150 ? l.slice(0, 150) + " …" : l}`.trimEnd());
};

/**
 * The fixture file for a found failure. `points` are the points to keep (the
 * caller drops those next to a kink, where finite differences, and so the
 * fixture harness, say nothing).
 */
export function fixtureFor(found: Found, pts: Arg[][]): { file: string; text: string } {
  const s = subjectOf(found.kind, found.shrunk.value);
  // (shrinking often makes the two points equal)
  const points = pts.filter((p, i) => pts.findIndex((q) => JSON.stringify(q.map(encode)) === JSON.stringify(p.map(encode))) === i);
  const hash = crypto.createHash("sha1").update(s.source).digest("hex").slice(0, 10);
  const meta: Meta = {
    kind: found.kind,
    category: found.category,
    params: s.params,
    outShapes: s.outShapes,
    tuple: s.tuple,
    scalarOut: s.scalarOut,
    tensorOut: s.tensorOut,
    points: points.map((p) => p.map(encode)),
  };
  const lines = [
    `// Found by the fuzzer (test/fuzz, npm run fuzz): seed ${found.seed}, path ${found.shrunk.path}`,
    `// (shrunk in ${found.shrunk.steps} steps; ${found.count} program(s) of that batch failed the same way).`,
    `// ${found.category}`,
    ...comment(found.shrunk.failure.message),
    `// fuzz: ${JSON.stringify(meta)}`,
  ];
  if (s.imports) lines.push(s.imports);
  lines.push(s.source.trimEnd(), "", `export const points = [\n${points.map((p) => `  [${p.map(literal).join(", ")}],`).join("\n")}\n];`, "");
  const dir = found.kind === "scalar" ? scalarDir : tensorDir;
  return { file: path.join(dir, `fuzz_${hash}.ts`), text: lines.join("\n") };
}

export function writeFixture(found: Found, points: Arg[][]): string {
  const { file, text } = fixtureFor(found, points);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return file;
}

/** The fuzz fixtures on disk, with what replaying them needs. */
export interface SavedFixture {
  file: string;
  name: string;
  meta: Meta;
  subject: Subject;
  /** a known, not yet fixed bug (the fixture's `// open: …` line) */
  open?: string;
}

export function readFixtures(): SavedFixture[] {
  const out: SavedFixture[] = [];
  for (const dir of [scalarDir, tensorDir]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((n) => /^fuzz_.*\.ts$/.test(n)).sort()) {
      const file = path.join(dir, f);
      const text = fs.readFileSync(file, "utf8");
      const m = /^\/\/ fuzz: (\{.*\})$/m.exec(text);
      if (!m) continue;
      const meta = JSON.parse(m[1]) as Meta;
      const importLines = text.split("\n").filter((l) => /^import /.test(l));
      const source = text
        .split("\n")
        .filter((l) => !/^import /.test(l))
        .join("\n");
      out.push({
        file,
        name: `${path.basename(dir)}/${f}`,
        meta,
        open: /^\/\/ open: (.*)$/m.exec(text)?.[1],
        subject: {
          source,
          imports: importLines.join("\n") || undefined,
          params: meta.params,
          outShapes: meta.outShapes,
          tuple: meta.tuple,
          scalarOut: meta.scalarOut,
          tensorOut: meta.tensorOut,
          points: meta.points.map((p) => p.map(decode)),
        },
      });
    }
  }
  return out;
}

/** Categories that already have a fixture (a new run does not add another one for them). */
export function knownCategories(): Set<string> {
  return new Set(readFixtures().map((f) => f.meta.category));
}
