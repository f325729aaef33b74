// Dev aid: prints the simplified IR of every marker of a file (node dist/test/util/dump-ir.js file.ts)
import fs from "node:fs";
import { irOfModule } from "./ir-of.js";
import { printFn } from "../../compiler/ir/print.js";
import { simplify } from "../../compiler/opt/simplify.js";
import type { Fn } from "../../compiler/ir/ir.js";

const file = process.argv[2];
const m = irOfModule(fs.readFileSync(file, "utf8"), file);
const seen = new Set<string>();
const visit = (name: string) => {
  if (seen.has(name)) return;
  seen.add(name);
  const f = m.fns.get(name)!;
  console.log(printFn(simplify(f)) + "\n");
  const w = (l: Fn["body"]) => l.forEach((s) => { if (s.k === "call") visit(s.fn); if (s.k === "if") (w(s.then), w(s.else)); if (s.k === "loop") (w(s.pre), w(s.body)); if (s.k === "for") w(s.body); });
  w(f.body);
};
for (const mk of m.markers) { console.log(`==== ${mk.text}`); visit(mk.fn); }
