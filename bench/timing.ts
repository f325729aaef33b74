// A robust timer for benchmarks: one cold call, a warm-up, then batches of
// calls sized so that a batch takes a few tens of milliseconds, repeated until
// at least MIN_TOTAL seconds and MIN_BATCHES batches; the result is the median
// per-call time over the batches. `timeMany` interleaves the batches of
// several functions round by round (every function once per round, the same
// number of rounds for all) so that drift on a busy machine hits both sides of
// a ratio alike; `pairedRatio` is the median over the rounds of the ratio of
// two functions' batches in one round. (No forced gc() between batches: a
// forced collection throws away optimised code and type feedback, which made
// the runtime's structured path up to 6× slower in a test.)

export interface Timing {
  /** median seconds per call over the batches */
  median: number;
  /** fastest batch, seconds per call */
  min: number;
  /** the first (cold) call, seconds */
  cold: number;
  batches: number;
  callsPerBatch: number;
  /** seconds per call of each batch, in round order */
  perCall: number[];
}

export interface TimeOptions {
  minTotal?: number; // seconds of batches, per function (default 0.3)
  minBatches?: number; // default 7 (rounds, for timeMany)
  warmup?: number; // seconds (default 0.05)
}

/** Results land here so that no call can be optimised away. */
export let sink: unknown = undefined;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Runner {
  fn: () => unknown;
  n: number;
  cold: number;
  perCall: number[];
  spent: number;
}

function prepare(fn: () => unknown, o: Required<TimeOptions>): Runner {
  let t0 = now();
  sink = fn();
  const cold = now() - t0;
  // warm-up: at least 3 calls and `warmup` seconds
  let calls = 0;
  t0 = now();
  let el = 0;
  while (calls < 3 || el < o.warmup) {
    sink = fn();
    calls++;
    el = now() - t0;
  }
  const est = el / calls;
  const batchTarget = o.minTotal / o.minBatches;
  const n = Math.max(1, Math.ceil(batchTarget / Math.max(est, 1e-9)));
  return { fn, n, cold, perCall: [], spent: 0 };
}

function batch(r: Runner): void {
  const { fn, n } = r;
  const t0 = now();
  for (let i = 0; i < n; i++) sink = fn();
  const el = now() - t0;
  r.perCall.push(el / n);
  r.spent += el;
}

function finish(r: Runner): Timing {
  return { median: median(r.perCall), min: Math.min(...r.perCall), cold: r.cold, batches: r.perCall.length, callsPerBatch: r.n, perCall: r.perCall };
}

const defaults = (o: TimeOptions): Required<TimeOptions> => ({ minTotal: 0.3, minBatches: 7, warmup: 0.05, ...o });

/** Times one function. */
export function time(fn: () => unknown, opts: TimeOptions = {}): Timing {
  const o = defaults(opts);
  const r = prepare(fn, o);
  while (r.perCall.length < o.minBatches || r.spent < o.minTotal) batch(r);
  return finish(r);
}

/** Times several functions with their batches interleaved (a, b, c, a, b, c, …). */
export function timeMany(fns: (() => unknown)[], opts: TimeOptions = {}): Timing[] {
  const o = defaults(opts);
  const rs = fns.map((f) => prepare(f, o));
  const done = (r: Runner) => r.perCall.length >= o.minBatches && r.spent >= o.minTotal;
  while (!rs.every(done)) for (const r of rs) batch(r);
  return rs.map(finish);
}

/** The median over rounds of a's batch ÷ b's batch (both from one timeMany call). */
export function pairedRatio(a: Timing, b: Timing): number {
  const k = Math.min(a.perCall.length, b.perCall.length);
  const rs: number[] = [];
  for (let i = 0; i < k; i++) rs.push(a.perCall[i] / b.perCall[i]);
  return median(rs);
}

/** Formats seconds with a unit: 1.23 µs, 45.6 ms, … */
export function fmtTime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "—";
  if (s < 1e-6) return `${(s * 1e9).toPrecision(3)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}
