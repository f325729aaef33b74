// Before/after on one machine, in one process: the same subjects from two
// modules of bench/subjects.ts compiled by two versions of jacc (e.g. one kept
// from an earlier commit with `jacc emit`, and the current one that
// `npm run bench` writes to .tmp/bench/), with the closed form, batches
// interleaved round by round. Reports the fastest batch of each (on a machine
// shared with other work the least disturbed one). Not a test: exits 0.
//   node dist/bench/before-after.js BEFORE.mjs AFTER.mjs
import path from "node:path";
import type { Tensor } from "jacc";
import { importFile } from "./compile.js";
import { armJacobianClosed, armVecJacobianClosed, rosenHessianClosed } from "./closed.js";
import { fmtTime } from "./timing.js";

interface Subjects {
  setLinks(L: Float64Array): void;
  armJacrev(q: Float64Array): [Tensor, Tensor];
  armJacfwd(q: Float64Array): [Tensor, Tensor];
  armVecJacrev(q: Float64Array): Tensor;
  armVecJacfwd(q: Float64Array): Tensor;
  rosenHessian(x: Float64Array): Tensor;
}

function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return a;
}

export let sink: unknown;

/** The fastest per-call time of each function over `rounds` interleaved batches of ~5 ms. */
function fastest(fns: (() => unknown)[], rounds = 31): number[] {
  const calls = fns.map((f) => {
    for (let n = 1; ; n *= 2) {
      const t = performance.now();
      for (let i = 0; i < n; i++) sink = f();
      if (performance.now() - t > 5) return n;
    }
  });
  const best = fns.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, k) => {
      const t = performance.now();
      for (let i = 0; i < calls[k]; i++) sink = f();
      best[k] = Math.min(best[k], (performance.now() - t) / 1e3 / calls[k]);
    });
  }
  return best;
}

async function main(): Promise<void> {
  const [beforeFile, afterFile] = process.argv.slice(2);
  if (!beforeFile || !afterFile) {
    console.log("usage: node dist/bench/before-after.js BEFORE.mjs AFTER.mjs");
    return;
  }
  const B = await importFile<Subjects>(path.resolve(beforeFile));
  const A = await importFile<Subjects>(path.resolve(afterFile));
  console.log(`before: ${beforeFile}\nafter: ${afterFile}\n`);
  console.log("| subject | size | before | after | closed form | before ÷ closed | after ÷ closed |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  const row = (name: string, size: number, [b, a, c]: number[]) =>
    console.log(`| ${name} | ${size} | ${fmtTime(b)} | ${fmtTime(a)} | ${fmtTime(c)} | ${(b / c).toFixed(2)} | ${(a / c).toFixed(2)} |`);
  for (const k of [3, 30, 300]) {
    const q = uniform(k, -1, 1, 1000 + k);
    const L = uniform(k, 0.5, 1.5, 2000 + k);
    A.setLinks(L);
    B.setLinks(L);
    row("arm jacrev, vector output `[x, y]`", k, fastest([() => B.armVecJacrev(q), () => A.armVecJacrev(q), () => armVecJacobianClosed(q, L)]));
    row("arm jacfwd, vector output", k, fastest([() => B.armVecJacfwd(q), () => A.armVecJacfwd(q), () => armVecJacobianClosed(q, L)]));
    row("arm jacrev, tuple output", k, fastest([() => B.armJacrev(q), () => A.armJacrev(q), () => armJacobianClosed(q, L)]));
    row("arm jacfwd, tuple output", k, fastest([() => B.armJacfwd(q), () => A.armJacfwd(q), () => armJacobianClosed(q, L)]));
  }
  for (const n of [10, 100, 1000]) {
    const x = uniform(n, -1.5, 1.5, 3000 + n);
    row("rosenbrock hessian", n, fastest([() => B.rosenHessian(x), () => A.rosenHessian(x), () => rosenHessianClosed(x)], n === 1000 ? 15 : 31));
  }
}

try {
  await main();
} catch (e) {
  console.log(`before/after aborted: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
}
process.exit(0);
