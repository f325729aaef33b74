// Test helpers for the build integrations: a fixture project (fixtures/projects/<tool>)
// copied to a scratch directory under .tmp/ with node_modules/jacc linked to this
// package, exactly as a user's project has jacc installed; running what a tool built.
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import * as assert from "uvu/assert";
import { repoRoot } from "./compile.js";

export { repoRoot };
export const projects = path.join(repoRoot, "fixtures", "projects");
const scratch = path.join(repoRoot, ".tmp", "plugin-tests");
let n = 0;

export interface WorkspaceOptions {
  /** Another fixture project whose src/ and bad/ this one builds (the bundler fixtures hold only their config). */
  sources?: string;
  /** More packages the project has installed: its node_modules/<name> → this repository's node_modules/<target>. */
  packages?: Record<string, string>;
}

/** A fresh copy of fixtures/projects/<tool>, with node_modules/jacc → this package (copies over an hour old are removed). */
export function workspace(tool: string, options: WorkspaceOptions = {}): string {
  if (n === 0 && fs.existsSync(scratch)) {
    for (const old of fs.readdirSync(scratch)) {
      const p = path.join(scratch, old);
      if (Date.now() - fs.statSync(p).mtimeMs > 3600_000) fs.rmSync(p, { recursive: true, force: true });
    }
  }
  const dir = path.join(scratch, `${tool}-${process.pid}-${n++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  if (options.sources) for (const sub of ["src", "bad"]) fs.cpSync(path.join(projects, options.sources, sub), path.join(dir, sub), { recursive: true });
  fs.cpSync(path.join(projects, tool), dir, { recursive: true });
  const link = (name: string, target: string) => fs.symlinkSync(path.relative(path.join(dir, "node_modules"), target), path.join(dir, "node_modules", name), "dir");
  link("jacc", repoRoot);
  for (const [name, target] of Object.entries(options.packages ?? {})) link(name, path.join(repoRoot, "node_modules", target));
  return dir;
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs node with `args` (asynchronous, so that independent builds run at once). */
export function node(args: string[], cwd = repoRoot): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd, env });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, "");

/** The fixture app's line of output: SPEC §3's Jacobian, d sin / dx at [0, 1, 2], and the plain module's square(3). */
export function checkAppOutput(stdout: string): void {
  const line = stdout.trim().split("\n").pop() ?? "";
  let out: { J: number[][]; D: number[][]; shape: number[]; dtype: string; square: number };
  try {
    out = JSON.parse(line);
  } catch {
    throw new Error(`the app printed no JSON: ${stdout}`);
  }
  assert.equal(out.J, [[1, 1, 0], [5, 0, 3], [0, 48, 0]]);
  assert.equal(out.shape, [3, 3]);
  assert.is(out.dtype, "float64");
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(out.D[i][j] - (i === j ? Math.cos(i) : 0)) < 1e-15, `D[${i}][${j}] = ${out.D[i][j]}`);
  assert.is(out.square, 9);
}

/** Where the fixture's bad program fails: bad.ts line 5, column 13 (the template string). */
export const BAD = { line: 5, col: 13, code: "unsupported-construct" };

/** The 1-based line of the first occurrence of `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `not found: ${needle}`);
  return text.slice(0, i).split("\n").length;
}
