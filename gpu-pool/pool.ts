/**
 * The worker pool of one model version: piscina threads that each own the version's ONNX sessions.
 *
 * - A batch's rows are transferred to the worker (no copy); the worker transfers them back with the scores.
 * - A batch whose worker crashes (throws, or the thread exits) is retried once. The transferred rows went
 *   down with the worker, so the retry asks the caller to rebuild them (`rebuild`); piscina has already
 *   replaced the dead thread (minThreads). A second failure resolves as { ok: false } and the caller records
 *   the events as not scored, to be rescored by the sweep: a failure never loses an event.
 * - The first result of each worker says which provider each model's session got; the pool logs it once
 *   per version and keeps it for stats().
 */
import type { Piscina } from 'piscina';
import { log } from '../engine/log.js';
import { MODEL_NAMES, type ModelName } from './ensemble.js';
import { FEATURE_COUNT } from './features/table.js';
import { DEFAULT_PROVIDERS, type Provider } from './providers.js';
import { fixedThreadPool } from '../engine/worker-script.js';
import type { FaultInjection, ScoreTask, TaskResult, WorkerConfig } from './worker-protocol.js';
import type { FlaggedRow } from './scorer.js';

export interface PoolOptions {
  /** Directory of the model version (manifest.json, *.onnx, reference.json). */
  versionDir: string;
  workers?: number;
  providers?: readonly Provider[];
  /** ONNX Runtime threads per session (parallelism comes from the workers; default 1). */
  intraOpThreads?: number;
  alertRate?: number;
  /** Tests only: crash workers on a poisoned batch. */
  fault?: FaultInjection;
}

export interface ScoredBatch {
  versionId: string;
  n: number;
  ensemble: Float32Array;
  /** Model-major per-model scores (MODEL_NAMES order). */
  perModel: Float32Array;
  flagged: FlaggedRow[];
  threshold: number;
  /** The rows buffer, back from the worker, for reuse. */
  rows: Float32Array;
  attempts: number;
}

export type BatchOutcome = { ok: true; batch: ScoredBatch } | { ok: false; error: string; attempts: number };

export class ScoringPool {
  private inflight = 0;
  private nextBatchId = 1;
  private readonly providerInfo = new Map<ModelName, string>();
  private logged = false;

  private constructor(
    private readonly piscina: Piscina,
    readonly versionDir: string,
    readonly workers: number,
  ) {}

  static async start(options: PoolOptions): Promise<ScoringPool> {
    const workers = Math.max(1, options.workers ?? 2);
    const workerData: WorkerConfig = {
      versionDir: options.versionDir,
      providers: [...(options.providers ?? DEFAULT_PROVIDERS)],
      intraOpThreads: options.intraOpThreads ?? 1,
      alertRate: options.alertRate,
      ...(options.fault ? { fault: options.fault } : {}),
    };
    const piscina = await fixedThreadPool('gpu-pool/worker', workers, workerData);
    // piscina reports a worker that fails to start (a model that does not load) as an 'error' event too;
    // the failed task already carries the error, so the event only needs a listener.
    piscina.on('error', (err: unknown) => log('warn', `scoring worker error: ${err instanceof Error ? err.message : String(err)}`));
    const pool = new ScoringPool(piscina, options.versionDir, workers);
    // Warm up: one empty-ish batch per worker proves the sessions load and learns the providers.
    const probe = await Promise.all(Array.from({ length: workers }, () => pool.run(new Float32Array(FEATURE_COUNT), 1)));
    const failed = probe.find((p) => !p.ok);
    if (failed && !failed.ok) {
      await piscina.destroy();
      throw new Error(`scoring workers could not start: ${failed.error}`);
    }
    return pool;
  }

  get inflightBatches(): number {
    return this.inflight;
  }

  /** Provider per model, as the workers reported it. */
  providers(): Record<string, string> {
    return Object.fromEntries(this.providerInfo);
  }

  /**
   * Scores `n` rows. `rows.buffer` is transferred (detached here afterwards). On a worker crash the batch is
   * retried once with `rebuild()`'s rows (no retry without it).
   */
  async run(rows: Float32Array, n: number, rebuild?: () => Float32Array): Promise<BatchOutcome> {
    this.inflight++;
    try {
      let attempt = 1;
      let current = rows;
      for (;;) {
        try {
          const r = await this.dispatch(current, n);
          return { ok: true, batch: this.unpack(r, attempt) };
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (attempt >= 2 || !rebuild) return { ok: false, error: message, attempts: attempt };
          log('warn', `scoring batch failed (${message}); retrying once`);
          attempt++;
          current = rebuild();
        }
      }
    } finally {
      this.inflight--;
    }
  }

  private dispatch(rows: Float32Array, n: number): Promise<TaskResult> {
    if (rows.byteOffset !== 0 || rows.length < n * FEATURE_COUNT) throw new Error('rows must start at offset 0 of their buffer and hold n rows');
    const task: ScoreTask = { batchId: this.nextBatchId++, rows: rows.buffer as ArrayBuffer, n, features: FEATURE_COUNT };
    return this.piscina.run(task, { transferList: [task.rows] }) as Promise<TaskResult>;
  }

  private unpack(r: TaskResult, attempts: number): ScoredBatch {
    if (r.providers) {
      for (const m of MODEL_NAMES) this.providerInfo.set(m, r.providers[m]);
      if (!this.logged) {
        this.logged = true;
        log('info', `scoring model ${r.versionId}: ${MODEL_NAMES.map((m) => `${m} on ${r.providers![m]}`).join(', ')}`);
      }
    }
    return {
      versionId: r.versionId,
      n: r.n,
      ensemble: new Float32Array(r.ensemble),
      perModel: new Float32Array(r.perModel),
      flagged: r.flagged,
      threshold: r.threshold,
      rows: new Float32Array(r.rows),
      attempts,
    };
  }

  /** Waits for running batches, then stops the threads. */
  async close(): Promise<void> {
    await this.piscina.close();
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
