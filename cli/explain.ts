// `jacc explain <file> <name>`: what the compiler made of one marker: the
// generated derivative source, the IR, the static sparsity and the shaders.
import path from "node:path";
import { kernelsForCode } from "../compiler/emit/wgsl/index.js";
import type { MarkerReport } from "../compiler/index.js";
import { planText } from "../compiler/ir/plan.js";
import { parse, UsageError, type Io } from "./args.js";
import { HELP } from "./help.js";

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("explain", args, { ascii: { type: "boolean" } });
  if (values.help) return (io.out(HELP.explain), 0);
  if (positionals.length !== 2) throw new UsageError(`expected <file> <name>, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`, "explain");
  const [fileArg, name] = positionals;
  const { compileFile, diagnosticFormatter } = await import("./compile.js");
  const formatDiagnostic = diagnosticFormatter(io.color?.err ?? false, io.cwd);
  const c = compileFile(path.resolve(io.cwd, fileArg), io.cwd, { target: "ts", explain: true });
  if (c.failure) return (io.err(`jacc: ${c.failure}\n`), 1);
  if (c.errors.length) {
    c.errors.forEach((d) => io.err(formatDiagnostic(d) + "\n\n"));
    io.err(`jacc: ${c.name} has errors; nothing to explain\n`);
    return 1;
  }
  const markers = c.result?.markers ?? [];
  if (markers.length === 0) return (io.err(`jacc: ${c.name} has no markers\n`), 1);
  const matches = markers.filter((m) => m.functionName === name || generatedNames(m).some((g) => g.includes(name)));
  if (matches.length === 0) {
    const available = [...new Set(markers.flatMap((m) => [m.functionName, ...generatedNames(m)]))];
    io.err(`jacc: no marker in ${c.name} matches "${name}"\navailable names: ${available.join(", ")}\n`);
    return 1;
  }
  const shaders = c.result?.shaders ?? {};
  const sections = matches.map((m) => explainOne(m, c.name, shaders, values.ascii === true));
  io.out(sections.join("\n\n") + "\n");
  return 0;
}

/** The names of the functions a marker generated, in order. */
export function generatedNames(m: MarkerReport): string[] {
  return [...m.generated.matchAll(/^\s*(?:export\s+)?function\s+([\w$]+)/gm)].map((x) => x[1]);
}

function explainOne(m: MarkerReport, file: string, shaders: Record<string, string>, ascii: boolean): string {
  const names = generatedNames(m);
  const heading = (t: string) => `── ${t} ${"─".repeat(Math.max(3, 60 - t.length))}`;
  const out = [
    `${m.marker}(${m.functionName}) at ${file}:${m.line}`,
    `generated: ${names.join(", ") || "(none)"}`,
    ...(m.plan ? planText(m.plan) : []),
    ...(m.modes ?? []),
    // vmap: batched (one op call per batch) or the row loop, and why (compiler/ad/batch.ts)
    ...[...m.generated.matchAll(/\/\/ (vmap path: .*)/g)].map((x) => x[1]),
    "",
    heading("derivative source"),
    m.generated.trimEnd(),
    "",
    heading("IR"),
    m.ir.trimEnd(),
    "",
    heading("static sparsity (rows: outputs, columns: inputs)"),
    sparsityGrid(m.sparsity, ascii),
    ...structureLines(m, ascii),
    "",
    heading("WGSL"),
  ];
  // compileModule's shaders are keyed by name; attribute those named after this marker's functions.
  const all = Object.entries(shaders);
  // the tensor kernels this marker's generated code calls (compiler/emit/wgsl) count as its own
  const calls = new Set(Object.keys(kernelsForCode(m.generated)));
  // and so do the fused chains' kernels its helpers name (`__jt.adFuseGpu("fuse_…", …)`)
  const mine = all.filter(([k]) => calls.has(k) || names.some((n) => k.includes(n)) || m.generated.includes(`"${k}"`));
  const shown = mine.length ? mine : all;
  if (shown.length === 0) out.push("no WGSL for this marker (scalar program)");
  for (const [k, wgsl] of shown) out.push(`// ${k}`, wgsl.trimEnd());
  return out.join("\n");
}

/** The element-level structure of each tensor block the structured path fills (compiler/ad/structured.ts). */
function structureLines(m: MarkerReport, ascii: boolean): string[] {
  if (!m.structure) return [];
  const [yes, no] = ascii ? ["x", "."] : ["█", "·"];
  const out = ["", "element structure of each block (filled directly, no per-element sweeps):"];
  m.structure.forEach((row, i) =>
    row.forEach((s, k) => {
      out.push(`  ${m.sparsity.outputs[i] ?? `out[${i}]`} w.r.t. input ${k}: ${s}`);
      if (s.startsWith("diagonal") || s === "identity") {
        for (let r = 0; r < 4; r++) out.push(`    ${Array.from({ length: 4 }, (_, c) => (c === r ? yes : no)).join("")}${r === 0 ? "   (4 elements shown)" : ""}`);
      }
    }),
  );
  return out;
}

/** Rows are outputs, columns inputs; a mark where the output depends on the input. */
export function sparsityGrid(s: MarkerReport["sparsity"], ascii = false): string {
  const [yes, no] = ascii ? ["x", "."] : ["█", "·"];
  const rowW = Math.max(0, ...s.outputs.map((o) => o.length));
  const colW = s.inputs.map((i) => Math.max(1, i.length));
  const lines = [" ".repeat(rowW) + "  " + s.inputs.map((n, j) => n.padEnd(colW[j])).join(" ")];
  s.outputs.forEach((o, i) => {
    lines.push(o.padEnd(rowW) + "  " + s.inputs.map((_, j) => (s.pattern[i]?.[j] ? yes : no).padEnd(colW[j])).join(" "));
  });
  const nz = s.pattern.flat().filter(Boolean).length;
  const total = s.outputs.length * s.inputs.length;
  lines.push(`${yes} depends, ${no} structurally zero (${nz} of ${total} blocks nonzero)`);
  return lines.map((l) => l.trimEnd()).join("\n");
}
