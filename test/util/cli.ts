// Running the built CLI (dist/cli/main.js) as a user does, in scratch
// directories under .tmp/ so that emitted modules resolve "jacc" to this package.
import fs from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { repoRoot } from "./compile.js";

export const cli = path.join(repoRoot, "dist", "cli", "main.js");
const scratch = path.join(repoRoot, ".tmp", "cli-tests");
let n = 0;

/** A fresh directory holding `files` (path → text). */
export function workspace(tag: string, files: Record<string, string>): string {
  const dir = path.join(scratch, `${tag}${process.pid}-${n++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

// Without colour: node colours console.log's numbers when FORCE_COLOR is set.
export const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
delete env.FORCE_COLOR;

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStart` gets the child (to kill it). */
export function jacc(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, onStart?: (p: ChildProcess) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, env: { ...env, ...extraEnv } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(p);
  });
}

/** Every file under dir, relative, "/"-separated, sorted (dot files included). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.lstatSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join("/"))
    .sort();
}

export const isTemp = (f: string): boolean => /(^|\/)\.[^/]+\.tmp$/.test(f);
