// `jacc check`: diagnostics only; nothing is written.
import { parse, UsageError, type Io } from "./args.js";
import { expandInputs } from "./files.js";
import { HELP } from "./help.js";
import { Progress } from "./output.js";

export async function checkCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("check", args, { ignore: { type: "string", multiple: true } });
  if (values.help) return (io.out(HELP.check), 0);
  if (positionals.length === 0) throw new UsageError("no input files", "check");
  const { files, problems } = expandInputs(positionals, io.cwd, { ignore: values.ignore as string[] | undefined });
  problems.forEach((p) => io.out(`jacc: ${p}\n`));
  if (files.length === 0) return 1;
  const { compileFile, diagnosticFormatter, plural } = await import("./compile.js");
  const formatDiagnostic = diagnosticFormatter(io.color?.out ?? false, io.cwd);
  const progress = new Progress(files.length);
  let errors = problems.length;
  let warnings = 0;
  let failedFiles = problems.length;
  files.forEach((file, i) => {
    // target "ts": no transpile step, only the analysis.
    const c = compileFile(file, io.cwd, { target: "ts" });
    progress.tick(i + 1, c.name);
    if (c.failure || c.errors.length || c.warnings.length) progress.clear();
    if (c.failure) io.out(`jacc: ${c.failure}\n\n`);
    [...c.errors, ...c.warnings].sort((a, b) => a.start - b.start).forEach((d) => io.out(formatDiagnostic(d) + "\n\n"));
    errors += c.errors.length + (c.failure ? 1 : 0);
    warnings += c.warnings.length;
    if (c.failure || c.errors.length) failedFiles++;
  });
  progress.clear();
  const summary = `${plural(files.length, "file")} checked: ${plural(errors, "error")}, ${plural(warnings, "warning")}`;
  io.out(`${summary}${failedFiles ? ` in ${plural(failedFiles, "file")}` : ""}\n`);
  return errors ? 1 : 0;
}
