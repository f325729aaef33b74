// Wall-clock time per call: one warm-up call, then as many calls as fit in a
// time budget (performance.now() is coarse in browsers, so never time one call).
export interface Timing {
  /** mean microseconds per call */
  us: number;
  calls: number;
}

const BUDGET_MS = 120;
const MIN_CALLS = 5;

/** For CPU work: no await inside the loop, which would add a microtask per call. */
export function timeSync(fn: () => unknown): Timing {
  fn();
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 10; i++) fn();
    calls += 10;
    elapsed = performance.now() - t0;
  } while (elapsed < BUDGET_MS);
  return { us: (elapsed * 1000) / calls, calls };
}

/** For device work, which ends with an asynchronous read-back. */
export async function timeAsync(fn: () => Promise<unknown>): Promise<Timing> {
  await fn();
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    await fn();
    calls++;
    elapsed = performance.now() - t0;
  } while (elapsed < BUDGET_MS || calls < MIN_CALLS);
  return { us: (elapsed * 1000) / calls, calls };
}

export function formatUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 2 : 1)} µs`;
}
