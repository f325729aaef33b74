// `jacc emit`: compile every input and write the derivative modules (and their
// source maps) under --out, mirroring the inputs' paths.
import path from "node:path";
import { parse, oneOf, UsageError, type Io } from "./args.js";
import type { Compiled, Strategy } from "./compile.js";
import { displayName, expandInputs } from "./files.js";
import { HELP } from "./help.js";
import { baseDirOf, identity, outputPathOf, Progress, writeAtomic } from "./output.js";
import { checkFileFor, checkPathOf } from "./checks.js";

export interface Plan {
  input: string;
  output: string;
}

export async function emitCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("emit", args, {
    out: { type: "string", short: "o" },
    target: { type: "string", short: "t" },
    strategy: { type: "string" },
    "with-checks": { type: "boolean" },
    ignore: { type: "string", multiple: true },
    watch: { type: "boolean", short: "w" },
  });
  if (values.help) return (io.out(HELP.emit), 0);
  const target = oneOf("emit", "target", values.target, ["ts", "js"] as const, "ts");
  const strategy = oneOf<Strategy>("emit", "strategy", values.strategy, ["reverse-mode", "forward-mode"], "reverse-mode");
  if (typeof values.out === "string" && values.out === "") throw new UsageError("--out needs a directory", "emit");
  if (positionals.length === 0) throw new UsageError("no input files", "emit");
  const outDir = path.resolve(io.cwd, typeof values.out === "string" ? values.out : "jacc-out");

  const { files, problems } = expandInputs(positionals, io.cwd, { skipDirs: [outDir], ignore: values.ignore as string[] | undefined });
  problems.forEach((p) => io.err(`jacc: ${p}\n`));
  if (files.length === 0) return 1;

  const base = baseDirOf(files, io.cwd);
  const plans: Plan[] = files.map((input) => ({ input, output: outputPathOf(input, base, outDir, target) }));
  const withChecks = values["with-checks"] === true;
  const refusal = checkPlans(plans, io.cwd, withChecks);
  if (refusal.length) {
    refusal.forEach((m) => io.err(`jacc: ${m}\n`));
    io.err("jacc: nothing written; choose another --out directory\n");
    return 1;
  }

  const { compileFile, diagnosticFormatter, ok, plural, transpile } = await import("./compile.js");
  const formatDiagnostic = diagnosticFormatter(io.color?.err ?? false, io.cwd);
  const outName = displayName(outDir, io.cwd) || ".";

  /** Compiles and writes `batch`; returns how many modules were written, copied unchanged and failed. */
  const emitAll = (batch: Plan[]): { written: number; copied: number; failed: number } => {
    const progress = new Progress(batch.length);
    let failed = 0, written = 0, copied = 0;
    batch.forEach((plan, i) => {
      progress.tick(i + 1, displayName(plan.input, io.cwd));
      // Only an explicit --strategy is passed on: without it the markers' own defaults apply.
      const c = compileFile(plan.input, io.cwd, { target, strategy: values.strategy === undefined ? undefined : strategy });
      if (c.warnings.length || !ok(c)) progress.clear();
      c.warnings.forEach((d) => io.err(formatDiagnostic(d) + "\n"));
      if (!ok(c)) {
        failed++;
        if (c.failure) io.err(`jacc: ${c.failure}\n`);
        c.errors.forEach((d) => io.err(formatDiagnostic(d) + "\n\n"));
        return;
      }
      try {
        const out = outputsOf(c, plan.output, target, transpile);
        // The map first: a module never points at a map that is not there yet.
        if (out.map !== undefined) writeAtomic(plan.output + ".map", out.map);
        writeAtomic(plan.output, out.code);
        // the module's WGSL kernels, one file each, beside it (the same texts are string constants in the module)
        for (const [kernel, wgsl] of Object.entries(c.result!.shaders ?? {})) writeAtomic(wgslPathOf(plan.output, kernel), wgsl);
        const check = withChecks && c.result!.changed ? checkFileFor(c.source, c.file, plan.output, target, Object.keys(c.result!.shaders ?? {}).length > 0) : undefined;
        if (check) writeAtomic(checkPathOf(plan.output), check);
        written++;
        if (!c.result!.changed) copied++;
      } catch (err) {
        progress.clear();
        failed++;
        io.err(`jacc: ${c.name}: cannot write ${displayName(plan.output, io.cwd)}: ${(err as Error).message}\n`);
      }
    });
    progress.clear();
    return { written, copied, failed };
  };
  const summary = (r: { written: number; copied: number; failed: number }, prefix = ""): void => {
    const parts = [`${plural(r.written, "module")} written to ${outName}${r.copied ? ` (${r.copied} without markers)` : ""}`];
    if (r.failed) parts.push(`${r.failed} failed`);
    (r.failed ? io.err : io.out)(`jacc: ${prefix}${parts.join(", ")}\n`);
  };

  const first = emitAll(plans);
  first.failed += problems.length;
  if (values.watch !== true) {
    summary(first);
    return first.failed ? 1 : 0;
  }
  const { watchEmit } = await import("./emit-watch.js");
  return watchEmit(plans, io, { emitAll, summary, first });
}

/** `out/dir/name.ts` → `out/dir/name.<kernel>.wgsl`. */
export function wgslPathOf(output: string, kernel: string): string {
  return output.replace(/\.[^./\\]+$/, "") + `.${kernel}.wgsl`;
}

/** Refuses outputs that would replace an input (or its map) and inputs that would share an output. */
function checkPlans(plans: Plan[], cwd: string, withChecks: boolean): string[] {
  const inputs = new Map(plans.map((p) => [identity(p.input), p.input]));
  const byOutput = new Map<string, string>();
  const msgs: string[] = [];
  for (const p of plans) {
    for (const out of [p.output, p.output + ".map", ...(withChecks ? [checkPathOf(p.output)] : [])]) {
      const hit = inputs.get(identity(out));
      if (hit) msgs.push(`refusing to overwrite input ${displayName(hit, cwd)}${hit === p.input ? "" : ` with the output of ${displayName(p.input, cwd)}`}`);
    }
    const other = byOutput.get(identity(p.output));
    if (other) msgs.push(`${displayName(other, cwd)} and ${displayName(p.input, cwd)} would both be written to ${displayName(p.output, cwd)}`);
    byOutput.set(identity(p.output), p.input);
  }
  return msgs;
}

/** The output text and its source map (absent for a module copied as it is). */
function outputsOf(c: Compiled, output: string, target: "ts" | "js", transpile: typeof import("./compile.js").transpile): { code: string; map?: string } {
  const r = c.result!;
  const isJsInput = /\.[cm]?jsx?$/.test(c.file);
  const mapUrl = `${path.basename(output)}.map`;
  const fixMap = (map: { file?: string; sources: (string | null)[] }): string => {
    map.file = path.basename(output);
    map.sources = [path.relative(path.dirname(output), c.file).split(path.sep).join("/")];
    return JSON.stringify(map);
  };
  if (r.changed) {
    const code = r.code.endsWith("\n") ? r.code : r.code + "\n";
    if (!r.map) return { code };
    const map = fixMap(JSON.parse(JSON.stringify(r.map)));
    return { code: target === "js" ? `${code}//# sourceMappingURL=${mapUrl}\n` : code, map };
  }
  if (target === "ts" || isJsInput) return { code: c.source };
  const t = transpile(c.source, c.name);
  if (!t.map) return { code: t.code };
  return { code: `${t.code}//# sourceMappingURL=${mapUrl}\n`, map: fixMap(JSON.parse(t.map)) };
}
