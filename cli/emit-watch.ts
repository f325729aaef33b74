// `jacc emit --watch`: after the first run, recompile a module when it, or a module
// it imports (where its markers' functions come from, found as the compiler finds
// them: the Vite plugin tracks the same files), changes. On a terminal a status
// line says what is watched; on a pipe only each rebuild's summary line is written.
import fs from "node:fs";
import type { Io } from "./args.js";
import type { Plan } from "./emit.js";
import { displayName } from "./files.js";
import { FileWatcher } from "./watch.js";
import { importDependencies } from "../plugin/shared.js";
import { clearResolutionCache } from "../compiler/front/resolve.js";

type Counts = { written: number; copied: number; failed: number };

export interface Rebuild {
  emitAll(batch: Plan[]): Counts;
  summary(r: Counts, prefix?: string): void;
  first: Counts;
}

/** Watches until SIGINT or SIGTERM; resolves with exit status 0. */
export function watchEmit(plans: Plan[], io: Io, run: Rebuild, stream: NodeJS.WriteStream = process.stderr): Promise<number> {
  const depsOf = new Map<string, string[]>(); // input → the files it is compiled from (itself first)
  const track = (p: Plan): void => {
    let code = "";
    try {
      code = fs.readFileSync(p.input, "utf8");
    } catch {
      // deleted: watched all the same, so that its return rebuilds it
    }
    depsOf.set(p.input, [p.input, ...importDependencies(p.input, code)]);
  };
  const allFiles = (): Set<string> => new Set([...depsOf.values()].flat());
  const status = statusLine(stream, () => {
    const n = allFiles().size;
    return `watching ${plans.length} module${plans.length === 1 ? "" : "s"} and ${n - plans.length} imported file${n - plans.length === 1 ? "" : "s"} (Ctrl-C to stop)`;
  });

  plans.forEach(track);
  const watcher = new FileWatcher((changed) => {
    clearResolutionCache(); // (a new file or tsconfig may resolve an import differently now)
    const hit = new Set(changed);
    const batch = plans.filter((p) => depsOf.get(p.input)!.some((f) => hit.has(f)));
    if (batch.length === 0) return;
    status.clear();
    const r = run.emitAll(batch);
    batch.forEach(track);
    watcher.set(allFiles());
    run.summary(r, `${changed.map((f) => displayName(f, io.cwd)).join(", ")} changed: `);
    status.show();
  });
  // (watching before the first summary is written: whoever waits for that line sees every later change)
  watcher.set(allFiles());
  run.summary(run.first);
  status.show();
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      watcher.close();
      status.clear();
      resolve(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** A line rewritten in place at the bottom of a terminal; nothing on a pipe. */
function statusLine(stream: NodeJS.WriteStream, text: () => string): { show(): void; clear(): void } {
  const on = Boolean(stream.isTTY);
  let shown = false;
  return {
    show() {
      if (!on) return;
      const line = text();
      const cols = stream.columns || 80;
      stream.write(`\r\x1b[K${line.length > cols - 1 ? line.slice(0, cols - 2) + "…" : line}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
}
