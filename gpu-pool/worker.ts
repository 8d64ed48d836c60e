/**
 * A piscina worker: owns one model version's ONNX Runtime sessions, created once when the worker starts
 * (top-level await, so piscina hands it no task before they exist), and scores batches of feature rows.
 * The rows arrive as a transferred ArrayBuffer and go back the same way with the scores, so a batch is
 * never copied between threads and its buffer can be reused.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { OnnxScorer } from './scorer.js';
import type { FaultInjection, ScoreTask, TaskResult, WorkerConfig } from './worker-protocol.js';
import { runAsBackgroundThread } from '../engine/thread-priority.js';

// Before the sessions exist: threads ONNX Runtime starts inherit this thread's priority.
runAsBackgroundThread('scoring worker');

const config = workerData as WorkerConfig;
const scorer = await OnnxScorer.load(config.versionDir, { providers: config.providers, intraOpThreads: config.intraOpThreads, alertRate: config.alertRate });
let reportedProviders = false;

/** Test hook: crash (exit or throw) on a batch whose first value is the poison value. */
function maybeCrash(fault: FaultInjection | undefined, rows: Float32Array): void {
  if (!fault || rows[0] !== fault.poison) return;
  if (fault.once) {
    // Only the first worker to see the poison crashes; the retry then succeeds.
    const flag = new Int32Array(fault.once);
    if (Atomics.compareExchange(flag, 0, 0, 1) !== 0) return;
  }
  if (fault.mode === 'exit') process.exit(1);
  throw new Error('poisoned batch (fault injection)');
}

export default async function score(task: ScoreTask): Promise<unknown> {
  const rows = new Float32Array(task.rows, 0, task.n * task.features);
  maybeCrash(config.fault, rows);
  const out = await scorer.score(rows, task.n);
  const result: TaskResult = {
    batchId: task.batchId,
    versionId: scorer.versionId,
    n: task.n,
    ensemble: out.ensemble.buffer as ArrayBuffer,
    perModel: out.perModel.buffer as ArrayBuffer,
    flagged: out.flagged,
    rows: task.rows,
    threshold: scorer.threshold,
    ...(reportedProviders ? {} : { providers: scorer.providers }),
  };
  reportedProviders = true;
  // Everything with a buffer goes back by transfer: the scores, and the rows for reuse by the batcher.
  return move({
    get [transferableSymbol]() {
      return [result.ensemble, result.perModel, result.rows];
    },
    get [valueSymbol]() {
      return result;
    },
  } as never);
}
