// Helpers for the diagnostic tests: a bad program is written with a `‸` where
// the diagnostic must point; the mark is removed before compiling and its
// offset gives the expected line and column. Every check also compiles a good
// module right after, to show that other modules are unaffected.
import fs from "node:fs";
import path from "node:path";
import * as assert from "uvu/assert";
import { compileModule, formatDiagnostic, type Diagnostic } from "../../compiler/index.js";
import { compileAndImport, tmpDir } from "./compile.js";

export const MARK = "‸";
export const IMPORTS = `import { grad, jacrev, jacfwd, jacobian, hessian, vjp, jvp, vmap } from "jacc";\n`;
export const diagDir = path.join(tmpDir, "diag");

export interface Expected {
  /** the diagnostic's code: "unsupported-construct", "invalid-option", … */
  code: string;
  /** every pattern must match the message (the construct's name, the option, …) */
  message: RegExp[];
  /** the file the diagnostic must name (default: the compiled module) */
  file?: string;
  /** the text of the file named by the diagnostic, with the mark (default: the compiled module's) */
  fileText?: string;
}

/** Line and column (1-based) of an offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

/** Removes the mark, returning the text and the mark's offset. */
export function unmark(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf(MARK);
  if (offset < 0 || marked.indexOf(MARK, offset + 1) >= 0) throw new Error(`test bug: exactly one ${MARK} expected in:\n${marked}`);
  return { text: marked.slice(0, offset) + marked.slice(offset + MARK.length), offset };
}

/** Checks one diagnostic against the mark in `fileText`: position, frame, caret, message. */
export function checkDiagnostic(d: Diagnostic, marked: string, file: string, exp: Expected): void {
  const { text, offset } = unmark(marked);
  const { line, col } = lineCol(text, offset);
  const shown = formatDiagnostic(d);
  assert.is(d.file, file, `file\n${shown}`);
  assert.is(d.code, exp.code, `code\n${shown}`);
  assert.is(d.severity, "error", `severity\n${shown}`);
  assert.equal([d.line, d.col], [line, col], `line:col\n${shown}`);
  assert.is(d.start, offset, `start offset\n${shown}`);
  assert.ok(d.length > 0, `length\n${shown}`);
  for (const re of exp.message) assert.ok(re.test(d.message), `message should match ${re}\n${shown}`);
  // The frame shows the offending line, and a caret under the construct's first character.
  const srcLine = text.split("\n")[line - 1];
  const frameLines = d.frame.split("\n");
  const at = frameLines.findIndex((l) => l.endsWith(srcLine) && /^\s*>/.test(l));
  assert.ok(at >= 0, `the frame should show line ${line} (${JSON.stringify(srcLine)}), marked with '>'\n${d.frame}`);
  const caretLine = frameLines[at + 1] ?? "";
  const gutter = frameLines[at].length - srcLine.length;
  assert.ok(caretLine.includes("^"), `a caret line should follow the offending line\n${d.frame}`);
  assert.is(caretLine.indexOf("^"), gutter + col - 1, `the caret should be under column ${col}\n${d.frame}`);
}

/**
 * Compiles `marked` (after IMPORTS unless `raw`) and checks that it fails with
 * exactly one diagnostic as expected, and that nothing is emitted. Returns the diagnostics.
 */
export function expectDiagnostic(name: string, marked: string, exp: Expected, raw = false): Diagnostic[] {
  const full = raw ? marked : IMPORTS + marked;
  const file = path.join(diagDir, `${name}.ts`);
  const source = full.replaceAll(MARK, "");
  const r = compileModule(source, file, { target: "js" });
  assert.is(r.code, "", `nothing must be emitted for a module with a diagnostic, got:\n${r.code.slice(0, 300)}`);
  assert.ok(r.diagnostics.length >= 1, "expected a diagnostic, got none");
  assert.is(r.diagnostics.length, 1, `expected one diagnostic, got:\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
  checkDiagnostic(r.diagnostics[0], exp.fileText ?? full, exp.file ?? file, exp);
  return r.diagnostics;
}

/** A good module compiled after a bad one still works (other modules are unaffected). */
export async function goodModuleWorks(tag: string): Promise<void> {
  const m = await compileAndImport<{ d: (x: number) => number; j: (x: number, y: number) => number[] }>(
    `import { grad, jacfwd } from "jacc";
export const cube = (x: number) => x * x * x;
export const d = grad(cube);
export const j = jacfwd((x: number, y: number) => Math.sin(x) * y, { argnums: [0, 1] });
`,
    `diag-good-${tag}`,
  );
  assert.is(m.d(2), 12, "grad of x³ at 2 after a failed module");
  const [jx, jy] = m.j(0, 3);
  assert.equal([jx, jy], [3, 0], "jacfwd after a failed module");
}

/** Writes a helper module next to the compiled ones (for diagnostics in imported files). */
export function writeHelper(name: string, text: string): string {
  fs.mkdirSync(diagDir, { recursive: true });
  const file = path.join(diagDir, name);
  fs.writeFileSync(file, text);
  return file;
}
