// One fuzzing batch in a worker thread (so that batches run on several cores,
// and the modules a batch imports are freed with the worker when it ends).
import { parentPort, workerData } from "node:worker_threads";
import type { Prop } from "./check.js";
import { runBatch, type BatchResult, type Kind } from "./engine.js";

export interface Job {
  kind: Kind;
  seed: number;
  numRuns: number;
  props: Prop[];
  known: string[];
  shrinkMs: number;
  shrinkBudgetMs: number;
  typesEvery?: number;
  surfaceEvery?: number;
  shrinkDeadline?: number;
  /** Date.now() after which the batch stops starting programs (none: every program runs) */
  deadline?: number;
}

export type Message =
  | { type: "progress"; done: number }
  | { type: "done"; result: Omit<BatchResult, "counts"> & { counts: [string, number][] } }
  | { type: "error"; message: string };

const job = workerData as Job;
let stopped = false;
parentPort!.on("message", (m: unknown) => {
  if (m === "stop") stopped = true;
});
const post = (m: Message) => parentPort!.postMessage(m);

try {
  const result = await runBatch({
    kind: job.kind,
    seed: job.seed,
    numRuns: job.numRuns,
    props: job.props,
    shrinkMs: job.shrinkMs,
    shrinkBudgetMs: job.shrinkBudgetMs,
    typesEvery: job.typesEvery,
    surfaceEvery: job.surfaceEvery,
    shrinkDeadline: job.shrinkDeadline,
    known: new Set(job.known),
    onProgress: (done) => post({ type: "progress", done }),
    stop: () => stopped,
    until: job.deadline,
  });
  post({ type: "done", result: { ...result, counts: [...result.counts] } });
} catch (e) {
  post({ type: "error", message: String((e as Error).stack ?? e) });
}
parentPort!.close();
