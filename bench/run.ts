// jacc's benchmarks (npm run bench): ratios measured in one run, never absolute
// times alone (DESIGN.md, Benchmarks). Generated code ÷ hand-written closed
// form, generated ÷ PyTorch's best variant (when /usr/bin/python3 has torch),
// Jacobian ÷ primal, compile time of a 1,000-line module, and the memory of a
// reverse sweep over a million-link arm (`--closed-only`: the first table
// alone; `--min`: fastest batches; `--subjects FILE`: a module of bench/subjects.ts compiled earlier, for
// a before/after on one machine). Benchmarks are not tests: every
// target is reported as PASS or MISS and the process always exits 0.
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Tensor } from "jacc";
import { compileToFile, importFile, readRepoFile, repoRoot, TAPE_PROBE } from "./compile.js";
import { armJacobianClosed, armVecJacobianClosed, rosenGradClosed, rosenHessianClosed } from "./closed.js";
import { fmtTime, pairedRatio, timeMany, type Timing } from "./timing.js";
import { fmtRatio, printTable, verdict, type Row } from "./table.js";
import { runTorch, torchAvailable, type TorchCase, type TorchResults } from "./torch.js";

const here = path.dirname(fileURLToPath(import.meta.url));

interface Subjects {
  setLinks(L: Float64Array): void;
  arm(q: Float64Array): [number, number];
  rosen(x: Float64Array): number;
  armVec(q: Float64Array): number[];
  armVecJacrev(q: Float64Array): Tensor;
  armVecJacfwd(q: Float64Array): Tensor;
  armJacrev(q: Float64Array): [Tensor, Tensor];
  armJacfwd(q: Float64Array): [Tensor, Tensor];
  armJacobian(q: Float64Array): [Tensor, Tensor];
  rosenHessian(x: Float64Array): Tensor;
  rosenGrad(x: Float64Array): Tensor;
}

const ARM_SIZES = [3, 30, 300];
const ROSEN_SIZES = [10, 100, 1000];
const CLOSED_TARGET = 1.5; // generated ÷ closed form
const TORCH_TARGET = 0.01; // generated ÷ PyTorch best: jacc at least 100× faster
const COMPILE_TARGET = 1; // seconds
const MEMORY_TARGET = 16; // bytes per link
const MEMORY_LINKS = 1_000_000;

/** Deterministic inputs (a linear congruential generator), uniform in [lo, hi). */
function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return a;
}

/** Flattens a result (a Tensor, or an array of Tensors / numbers) to numbers. */
function flat(r: unknown): number[] {
  if (typeof r === "number") return [r];
  if (Array.isArray(r)) return r.flatMap(flat);
  const t = r as Tensor;
  return Array.from(t.data);
}

function maxRelErr(a: unknown, b: unknown): number {
  const x = flat(a), y = flat(b);
  if (x.length !== y.length) return Infinity;
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return e;
}

const sum = (r: unknown): number => flat(r).reduce((s, v) => s + v, 0);

// `--min`: ratios of the fastest batches (the least disturbed ones on a machine
// shared with other work) instead of the median of per-round ratios
const useMin = process.argv.includes("--min");
const ratioOf = (j: Timing, c: Timing): number => (useMin ? j.min / c.min : pairedRatio(j, c));

function closedRow(name: string, size: number, j: Timing, c: Timing, err: number): Row {
  // the median of per-round ratios: on a loaded machine, drift hits both batches of a round alike
  const r = ratioOf(j, c);
  return {
    name,
    size: String(size),
    jacc: fmtTime(useMin ? j.min : j.median),
    ref: fmtTime(useMin ? c.min : c.median),
    ratio: fmtRatio(r),
    target: `≤ ${CLOSED_TARGET}`,
    verdict: err > 1e-9 ? "WRONG" : verdict(r, CLOSED_TARGET),
  };
}

function infoRow(name: string, size: number, j: Timing, p: Timing): Row {
  const r = ratioOf(j, p);
  return { name, size: String(size), jacc: fmtTime(j.median), ref: fmtTime(p.median), ratio: fmtRatio(r), target: "—", verdict: "info" };
}

// ---- generated ÷ closed form ------------------------------------------------

function benchArm(m: Subjects, rows: Row[], torchCases: TorchCase[], jaccTimes: Map<string, Timing>, sums: Map<string, number>): void {
  for (const k of ARM_SIZES) {
    const q = uniform(k, -1, 1, 1000 + k);
    const L = uniform(k, 0.5, 1.5, 2000 + k);
    m.setLinks(L);
    const ref = armJacobianClosed(q, L);
    const errs = [m.armJacrev(q), m.armJacfwd(q), m.armJacobian(q)].map((r) => maxRelErr(r, ref));
    const [tRev, tFwd, tJac, tClosed, tPrimal] = timeMany([
      () => m.armJacrev(q),
      () => m.armJacfwd(q),
      () => m.armJacobian(q),
      () => armJacobianClosed(q, L),
      () => m.arm(q),
    ]);
    rows.push(closedRow("arm: jacrev ÷ closed form", k, tRev, tClosed, errs[0]));
    rows.push(closedRow("arm: jacfwd ÷ closed form", k, tFwd, tClosed, errs[1]));
    rows.push(closedRow("arm: jacobian(arm, q) ÷ closed form", k, tJac, tClosed, errs[2]));
    rows.push(infoRow("arm: jacrev ÷ primal", k, tRev, tPrimal));
    rows.push(infoRow("arm: closed form ÷ primal", k, tClosed, tPrimal));
    jaccTimes.set(`arm/${k}/jacrev`, tRev);
    jaccTimes.set(`arm/${k}/jacfwd`, tFwd);
    jaccTimes.set(`arm/${k}/closed`, tClosed);
    sums.set(`arm/${k}`, sum(ref));
    // the arm as users write it, `return [x, y]` unannotated: a vector output, one [2, k] block
    const vecRef = armVecJacobianClosed(q, L);
    const vecErrs = [m.armVecJacrev(q), m.armVecJacfwd(q)].map((r) => maxRelErr(r, vecRef));
    const [tvRev, tvFwd, tvClosed] = timeMany([() => m.armVecJacrev(q), () => m.armVecJacfwd(q), () => armVecJacobianClosed(q, L)]);
    rows.push(closedRow("arm, vector output: jacrev ÷ closed form", k, tvRev, tvClosed, vecErrs[0]));
    rows.push(closedRow("arm, vector output: jacfwd ÷ closed form", k, tvFwd, tvClosed, vecErrs[1]));
    rows.push(infoRow("arm, vector output: jacfwd ÷ jacrev", k, tvFwd, tvRev));
    torchCases.push({ id: `arm/${k}`, program: "arm", kind: "jacobian", size: k, loopMax: 300, x: Array.from(q), L: Array.from(L) });
  }
}

function benchRosen(m: Subjects, rows: Row[], torchCases: TorchCase[], jaccTimes: Map<string, Timing>, sums: Map<string, number>): void {
  for (const n of ROSEN_SIZES) {
    const x = uniform(n, -1.5, 1.5, 3000 + n);
    const hRef = rosenHessianClosed(x);
    const gRef = rosenGradClosed(x);
    const [tH, tHc] = timeMany([() => m.rosenHessian(x), () => rosenHessianClosed(x)]);
    rows.push(closedRow("rosenbrock: hessian ÷ closed form", n, tH, tHc, maxRelErr(m.rosenHessian(x), hRef)));
    const [tG, tGc, tP] = timeMany([() => m.rosenGrad(x), () => rosenGradClosed(x), () => m.rosen(x)]);
    rows.push(closedRow("rosenbrock: grad ÷ closed form", n, tG, tGc, maxRelErr(m.rosenGrad(x), gRef)));
    rows.push(infoRow("rosenbrock: grad ÷ primal", n, tG, tP));
    rows.push(infoRow("rosenbrock: hessian ÷ primal", n, tH, tP));
    jaccTimes.set(`rosen/${n}/hessian`, tH);
    jaccTimes.set(`rosen/${n}/grad`, tG);
    jaccTimes.set(`rosen/${n}/hessian-closed`, tHc);
    jaccTimes.set(`rosen/${n}/grad-closed`, tGc);
    sums.set(`rosen/${n}/hessian`, sum(hRef));
    sums.set(`rosen/${n}/grad`, sum(gRef));
    const xs = Array.from(x);
    torchCases.push({ id: `rosen/${n}/hessian`, program: "rosen", kind: "hessian", size: n, loopMax: 100, x: xs });
    torchCases.push({ id: `rosen/${n}/grad`, program: "rosen", kind: "grad", size: n, loopMax: 100, x: xs });
  }
}

// ---- generated ÷ PyTorch --------------------------------------------------------

function torchRows(t: TorchResults, jaccTimes: Map<string, Timing>, sums: Map<string, number>, notes: string[]): Row[] {
  // "closed form ÷ PyTorch best" rows show the limit: no generated code can
  // beat the hand-written closed form, so where that row misses, so must jacc.
  const rows: Row[] = [];
  const add = (name: string, id: string, jaccKey: string, size: number) => {
    const c = t.cases[id];
    const j = jaccTimes.get(jaccKey);
    if (!c || c.best === null || !j) {
      rows.push({ name, size: String(size), jacc: fmtTime(j?.median), ref: "—", ratio: "—", target: "—", verdict: "—" });
      return;
    }
    const r = j.median / c.best;
    const expected = sums.get(id);
    const agrees = expected === undefined || c.checksum === null || Math.abs(c.checksum - expected) <= 1e-8 * (1 + Math.abs(expected));
    rows.push({
      name,
      size: String(size),
      jacc: fmtTime(j.median),
      ref: fmtTime(c.best),
      ratio: fmtRatio(r),
      target: `≤ ${TORCH_TARGET} (≥ 100× faster)`,
      verdict: !agrees ? "WRONG" : jaccKey.endsWith("closed") ? "info" : verdict(r, TORCH_TARGET),
    });
    if (!notes.some((n) => n.startsWith(`${id}:`))) {
      const errs = Object.entries(c.variants).filter(([, v]) => v.error).map(([k]) => k);
      notes.push(`${id}: best ${c.bestVariant} (${fmtTime(c.best)})${errs.length ? `; not supported: ${errs.join(", ")}` : ""}`);
    }
  };
  for (const k of ARM_SIZES) {
    add("arm: jacrev ÷ PyTorch best", `arm/${k}`, `arm/${k}/jacrev`, k);
    add("arm: jacfwd ÷ PyTorch best", `arm/${k}`, `arm/${k}/jacfwd`, k);
    add("arm: closed form ÷ PyTorch best (the limit)", `arm/${k}`, `arm/${k}/closed`, k);
  }
  for (const n of ROSEN_SIZES) {
    add("rosenbrock: hessian ÷ PyTorch best", `rosen/${n}/hessian`, `rosen/${n}/hessian`, n);
    add("rosenbrock: closed-form hessian ÷ PyTorch best (the limit)", `rosen/${n}/hessian`, `rosen/${n}/hessian-closed`, n);
    add("rosenbrock: grad ÷ PyTorch best", `rosen/${n}/grad`, `rosen/${n}/grad`, n);
    add("rosenbrock: closed-form grad ÷ PyTorch best (the limit)", `rosen/${n}/grad`, `rosen/${n}/grad-closed`, n);
  }
  return rows;
}

// ---- compile time and memory (child processes) --------------------------------

function child(args: string[]): any | null {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 24, timeout: 600_000 });
  if (r.status !== 0) {
    console.log(`child ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr ?? "").slice(-2000)}`);
    return null;
  }
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch {
    console.log(`child ${args.join(" ")} printed no JSON:\n${r.stdout.slice(-2000)}`);
    return null;
  }
}

function compileRows(): Row[] {
  const c = child([path.join(here, "compile-time.js")]);
  if (!c) return [];
  const size = `${c.lines} lines, ${c.markers} markers`;
  const row = (name: string, s: number): Row => ({
    name,
    size,
    jacc: fmtTime(s),
    ref: "—",
    ratio: "—",
    target: `< ${COMPILE_TARGET} s`,
    verdict: c.diagnostics ? "WRONG" : verdict(s, COMPILE_TARGET - 1e-12),
  });
  return [
    row("compileModule, cold (first call in a fresh process, after the import)", c.cold),
    row("compileModule, warm (median)", c.warmMedian),
    { name: "compileModule, warm, target ts (no transpileModule of the output)", size, jacc: fmtTime(c.warmTsMedian), ref: "—", ratio: "—", target: "—", verdict: "info" },
    { name: "import jacc/compiler with TypeScript (fresh process, before the cold call)", size: "—", jacc: fmtTime(c.importTime), ref: "—", ratio: "—", target: "—", verdict: "info" },
    { name: "generated output", size, jacc: `${c.outputLines} lines of JS`, ref: "—", ratio: "—", target: "—", verdict: "info" },
  ];
}

function memoryRows(file: string, notes: string[]): Row[] {
  const k = MEMORY_LINKS;
  const gcFlag = "--expose-gc";
  const mem = path.join(here, "memory.js");
  const j = child([gcFlag, mem, file, String(k), "jacrev"]);
  const c = child([gcFlag, mem, file, String(k), "closed"]);
  if (!j || !c) return [];
  const perLink = (bytes: number) => bytes / k;
  const fmtB = (b: number) => `${b.toFixed(1)} B/link`;
  const rows: Row[] = [];
  const bRow = (name: string, jv: number, cv: number | undefined, target?: number): Row => ({
    name,
    size: "k = 1e6",
    jacc: fmtB(jv),
    ref: cv === undefined ? "—" : fmtB(cv),
    ratio: "—",
    target: target === undefined ? "—" : `≤ ${target} B/link`,
    verdict: verdict(jv, target),
  });
  const tape = perLink(j.first.tapeLength * 8);
  // the tape the first call grew stays with the module: a second call's peak
  // growth does not see it, so its working set is that growth plus the tape
  const peak1 = perLink(j.first.peakRssGrowth - j.resultBytes);
  const peak2 = perLink(j.second.peakRssGrowth - j.resultBytes);
  const cPeak1 = perLink(c.first.peakRssGrowth - c.resultBytes);
  const cPeak2 = perLink(c.second.peakRssGrowth - c.resultBytes);
  rows.push(bRow("arm jacrev memory: reverse-sweep tape (__jaccTape length × 8)", tape, undefined, MEMORY_TARGET));
  rows.push(bRow("arm jacrev memory: peak RSS growth beyond the result, 1st call (tape grows)", peak1, cPeak1, MEMORY_TARGET));
  rows.push(bRow("arm jacrev memory: peak RSS growth beyond the result, 2nd call, + tape held", peak2 + tape, cPeak2, MEMORY_TARGET));
  rows.push(bRow("arm jacrev memory: ArrayBuffers live at return beyond the result, 1st call", perLink(j.first.arrayBuffersAtReturn - j.resultBytes), perLink(c.first.arrayBuffersAtReturn - c.resultBytes)));
  rows.push(bRow("arm jacrev memory: ArrayBuffers live at return beyond the result, 2nd call", perLink(j.second.arrayBuffersAtReturn - j.resultBytes), perLink(c.second.arrayBuffersAtReturn - c.resultBytes)));
  rows.push(bRow("arm jacrev memory: retained after the 1st call and a full GC, beyond the result", perLink(j.first.arrayBuffersRetained - j.resultBytes), perLink(c.first.arrayBuffersRetained - c.resultBytes)));
  rows.push({
    name: "arm jacrev, one call (single-shot time, 2nd call)",
    size: "k = 1e6",
    jacc: fmtTime(j.second.seconds),
    ref: fmtTime(c.second.seconds),
    ratio: fmtRatio(j.second.seconds / c.second.seconds),
    target: "—",
    verdict: "info",
  });
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  notes.push(
    `memory, k = ${k}: result ${mb(j.resultBytes)} (2 × k float64), input ${mb(j.inputBytes)} (allocated before the measurement); ` +
      `peak reset through /proc/self/clear_refs: ${j.peakReset ? "yes" : "no (maxRSS, less exact)"}; ` +
      `jacc 1st call: peak RSS +${mb(j.first.peakRssGrowth)}, ArrayBuffers at return +${mb(j.first.arrayBuffersAtReturn)}, ` +
      `tape ${j.first.tapeLength} entries; 2nd call: peak RSS +${mb(j.second.peakRssGrowth)}; ` +
      `closed form: peak RSS +${mb(c.first.peakRssGrowth)}, +${mb(c.second.peakRssGrowth)}`,
  );
  return rows;
}

// ---- main -----------------------------------------------------------------

/** The commit measured, and whether the compiler or runtime differ from it. */
function gitState(): string {
  const git = (...a: string[]) => spawnSync("git", a, { cwd: repoRoot, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "not a git checkout";
  const dirty = git("status", "--porcelain", "--", "compiler", "runtime").stdout.trim();
  return `commit ${head.stdout.trim()}${dirty ? ` + uncommitted changes in compiler/ or runtime/ (${dirty.split("\n").length} files)` : ""}`;
}

async function main(): Promise<void> {
  const torchVersion = torchAvailable();
  console.log("# jacc benchmarks");
  console.log(`date: ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`);
  console.log(`jacc: ${gitState()}`);
  console.log(`node ${process.version}; PyTorch ${torchVersion ?? "not available"} (/usr/bin/python3)`);
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`load average at start: ${load()}${os.loadavg()[0] > os.cpus().length * 0.5 ? " (busy machine: absolute times are inflated; ratios are interleaved, so less so)" : ""}`);
  console.log("times: median per call over ≥ 7 batches and ≥ 0.3 s after a warm-up; ratios = jacc ÷ reference (lower is better), closed-form rows: the median over rounds of the ratio of one round's batches");

  const source = readRepoFile("bench/subjects.ts");
  const compiled = compileToFile(source, path.join(repoRoot, "bench", "subjects.ts"), "subjects", TAPE_PROBE);
  // `--subjects FILE`: time a module compiled earlier (e.g. by another commit's jacc) instead
  const given = process.argv.indexOf("--subjects");
  const file = given > 0 ? path.resolve(process.argv[given + 1]) : compiled.file;
  if (given > 0) console.log(`subjects: ${path.relative(repoRoot, file)} (compiled earlier)`);
  const m = await importFile<Subjects>(file);

  const closedRows: Row[] = [];
  const torchCases: TorchCase[] = [];
  const jaccTimes = new Map<string, Timing>();
  const sums = new Map<string, number>();
  const notes: string[] = [];
  benchArm(m, closedRows, torchCases, jaccTimes, sums);
  benchRosen(m, closedRows, torchCases, jaccTimes, sums);
  printTable("Generated code ÷ hand-written closed form (same result objects)", closedRows);
  // `--closed-only`: just the table above (a quick before/after while working)
  if (process.argv.includes("--closed-only")) return;

  const compile = compileRows();
  printTable("Compile time", compile);

  const memory = memoryRows(compiled.file, notes);
  printTable(`Memory: arm jacrev, k = ${MEMORY_LINKS} links (reference: closed form)`, memory);

  console.log("\nPyTorch: timing every variant (this takes a minute)…");
  const t = runTorch(torchCases);
  if (t) {
    printTable(`Generated code ÷ PyTorch ${t.torch} best variant (float64, ${t.threads} thread${t.threads === 1 ? "" : "s"})`, torchRows(t, jaccTimes, sums, notes));
  }
  notes.push(`load average at the end: ${load()}`);
  if (notes.length) {
    console.log("\n### Notes\n");
    for (const n of notes) console.log(`- ${n}`);
  }
}

try {
  await main();
} catch (e) {
  console.log(`benchmark aborted: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
}
process.exit(0);
