// Child process of the tensor benchmarks: node --expose-gc dist/bench/tensor-memory.js
// <closed | jacrev | chunk64 | chunk512>. One call of the Jacobian of
// tanh(W x) at n = 4096 on a fresh process (W and x allocated before), and
// what memory it took: peak RSS growth (reset through /proc/self/clear_refs)
// and ArrayBuffer bytes live at return. Prints one JSON object.
import fs from "node:fs";
import path from "node:path";
import { Tensor } from "jacc";
import { compileToFile, importFile, readRepoFile, repoRoot } from "./compile.js";
import { tanhWxClosed } from "./closed.js";

const mode = process.argv[2];
const n = 4096;
const gc = (globalThis as { gc?: () => void }).gc!;
const src = readRepoFile("bench/tensor-subjects.ts");
const m = await importFile(compileToFile(src, path.join(repoRoot, "bench", "tensor-subjects.ts"), "tensor-subjects").file);
const mk = (len: number, seed: number) => {
  const a = new Float64Array(len);
  let s = seed;
  for (let i = 0; i < len; i++) (s = (s * 1103515245 + 12345) % 2147483648), (a[i] = (s / 2147483648 - 0.5) / 32);
  return a;
};
const W = new Tensor(mk(n * n, 7), [n, n]);
const x = new Tensor(mk(n, 9).map((v) => v * 32), [n]);
m.setW(W);
const call: () => Tensor =
  mode === "closed" ? () => tanhWxClosed(W, x) : mode === "jacrev" ? () => m.tanhWxJacrev(x) : mode === "chunk64" ? () => m.tanhWxChunk64(x) : () => m.tanhWxChunk512(x);
// warm the code on a small problem
{
  const w = new Tensor(mk(64 * 64, 3), [64, 64]);
  const xs = new Tensor(mk(64, 4), [64]);
  m.setW(w);
  for (let i = 0; i < 20; i++) mode === "closed" ? tanhWxClosed(w, xs) : m.tanhWxJacrev(xs);
  m.setW(W);
}
const peak = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
gc();
gc();
const before = process.memoryUsage();
fs.writeFileSync("/proc/self/clear_refs", "5");
const t0 = performance.now();
let r: Tensor | null = call();
const seconds = (performance.now() - t0) / 1000;
const at = process.memoryUsage();
const p = peak();
const out = { n, mode, seconds, resultBytes: r.data.byteLength, peakRssGrowth: p - before.rss, arrayBuffersAtReturn: at.arrayBuffers - before.arrayBuffers };
r = null;
console.log(JSON.stringify(out));
