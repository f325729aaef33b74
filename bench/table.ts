// The benchmark table: one row per measurement, printed as Markdown so that a
// run's output pastes into BENCHMARKS.md as it is.

export interface Row {
  name: string;
  size: string;
  jacc: string; // jacc's time (or measured value)
  ref: string; // the reference's time (or value)
  ratio: string;
  target: string;
  verdict: "PASS" | "MISS" | "info" | "WRONG" | "—";
}

export function verdict(value: number | undefined, max: number | undefined): Row["verdict"] {
  if (value === undefined || !Number.isFinite(value)) return "—";
  if (max === undefined) return "info";
  return value <= max ? "PASS" : "MISS";
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "—";
  if (r >= 100) return r.toFixed(0);
  if (r >= 0.1) return r.toPrecision(3);
  return `${r.toPrecision(2)} (1/${(1 / r).toPrecision(3)})`;
}

export function printTable(title: string, rows: Row[]): void {
  const head = ["benchmark", "size", "jacc", "reference", "ratio", "target", "verdict"];
  const cells = rows.map((r) => [r.name, r.size, r.jacc, r.ref, r.ratio, r.target, r.verdict]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => "| " + c.map((x, i) => x.padEnd(widths[i])).join(" | ") + " |";
  console.log(`\n### ${title}\n`);
  console.log(line(head));
  console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
  for (const c of cells) console.log(line(c));
}
