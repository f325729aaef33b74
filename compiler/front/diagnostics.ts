// Compile-time diagnostics: file, line, column, the construct's name and a
// code frame. Lowering throws a DiagnosticError to abandon a function; the
// compiler collects them and emits nothing for a module that has any.
import ts from "typescript";
import { codeFrameColumns } from "@babel/code-frame";
import pc from "picocolors";

export interface Diagnostic {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  code: string; // a short stable name: "unsupported-construct", "strict", …
  message: string;
  frame: string;
  severity: "error" | "warning";
  /** character offsets in the source, for tools that report ranges (ts-plugin) */
  start: number;
  length: number;
}

export class DiagnosticError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic));
  }
}

export function makeDiagnostic(node: ts.Node, code: string, message: string): Diagnostic {
  const sf = node.getSourceFile();
  const start = node.getStart(sf);
  const { line, character } = sf.getLineAndCharacterOfPosition(start);
  return {
    file: sf.fileName,
    line: line + 1,
    col: character + 1,
    code,
    message,
    frame: codeFrame(sf.text, line, character, Math.max(1, Math.min(node.getEnd() - start, 200))),
    severity: "error",
    start,
    length: node.getEnd() - start,
  };
}

/** A diagnostic at a 1-based line and column of `sf` (a transform's located error), underlining the word there. */
export function diagnosticAt(sf: ts.SourceFile, line: number, col: number, code: string, message: string): Diagnostic {
  const start = sf.getPositionOfLineAndCharacter(line - 1, col - 1);
  const length = Math.max(1, /^[\w$.]*/.exec(sf.text.slice(start, start + 200))![0].length);
  return { file: sf.fileName, line, col, code, message, frame: codeFrame(sf.text, line - 1, col - 1, length), severity: "error", start, length };
}

export function fail(node: ts.Node, code: string, message: string): never {
  throw new DiagnosticError(makeDiagnostic(node, code, message));
}

/** Two lines of context, the line, carets under the construct (on its first line); coloured on request. */
export function codeFrame(text: string, line: number, col: number, length: number, color = false): string {
  const lineText = text.split(/\r?\n/)[line] ?? "";
  const end = Math.max(col + 1, Math.min(col + length, lineText.length));
  const loc = { start: { line: line + 1, column: col + 1 }, end: { line: line + 1, column: end + 1 } };
  return codeFrameColumns(text, loc, { linesAbove: 2, linesBelow: 1, highlightCode: color, forceColor: color });
}

/**
 * Each diagnostic once: a function reached through several markers (or a
 * helper through several functions) fails the same way each time it is met.
 */
export function uniqueDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = JSON.stringify([d.file, d.start, d.code, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col} - ${d.severity} jacc(${d.code}): ${d.message}\n${d.frame}`;
}

/** formatDiagnostic with ANSI colours; with `source` (the text of d.file) the frame is syntax-highlighted. */
export function formatDiagnosticInColor(d: Diagnostic, source?: string): string {
  const c = pc.createColors(true);
  const sev = d.severity === "error" ? c.red(c.bold("error")) : c.yellow(c.bold("warning"));
  const frame = source === undefined ? d.frame : codeFrame(source, d.line - 1, d.col - 1, d.length, true);
  return `${c.cyan(d.file)}:${c.yellow(String(d.line))}:${c.yellow(String(d.col))} - ${sev} ${c.gray(`jacc(${d.code})`)}: ${d.message}\n${frame}`;
}
