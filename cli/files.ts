// Input files: literal paths, directories and globs. Globs go through tinyglobby
// (picomatch: * ? ** {a,b} [abc] and `!pattern` to leave files out); what they
// and directories find is filtered by the `.gitignore` of the current directory
// and by --ignore rules, both with git's semantics (the `ignore` package).
import fs from "node:fs";
import path from "node:path";
import { escapePath, globSync, isDynamicPattern } from "tinyglobby";
import ignore, { type Ignore } from "ignore";

const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
const TS_SOURCE = /\.(ts|mts|cts|tsx)$/;
const DECL = /\.d\.[cm]?ts$/;

export const isGlob = (p: string): boolean => isDynamicPattern(p);

export interface Expanded {
  files: string[]; // absolute paths, in order, without duplicates
  problems: string[]; // patterns that named nothing
}

export interface ExpandOptions {
  /** absolute directories never searched (the output directory) */
  skipDirs?: string[];
  /** extra `.gitignore`-style rules (--ignore) */
  ignore?: string[];
}

/** The rules that leave searched files out: cwd's `.gitignore` and `extra`, relative to cwd. */
function ignoreRules(cwd: string, extra: string[]): Ignore {
  const ig = ignore();
  try {
    ig.add(fs.readFileSync(path.join(cwd, ".gitignore"), "utf8"));
  } catch {
    // no .gitignore here
  }
  return ig.add(extra);
}

/**
 * Expands the command line's paths. A literal file is always taken; directories and globs skip
 * node_modules, dot-directories, declaration files, `skipDirs` and ignored paths.
 */
export function expandInputs(patterns: string[], cwd: string, options: ExpandOptions = {}): Expanded {
  const ig = ignoreRules(cwd, options.ignore ?? []);
  const kept = (abs: string): boolean => {
    const rel = path.relative(cwd, abs);
    // (ignore rules speak of paths inside cwd; a file outside it is not theirs to judge)
    return rel.startsWith("..") || path.isAbsolute(rel) || !ig.ignores(rel.split(path.sep).join("/"));
  };
  const negated = patterns.filter((p) => p.startsWith("!") && p.length > 1);
  const skip = (options.skipDirs ?? []).map((d) => path.resolve(cwd, d));
  // (every search starts at cwd, so that a negation means the same for a glob and a directory)
  const search = (pattern: string): string[] =>
    globSync(pattern, {
      cwd,
      absolute: true,
      dot: false,
      expandDirectories: false,
      followSymbolicLinks: true,
      ignore: ["**/node_modules/**", ...negated.map((p) => p.slice(1).split(path.sep).join("/"))],
    })
      .map((f) => path.normalize(f))
      .filter((f) => !DECL.test(f) && !skip.some((d) => f === d || f.startsWith(d + path.sep)) && kept(f))
      .sort();

  const files: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    if (!seen.has(f)) (seen.add(f), files.push(f));
  };
  for (const pattern of patterns) {
    if (pattern.startsWith("!") && pattern.length > 1) continue; // (a negation: applied to every search)
    if (!isGlob(pattern.split(path.sep).join("/"))) {
      const abs = path.resolve(cwd, pattern);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (!st) problems.push(`${pattern}: no such file or directory`);
      else if (st.isDirectory()) {
        const rel = path.relative(cwd, abs).split(path.sep).join("/");
        const found = search(rel ? `${escapePath(rel)}/**/*` : "**/*").filter((f) => TS_SOURCE.test(f));
        if (found.length === 0) problems.push(`${pattern}: no TypeScript files in this directory`);
        found.forEach(add);
      } else add(abs);
      continue;
    }
    // glob syntax wants "/" (a Windows path's "\" would be an escape)
    const found = search(pattern.split(path.sep).join("/")).filter((f) => SOURCE.test(f));
    if (found.length === 0) problems.push(`${pattern}: no files match`);
    found.forEach(add);
  }
  return { files, problems };
}

/** How a file is named in messages and diagnostics: relative to cwd when inside it. */
export function displayName(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : abs;
}
