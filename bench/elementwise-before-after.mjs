// The runtime's elementwise ops of two built checkouts (before, after), interleaved in one process:
//   node bench/elementwise-before-after.mjs <old checkout> <new checkout>
// prints | op | size | before | after | after ÷ before | (the fastest of 30 rounds each). Not a test.
import path from "node:path";
import { pathToFileURL } from "node:url";
const [oldDir, newDir] = process.argv.slice(2);
if (!oldDir || !newDir) throw new Error("usage: node bench/elementwise-before-after.mjs <old checkout> <new checkout>");
const load = (dir) => import(pathToFileURL(path.resolve(dir, "dist/runtime/index.js")).href);
const [a, b] = await Promise.all([load(oldDir), load(newDir)]);
const n = 1 << 16;
const mk = (jt, f32) => { const d = (f32 ? Float32Array : Float64Array).from({ length: n }, (_, i) => Math.sin(i) * 3); return new jt.Tensor(d, [n]); };
const cases = [["exp", (jt, x, y) => jt.exp(x)], ["sigmoid", (jt, x) => jt.sigmoid(x)], ["relu", (jt, x) => jt.relu(x)], ["add", (jt, x, y) => jt.add(x, y)], ["mul broadcast", (jt, x, y) => jt.mul(x.reshape(256, 256), y.reshape(256, 256).select(0, 3))], ["maximum", (jt, x, y) => jt.maximum(x, y)], ["pow", (jt, x, y) => jt.pow(x.abs(), 1.5)], ["tiny add [4]", null]];
for (const f32 of [false, true]) for (const [name, f] of cases) {
  const tiny = f === null;
  const run = (jt) => { const x = tiny ? new jt.Tensor(new Float64Array([1, 2, 3, 4]), [4]) : mk(jt, f32), y = tiny ? x : mk(jt, f32); const g = tiny ? () => jt.add(x, y) : () => f(jt, x, y); const reps = tiny ? 20000 : 20; return () => { const t = performance.now(); for (let r = 0; r < reps; r++) g(); return (performance.now() - t) / reps; }; };
  const ra = run(a), rb = run(b); let ta = Infinity, tb = Infinity;
  for (let k = 0; k < 30; k++) { ta = Math.min(ta, ra()); tb = Math.min(tb, rb()); }
  if (tiny && f32) continue;
  console.log(`| ${name} | ${tiny ? "[4] f64" : `[${n}] ${f32 ? "f32" : "f64"}`} | ${(ta * 1000).toFixed(2)} µs | ${(tb * 1000).toFixed(2)} µs | ${(tb / ta).toFixed(2)} |`);
}
