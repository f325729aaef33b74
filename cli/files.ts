// Input files: literal paths, directories and globs (* ? **), expanded with a
// small matcher over a directory walk (node 20 has no fs.glob).
import fs from "node:fs";
import path from "node:path";

const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
const DECL = /\.d\.[cm]?ts$/;

export const isGlob = (p: string): boolean => /[*?]/.test(p);

/** The regular expression for a glob over "/"-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const atStart = i === 0 || glob[i - 1] === "/";
      if (atStart && glob[i + 2] === "/") {
        re += "(?:[^/]*/)*"; // "**/": zero or more directories
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Every file under `dir` (relative, "/"-separated), skipping node_modules, dot-directories and `skip`. */
function walk(dir: string, skip: Set<string>, rel = "", out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name === "node_modules" || e.name.startsWith(".") || skip.has(path.resolve(dir, r))) continue;
      walk(dir, skip, r, out);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(r);
  }
  return out;
}

export interface Expanded {
  files: string[]; // absolute paths, in order, without duplicates
  problems: string[]; // patterns that named nothing
}

/** Expands the command line's paths; `skipDirs` (absolute) are never walked (the output directory). */
export function expandInputs(patterns: string[], cwd: string, skipDirs: string[] = []): Expanded {
  const skip = new Set(skipDirs.map((d) => path.resolve(cwd, d)));
  const files: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    if (!seen.has(f)) (seen.add(f), files.push(f));
  };
  for (const pattern of patterns) {
    const norm = pattern.split(path.sep).join("/");
    if (!isGlob(norm)) {
      const abs = path.resolve(cwd, pattern);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (!st) problems.push(`${pattern}: no such file or directory`);
      else if (st.isDirectory()) {
        const found = walk(abs, skip).filter((f) => /\.(ts|mts|cts|tsx)$/.test(f) && !DECL.test(f));
        if (found.length === 0) problems.push(`${pattern}: no TypeScript files in this directory`);
        found.forEach((f) => add(path.join(abs, f)));
      } else add(abs);
      continue;
    }
    // The literal directories before the first glob segment are where the walk starts.
    const segs = norm.split("/");
    const firstGlob = segs.findIndex(isGlob);
    const baseRel = segs.slice(0, firstGlob).join("/");
    const base = path.resolve(cwd, baseRel || ".");
    const re = globToRegExp(segs.slice(firstGlob).join("/"));
    const found = walk(base, skip).filter((f) => re.test(f) && SOURCE.test(f) && !DECL.test(f) && !/(^|\/)\.[^/]*$/.test(f));
    if (found.length === 0) problems.push(`${pattern}: no files match`);
    found.forEach((f) => add(path.join(base, f)));
  }
  return { files, problems };
}

/** How a file is named in messages and diagnostics: relative to cwd when inside it. */
export function displayName(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : abs;
}
