// Child process of the benchmarks: node --expose-gc dist/bench/memory.js
// <compiled module .mjs> <k> <jacrev | closed>. Runs the arm's Jacobian for k
// links once on a fresh process and reports what memory it took beyond its
// input and its result (the k×2 Jacobian): peak RSS growth over the call
// (Linux: the peak is reset through /proc/self/clear_refs and read back as
// VmHWM, since resourceUsage().maxRSS of a spawned child starts at its
// parent's size; elsewhere maxRSS), ArrayBuffer bytes live at return (before any GC),
// ArrayBuffer bytes retained after a full GC, and, for jacc, the length of the
// module's reverse-sweep tape. Then a second call (the tape already grown).
// Prints one JSON object.
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { armJacobianClosed } from "./closed.js";

const [file, kArg, mode] = process.argv.slice(2);
const k = Number(kArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("memory.js needs node --expose-gc");
const fullGc = () => {
  gc();
  gc();
};

const m = await import(pathToFileURL(file).href);
const q = new Float64Array(k);
const L = new Float64Array(k);
let s = 12345;
for (let i = 0; i < k; i++) {
  s = (s * 1103515245 + 12345) % 2147483648;
  q[i] = (s / 2147483648) * 2e-3 - 1e-3;
  L[i] = 1 / k;
}
m.setLinks(L);
const call: (q: Float64Array) => unknown =
  mode === "closed" ? (x) => armJacobianClosed(x, L) : (x) => m.armJacrev(x);

// warm the code paths on a small input (no tape growth: 500 < 1024 entries)
const small = q.subarray(0, 500);
for (let i = 0; i < 20; i++) call(small);

const now = (): number => Number(process.hrtime.bigint()) / 1e9;
const resultBytes = 2 * 8 * k;

/** Resets the peak-RSS mark where the OS allows it; returns whether it did. */
function resetPeak(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The peak RSS in bytes since the last reset (or since the process began). */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

let peakReset = false;

function measure() {
  fullGc();
  const before = process.memoryUsage();
  peakReset = resetPeak();
  const rss0 = peakReset ? before.rss : peakRss();
  const t0 = now();
  let result: unknown = call(q);
  const seconds = now() - t0;
  const atReturn = process.memoryUsage();
  const rss1 = peakRss();
  fullGc();
  const retained = process.memoryUsage();
  const out = {
    seconds,
    peakRssGrowth: rss1 - rss0,
    arrayBuffersAtReturn: atReturn.arrayBuffers - before.arrayBuffers,
    heapUsedAtReturn: atReturn.heapUsed - before.heapUsed,
    arrayBuffersRetained: retained.arrayBuffers - before.arrayBuffers,
    heapRetained: retained.heapUsed - before.heapUsed,
    tapeLength: typeof m.__benchTapeLength === "function" && mode !== "closed" ? m.__benchTapeLength() : -1,
  };
  result = null;
  void result;
  return out;
}

const first = measure();
const second = measure();
console.log(JSON.stringify({ k, mode, resultBytes, inputBytes: 8 * k, peakReset, first, second }));
