/** What the pool and its workers exchange (plain data: structured-cloned or transferred). */
import type { FlaggedRow } from './scorer.js';
import type { Provider } from './providers.js';
import type { ModelName } from './ensemble.js';

export interface FaultInjection {
  /** A batch whose first feature value equals this crashes the worker. */
  poison: number;
  mode: 'exit' | 'throw';
  /** When set (an Int32 flag in shared memory), only the first poisoned attempt crashes. */
  once?: SharedArrayBuffer;
}

export interface WorkerConfig {
  versionDir: string;
  providers: Provider[];
  intraOpThreads: number;
  alertRate: number | undefined;
  fault?: FaultInjection;
}

export interface ScoreTask {
  batchId: number;
  /** Row-major feature rows; transferred, so the sender's view is detached afterwards. */
  rows: ArrayBuffer;
  n: number;
  features: number;
}

export interface TaskResult {
  batchId: number;
  versionId: string;
  n: number;
  /** Float32 ensemble scores. */
  ensemble: ArrayBuffer;
  /** Float32 per-model scores, model-major (MODEL_NAMES order). */
  perModel: ArrayBuffer;
  flagged: FlaggedRow[];
  /** The rows buffer, given back for reuse. */
  rows: ArrayBuffer;
  threshold: number;
  /** Set on a worker's first result: the provider each model's session got. */
  providers?: Record<ModelName, string>;
}
