// A small indent-aware writer for WGSL (after jax-js's WgslBuilder): lines are
// appended at the current depth, `open` / `close` bracket a block, and
// `toString` gives the shader text. Generators never concatenate raw strings
// across lines, so every shader comes out indented and readable.

export class WgslBuilder {
  private lines: string[] = [];
  private depth = 0;

  /** One or more lines at the current depth (a multi-line string is split). */
  line(...texts: string[]): this {
    for (const t of texts) for (const l of t.split("\n")) this.lines.push(l.length ? "  ".repeat(this.depth) + l : "");
    return this;
  }
  blank(): this {
    this.lines.push("");
    return this;
  }
  comment(text: string): this {
    return this.line(...text.split("\n").map((l) => `// ${l}`));
  }
  /** `head {` and one level deeper. */
  open(head: string): this {
    this.line(`${head} {`);
    this.depth++;
    return this;
  }
  /** One level shallower and `}` (with `tail`, e.g. `;`). */
  close(tail = ""): this {
    this.depth--;
    this.line(`}${tail}`);
    return this;
  }
  /** A block with its body written by `body`. */
  block(head: string, body: (b: this) => void): this {
    this.open(head);
    body(this);
    return this.close();
  }
  toString(): string {
    return this.lines.join("\n") + "\n";
  }
}
