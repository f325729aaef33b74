// Where outputs go and how they are written: mirrored paths under --out,
// atomic writes (temp file in the same directory, then rename), and a progress
// line on a terminal.
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

/** The directory the outputs' relative paths start from: cwd, or the inputs' common directory. */
export function baseDirOf(files: string[], cwd: string): string {
  const inside = files.every((f) => {
    const rel = path.relative(cwd, f);
    return !rel.startsWith("..") && !path.isAbsolute(rel);
  });
  if (inside) return cwd;
  const parts = files.map((f) => path.dirname(f).split(path.sep));
  let n = 0;
  while (parts.every((p) => n < p.length && p[n] === parts[0][n])) n++;
  return parts[0].slice(0, n).join(path.sep) || path.parse(files[0]).root;
}

const JS_EXT: Record<string, string> = { ".ts": ".js", ".mts": ".mjs", ".cts": ".cjs", ".tsx": ".jsx" };

/** The output file for `input` (absolute): same relative path under `outDir`, extension for the target. */
export function outputPathOf(input: string, baseDir: string, outDir: string, target: "ts" | "js"): string {
  const rel = path.relative(baseDir, input);
  const ext = path.extname(rel);
  const renamed = target === "js" && JS_EXT[ext] ? rel.slice(0, -ext.length) + JS_EXT[ext] : rel;
  return path.join(outDir, renamed);
}

/** The file's real path where it exists, so links to an input count as the input. */
export function identity(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

// .jacc-tmp.<name>.<pid>.<12 hex>.tmp: the prefix and the fixed-length random part are jacc's own
// marks, so the sweep below never takes a user's dot file (`.notes.12345.draft.tmp`) for a temp
const TEMP_PREFIX = ".jacc-tmp.";
const TEMP = /^\.jacc-tmp\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Whether process `pid` still runs (a temp file of a live run is not ours to remove). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const swept = new Set<string>();
/**
 * Removes the temp files a killed run left in `dir` (a SIGKILL between writing
 * a temp file and renaming it leaves one; nothing else can), once per directory.
 */
function sweepStaleTemps(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const p = path.join(dir, n);
    try {
      if (fs.lstatSync(p).isFile()) fs.rmSync(p); // (a link or a directory of that name is not one of ours)
    } catch {
      // gone already, or not ours to remove
    }
  }
}

let writes = 0;

/** Writes `text` to `file` so that readers see the old file or the new one, never a part. */
export function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  sweepStaleTemps(dir);
  const tmp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let created = false;
  try {
    const fd = fs.openSync(tmp, "wx"); // never onto an existing file
    created = true;
    try {
      fs.writeFileSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    // Test hook (test/cli-atomic.test.ts): die at the worst moment, the temp file written and not renamed.
    if (Number(process.env.JACC_TEST_KILL_AT_WRITE) === ++writes) process.kill(process.pid, "SIGKILL");
    fs.renameSync(tmp, file);
  } catch (err) {
    if (created) fs.rmSync(tmp, { force: true }); // (only the file this call created)
    throw err;
  }
}

/** "[3/40] src/a.ts" on one rewritten stderr line, only on a terminal and for more than a few files. */
export class Progress {
  private readonly on: boolean;
  private shown = false;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.on = Boolean(stream.isTTY) && total > 3;
  }
  tick(done: number, label: string): void {
    if (!this.on) return;
    const cols = this.stream.columns || 80;
    const line = `[${done}/${this.total}] ${label}`;
    this.stream.write(`\r\x1b[K${line.length > cols - 1 ? line.slice(0, cols - 2) + "…" : line}`);
    this.shown = true;
  }
  /** Clears the line before other output (diagnostics) and at the end. */
  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}
