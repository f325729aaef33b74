#!/usr/bin/env node
// The jacc command line: dispatch to a command; usage errors exit 2, compile
// errors 1.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, type Io } from "./args.js";
import { HELP } from "./help.js";
import { colorFor } from "./color.js";

type Command = (args: string[], io: Io) => Promise<number>;
const COMMANDS: Record<string, () => Promise<Command>> = {
  emit: async () => (await import("./emit.js")).emitCommand,
  check: async () => (await import("./check.js")).checkCommand,
  explain: async () => (await import("./explain.js")).explainCommand,
};

/** The package's version; the package.json is found upward from this file (dist/cli or cli). */
function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === "jacc") return pkg.version;
    } catch {
      // not here; look further up
    }
  }
  return "unknown";
}

async function run(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) return (io.err(HELP.top), 2);
    if (first === "-h" || first === "--help") return (io.out(HELP.top), 0);
    if (first === "-v" || first === "--version") return (io.out(`jacc ${version()}\n`), 0);
    if (first === "help") {
      if (rest[0] && !HELP[rest[0]]) throw new UsageError(`unknown command '${rest[0]}'`);
      return (io.out(HELP[rest[0] ?? "top"]), 0);
    }
    const command = COMMANDS[first];
    if (!command) throw new UsageError(first.startsWith("-") ? `unknown option '${first}'` : `unknown command '${first}' (expected emit, check or explain)`);
    return await (await command())(rest, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const who = err.command ? `jacc ${err.command}` : "jacc";
    io.err(`${who}: ${err.message}\nRun '${who} --help' for usage.\n`);
    return 2;
  }
}

// `jacc explain … | head` closes the pipe early; that is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  process.exitCode = await run(process.argv.slice(2), {
    cwd: process.cwd(),
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    color: { out: colorFor(process.stdout), err: colorFor(process.stderr) },
  });
} catch (err) {
  process.stderr.write(`jacc: internal error: ${err instanceof Error ? (process.env.JACC_DEBUG ? err.stack : err.message) : String(err)}\n`);
  process.exitCode = 1;
}
