// Compile-time diagnostics: file, line, column, the construct's name and a
// code frame. Lowering throws a DiagnosticError to abandon a function; the
// compiler collects them and emits nothing for a module that has any.
import ts from "typescript";

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

export function fail(node: ts.Node, code: string, message: string): never {
  throw new DiagnosticError(makeDiagnostic(node, code, message));
}

/** Two lines of context, the line, a caret under the construct. */
export function codeFrame(text: string, line: number, col: number, length: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(0, line - 2);
  const width = String(line + 2).length;
  const out: string[] = [];
  for (let i = from; i <= Math.min(lines.length - 1, line + 1); i++) {
    const mark = i === line ? ">" : " ";
    out.push(`${mark} ${String(i + 1).padStart(width)} | ${lines[i]}`);
    if (i === line) {
      const span = Math.max(1, Math.min(length, lines[i].length - col));
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(col)}${"^".repeat(span)}`);
    }
  }
  return out.join("\n");
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
