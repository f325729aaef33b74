// npm run fuzz [-- --minutes N] [--seed S] [--workers W] [--batch B] [--kind scalar|tensor|both]
//                 [--props first,second,vmap,types] [--types-every N] [--surface-every N] [--no-save]
//
// The unbounded fuzzing pass: batches of generated programs (scalar and tensor,
// three to one) run in worker threads, each batch with its own seed (the base
// seed, random unless given, plus the batch number), until Ctrl-C or after
// --minutes (plus at most 30 s to shrink what the last batches found).
// Progress is printed as it goes. Each failure category found for
// the first time in this run is shrunk, printed (the shrunk program, the
// points, what was expected and what came) and, unless --no-save, written as a
// fixture: fixtures/scalar/fuzz_<hash>.ts (the format of the other scalar
// fixtures) or fixtures/fuzz-tensor/fuzz_<hash>.ts. Categories that already
// have a fixture are counted but not written again. Failures that are the
// generator's own (a program that misbehaves by itself) are printed apart and
// never become fixtures. A summary goes to .tmp/fuzz/last-run.json.
// --surface-every N builds `jacobian` (both modes) and `hessian`, which wrap the
// transforms jacrev, jacfwd and jacfwd(jacrev) already check, on every N-th
// program only (default 1: every program). Workers get a larger young
// generation: the compiler allocates short-lived IR, and scavenges were a
// sixth of a program's time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { ALL_PROPS, fmtArg, stablePoints, type Prop } from "./check.js";
import { subjectOf, textOf, type Found, type Kind } from "./engine.js";
import { knownCategories, writeFixture } from "./fixture.js";
import type { Job, Message } from "./worker.js";
import { repoRoot } from "../util/compile.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const minutes = Number(option("minutes") ?? Infinity);
const baseSeed = Number(option("seed") ?? (Date.now() ^ (process.pid << 8)) >>> 0);
const workers = Math.max(1, Number(option("workers") ?? Math.min(2, os.availableParallelism?.() ?? os.cpus().length)));
const batch = Number(option("batch") ?? 60);
const kindOpt = option("kind") ?? "both";
const props = (option("props")?.split(",") as Prop[] | undefined) ?? ALL_PROPS;
const typesEvery = Number(option("types-every") ?? 3);
const surfaceEvery = Number(option("surface-every") ?? 1);
const save = !process.argv.includes("--no-save");
if (process.argv.includes("--help")) {
  console.log(fs.readFileSync(new URL(import.meta.url)).toString().split("\n").slice(0, 15).join("\n").replace(/^\/\/ ?/gm, ""));
  process.exit(0);
}

const t0 = Date.now();
const deadline = t0 + minutes * 60_000;
const known = save ? knownCategories() : new Set<string>();
const seenThisRun = new Set<string>();
const counts = new Map<string, { n: number; culprit: string; kind: Kind }>();
const reports: { category: string; culprit: string; kind: Kind; fixture?: string; program: string; message: string; seed: number; path: string }[] = [];
let programs = { scalar: 0, tensor: 0 };
let inFlight = new Map<Worker, { kind: Kind; done: number }>();
let batchNo = 0;
let stopping = false;
const pending = new Set<Promise<void>>();
const pointStats = { points: 0, skippedNonFinite: 0, fdUnstable: 0, compared: 0, vmapRows: 0, adUnstable: 0, roundingExplained: 0, noiseExplained: 0, overflowExplained: 0 };

const elapsed = () => {
  const s = Math.round((Date.now() - t0) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};
const running = () => [...inFlight.values()].reduce((a, b) => a + b.done, 0);
const failures = () => [...counts.values()].reduce((a, b) => a + b.n, 0);
function progress(): void {
  const line = `[${elapsed()}] programs ${programs.scalar + programs.tensor + running()} (scalar ${programs.scalar}, tensor ${programs.tensor}, running ${running()}), failures ${failures()} in ${counts.size} categories (${reports.length} new this run)`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}\x1b[K`);
  else console.log(line);
}

async function report(f: Found): Promise<void> {
  const s = subjectOf(f.kind, f.shrunk.value);
  const program = textOf(f.kind, f.shrunk.value);
  const out: string[] = [
    "",
    `──── ${f.culprit === "generator" ? "GENERATOR BUG (not the compiler's)" : "failure"}: ${f.category}`,
    `     ${f.kind} program, seed ${f.seed}, path ${f.shrunk.path} (shrunk in ${f.shrunk.steps} steps; ${f.count} program(s) of the batch failed this way)`,
    program.trimEnd(),
    `// points: ${s.points.map((p) => `(${p.map(fmtArg).join(", ")})`).join("  ")}`,
    f.shrunk.failure.message,
  ];
  let fixture: string | undefined;
  if (save && f.culprit === "compiler" && !known.has(f.category)) {
    const stable = await stablePoints(s);
    const keep = s.points.filter((_, i) => stable[i] || i === f.shrunk.failure.point);
    fixture = path.relative(repoRoot, writeFixture(f, keep.length ? keep : s.points));
    known.add(f.category);
    out.push(`→ saved as ${fixture}`);
  }
  if (process.stdout.isTTY) process.stdout.write("\r\x1b[K");
  console.log(out.join("\n"));
  reports.push({ category: f.category, culprit: f.culprit, kind: f.kind, fixture, program, message: f.shrunk.failure.message, seed: f.seed, path: f.shrunk.path });
}

function nextKind(): Kind {
  if (kindOpt === "scalar" || kindOpt === "tensor") return kindOpt;
  return batchNo % 4 === 3 ? "tensor" : "scalar";
}

function launch(): Promise<void> {
  const kind = nextKind();
  const job: Job = {
    kind,
    seed: (baseSeed + batchNo++) >>> 0,
    numRuns: batch,
    props,
    known: [...seenThisRun, ...known],
    shrinkMs: 60_000,
    shrinkBudgetMs: 120_000,
    // (a batch that ends at the deadline still shrinks what it found, for at most 30 s)
    shrinkDeadline: deadline + 30_000,
    typesEvery,
    surfaceEvery,
    deadline,
  };
  return new Promise((resolve) => {
    const w = new Worker(new URL("./worker.js", import.meta.url), { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 192 } });
    inFlight.set(w, { kind, done: 0 });
    w.on("message", async (m: Message) => {
      if (m.type === "progress") inFlight.get(w)!.done = m.done;
      else if (m.type === "error") console.error(`\nworker error (seed ${job.seed}): ${m.message}`);
      else {
        programs[kind] += m.result.programs;
        inFlight.get(w)!.done = 0;
        for (const k of Object.keys(pointStats) as (keyof typeof pointStats)[]) pointStats[k] += m.result.stats[k];
        for (const [c, n] of m.result.counts) {
          const e = counts.get(c);
          const culprit = m.result.found.find((f) => f.category === c)?.culprit ?? "compiler";
          counts.set(c, { n: (e?.n ?? 0) + n, culprit, kind });
        }
        for (const f of m.result.found) {
          if (seenThisRun.has(f.category)) continue;
          seenThisRun.add(f.category);
          const r = report(f);
          pending.add(r);
          await r;
          pending.delete(r);
        }
      }
    });
    w.on("exit", () => {
      inFlight.delete(w);
      resolve();
    });
    w.on("error", (e) => console.error(`\nworker crashed (seed ${job.seed}): ${e.stack}`));
  });
}

async function lane(): Promise<void> {
  while (!stopping && Date.now() < deadline) await launch();
}

function summary(): void {
  if (process.stdout.isTTY) process.stdout.write("\n");
  const total = programs.scalar + programs.tensor;
  console.log(`\n==== fuzz summary: ${total} programs (scalar ${programs.scalar}, tensor ${programs.tensor}) in ${elapsed()}, base seed ${baseSeed}`);
  console.log(`points: ${pointStats.points} checked, ${pointStats.compared} against finite differences, ${pointStats.fdUnstable} next to a kink (forward == reverse only), ${pointStats.skippedNonFinite} skipped (f not finite), ${pointStats.adUnstable} where the derivative is ill-conditioned (not compared with finite differences), ${pointStats.roundingExplained} where two modes differed within the rounding of the program's largest value, ${pointStats.noiseExplained} within their own rounding under scaled seeds, ${pointStats.overflowExplained} non-finite as IEEE arithmetic gives it (overflow.ts); ${pointStats.vmapRows} vmap rows compared`);
  const rows = [...counts].sort((a, b) => b[1].n - a[1].n);
  if (rows.length === 0) console.log("no failures");
  for (const [c, { n, culprit, kind }] of rows) console.log(`${String(n).padStart(6)}× [${kind}${culprit === "generator" ? ", GENERATOR" : ""}] ${c}`);
  const saved = reports.filter((r) => r.fixture);
  if (saved.length) console.log(`fixtures written:\n${saved.map((r) => `  ${r.fixture}  (${r.category})`).join("\n")}`);
  const file = path.join(repoRoot, ".tmp", "fuzz", "last-run.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ baseSeed, ms: Date.now() - t0, programs, pointStats, counts: Object.fromEntries(counts), reports }, null, 2));
  console.log(`(details in ${path.relative(process.cwd(), file)})`);
}

process.on("SIGINT", () => {
  if (stopping) {
    for (const w of inFlight.keys()) void w.terminate();
    return;
  }
  stopping = true;
  console.log("\nstopping (the batches in flight finish their current program and are not shrunk; Ctrl-C again to drop them)");
  for (const w of inFlight.keys()) w.postMessage("stop");
});

console.log(`jacc fuzz: base seed ${baseSeed}, ${workers} worker(s), batches of ${batch}, ${Number.isFinite(minutes) ? `${minutes} minute(s)` : "until Ctrl-C"}, properties ${props.join(", ")}${save ? "" : ", not saving fixtures"}`);
const timer = setInterval(progress, process.stdout.isTTY ? 1000 : 15_000);
await Promise.all(Array.from({ length: workers }, lane));
clearInterval(timer);
await Promise.all(pending);
summary();
