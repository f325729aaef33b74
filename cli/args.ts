// Argument parsing shared by the commands: node's parseArgs in strict mode,
// with its errors turned into usage errors (exit status 2).
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in the command line itself; main prints it with a hint and exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

/** Where a command runs and writes; the demo passes its own. */
export interface Io {
  cwd: string;
  out: (s: string) => void;
  err: (s: string) => void;
  /** whether diagnostics written to out / err are coloured (cli/color.ts); off when absent */
  color?: { out: boolean; err: boolean };
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: Options): Parsed {
  try {
    const r = parseArgs({ args, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (err) {
    // parseArgs messages are long and mention "strict"; keep the first sentence.
    const first = err instanceof Error ? err.message.split(". ")[0].replace(/\.$/, "") : String(err);
    const msg = first.charAt(0).toLowerCase() + first.slice(1);
    throw new UsageError(msg, command);
  }
}

/** Validates an enumerated option value. */
export function oneOf<T extends string>(command: string, flag: string, value: string | boolean | string[] | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`invalid value for --${flag}: ${JSON.stringify(value)} (expected ${allowed.join(" or ")})`, command);
  }
  return value as T;
}
