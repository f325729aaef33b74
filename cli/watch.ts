// `jacc emit --watch`: which files to watch and when they changed. One fs.watch
// per directory (an editor's save by rename replaces the file, which a watcher
// on the file itself would lose), events collected for a short while, and a file
// counted as changed only when its text did (saving without edits, or a second
// event for one write, rebuilds nothing).
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";

const SETTLE_MS = 60;

function digest(file: string): string | undefined {
  try {
    return createHash("sha1").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined; // gone (or unreadable): that is a change too
  }
}

export class FileWatcher {
  private readonly dirs = new Map<string, fs.FSWatcher>();
  private readonly known = new Map<string, string | undefined>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onChange: (files: string[]) => void) {}

  /** Watches exactly `files` (absolute) from now on. */
  set(files: Iterable<string>): void {
    const wanted = new Set([...files].map((f) => path.resolve(f)));
    for (const f of wanted) if (!this.known.has(f)) this.known.set(f, digest(f));
    for (const f of [...this.known.keys()]) if (!wanted.has(f)) this.known.delete(f);
    const dirs = new Set([...wanted].map((f) => path.dirname(f)));
    for (const [d, w] of this.dirs) if (!dirs.has(d)) (w.close(), this.dirs.delete(d));
    for (const d of dirs) {
      if (this.dirs.has(d)) continue;
      try {
        const w = fs.watch(d, (_event, name) => name && this.touched(path.join(d, name.toString())));
        w.on("error", () => this.dirs.delete(d)); // (a removed directory)
        this.dirs.set(d, w);
      } catch {
        // a directory that is not there: nothing to watch in it
      }
    }
  }

  private touched(file: string): void {
    if (!this.known.has(file)) return;
    this.pending.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), SETTLE_MS);
  }

  private flush(): void {
    const changed: string[] = [];
    for (const f of this.pending) {
      const now = digest(f);
      if (now !== this.known.get(f)) (this.known.set(f, now), changed.push(f));
    }
    this.pending.clear();
    if (changed.length) this.onChange(changed.sort());
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.dirs.values()) w.close();
    this.dirs.clear();
  }
}
