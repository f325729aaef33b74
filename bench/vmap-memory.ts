// The memory row of issue 16: peak RSS growth of one vmap(jacrev(g),
// { chunkSize: 1024 }) over B = 10⁶ rows of the Lorenz right-hand side written
// with Tensor ops, beyond the result's own bytes (target: at most 2× the
// result). node --expose-gc dist/bench/vmap-memory.js [float64 | float32];
// prints one JSON object. Not a test.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randn, type Tensor } from "jacc";
import { compileToFile, importFile } from "./compile.js";

const SOURCE = `
import { vmap, jacrev, stack, type Tensor } from "jacc";
export function g(v: Tensor): Tensor {
  const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
  return stack([y.sub(x).mul(10), x.mul(z.neg().add(28)).sub(y), x.mul(y).sub(z.mul(8 / 3))]);
}
export const lorenzJac = vmap(jacrev(g), { chunkSize: 1024 });
`;
const dtype = process.argv[2] === "float32" ? "float32" : "float64";
const here = path.dirname(fileURLToPath(import.meta.url));
const m = await importFile(compileToFile(SOURCE, path.join(here, "vmap-memory-subject.ts"), "vmap-memory").file);
const gc = (globalThis as { gc?: () => void }).gc!;
const V = randn([1_000_000, 3], { seed: 1, dtype });
m.lorenzJac(V.narrow(0, 0, 1000));
const peak = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
gc();
gc();
fs.writeFileSync("/proc/self/clear_refs", "5");
const p0 = peak();
const J: Tensor = m.lorenzJac(V);
const grown = peak() - p0;
const result = J.data.byteLength;
console.log(JSON.stringify({ dtype, shape: J.shape, resultMB: result / 1e6, peakGrowthMB: grown / 1e6, beyondResultMB: (grown - result) / 1e6, target: `≤ ${(2 * result) / 1e6} MB beyond`, met: grown - result <= 2 * result }));
