/**
 * The scoring service's work, run on its own thread (scoring-thread.ts; the engine talks to it through
 * ScoringService in scoring-service.ts): events arrive after their COMMIT, are scored by the active model
 * version on a worker pool, and their scores, flags and review items are written to PostgreSQL.
 *
 * - No model version yet: the service trains a bootstrap version on its synthetic sample in a worker thread
 *   (seconds) and activates it; events that arrive meanwhile are stored as not scored, and the sweep scores
 *   them as soon as the model is active. `swaprep train --from db --activate` replaces the bootstrap model
 *   once the engine has real data. (`bootstrap: 'off'` leaves events not scored until a version is activated.)
 * - Activation (here, or `swaprep train --activate` from another process through NOTIFY) starts a pool for
 *   the new version, warms it, routes new batches to it and lets the old pool finish its in-flight batches:
 *   no event is dropped, and the database refuses to overwrite a stored score, so none is scored twice.
 * - A sweep rescores events stored as not scored (one sweep at a time), and at start the events of the last
 *   day that have no score row at all (lost with a crash before their write).
 * - Optional scheduled retraining (`retrainEveryMs`, e.g. weekly) trains from the database in a worker thread
 *   and activates the result.
 * - An event that cannot be featurised, or whose result the database refuses, is set aside as a dead letter
 *   (follower 'scoring'): the sweeps pass it by instead of rescoring it forever, until an operator asks for a retry
 *   (`swaprep dead-letters retry`); the next sweep then scores it again and resolves it, or sets it aside again.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { log } from '../engine/log.js';
import { ScoringPipeline, type EventResult, type ScoringEvent } from './pipeline.js';
import { ScoringPool } from './pool.js';
import { DEFAULT_PROVIDERS, type Provider } from './providers.js';
import { ACTIVATION_CHANNEL, DatabaseRegistry, materialize } from './registry.js';
import { notScoredEvents, recentEvents, ScoreWriter, unscoredEvents } from './store.js';
import type { ModelManifest } from './manifest.js';
import type { TrainJob } from './train-job.js';
import type { TrainOptions } from './train.js';
import type { TrainWorkerMessage } from './train-worker.js';
import { workerScriptUrl } from '../engine/worker-script.js';
import { recordDeadLetter, resolveDeadLetter, takeRetries } from '../engine/store/dead-letters.js';
import { createPool } from '../engine/store/database.js';

/**
 * The training of the bootstrap version a fresh engine makes for itself (small and quick: 20,000 events of the
 * load generator's flow, 100 trees, 10 epochs). Exported so the benchmarks can install the same version up
 * front instead of waiting for each fresh database's engine to train it.
 * The generator's flow, not the scoring sample of gpu-pool/sample/: a fresh engine is first driven by
 * `swaprep loadtest` or generated files, and a version trained on the sample (narrower reporting lags, no
 * amended terms, a few events per second per source) flagged 40% of a replayed generator flow, where this one
 * flags 0.58% of a 1,000,000-line one (the flow plants 0.48% anomalies; see generatorEvents for its sources' length).
 */
export function bootstrapJob(events = 20_000, options: Partial<TrainOptions> = {}): TrainJob {
  return {
    source: { kind: 'generator', events, seed: 1 },
    options: { iforest: { trees: 100, sampleSize: 256 }, autoencoder: { hidden: 32, code: 8, epochs: 10, batchSize: 256, learningRate: 1e-3, seed: 1 }, ...options },
  };
}

export interface ScoringStats {
  queued: number;
  inflightBatches: number;
  scored: number;
  flagged: number;
  notScored: number;
  provider: Record<string, string>;
}

export interface ScoringServiceOptions {
  databaseUrl: string;
  /** Worker threads, each with its own ONNX sessions (default 2). */
  workers?: number;
  /** Execution providers in order of preference (default cuda, then cpu). */
  providers?: ('cuda' | 'cpu')[];
  /** Rows per batch (default 4,096). */
  maxBatch?: number;
  /** Longest wait of a batch's first row (default 2 ms). */
  maxWaitMs?: number;
  /** Batches at the workers at once (default 2 per worker). */
  maxInflightBatches?: number;
  /** Share of events flagged for review (default: the version's training alert rate, 0.5%). */
  alertRate?: number;
  /** Events accepted but not yet written at which submit() returns false (default maxBatch x (inflight + 2)). */
  maxQueued?: number;
  /** 'train' (default): train a bootstrap version on the synthetic sample when there is none. */
  bootstrap?: 'train' | 'off';
  /** Size of the bootstrap training (default 20,000 synthetic events, 100 trees, 10 epochs). */
  bootstrapEvents?: number;
  bootstrapOptions?: Partial<TrainOptions>;
  /** Retrain from the database when the newest version is older than this (0 = never; weekly = 7 days). */
  retrainEveryMs?: number;
  /** Events sampled from the database for scheduled retraining (default 200,000). */
  retrainEvents?: number;
  /** Sweep interval for events stored as not scored (default 30 s). */
  sweepIntervalMs?: number;
  /** At start, events this recent without any score row are scored (default one day). */
  catchUpMs?: number;
  /** Stored events replayed into the feature state at start (default 20,000; 0 = start cold). */
  warmupEvents?: number;
  /** Where database model versions are written for the workers to load (default $TMPDIR/swaprep-models). */
  modelCacheDir?: string;
  /** ONNX Runtime threads per session (default 1; the workers are the parallelism). */
  intraOpThreads?: number;
}

const SWEEP_LIMIT = 2000;

export class ScoringCore {
  private active: string | undefined;
  private activation: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private listener: pg.Client | undefined;
  private trainer: Worker | undefined;
  private stopped = false;

  private constructor(
    private readonly options: Required<Pick<ScoringServiceOptions, 'workers' | 'maxBatch' | 'maxWaitMs' | 'maxInflightBatches'>> & ScoringServiceOptions,
    private readonly db: pg.Pool,
    private readonly registry: DatabaseRegistry,
    private readonly pipeline: ScoringPipeline,
  ) {}

  static async start(options: ScoringServiceOptions): Promise<ScoringCore> {
    const workers = options.workers ?? 2;
    const maxBatch = options.maxBatch ?? 4096;
    const maxInflightBatches = options.maxInflightBatches ?? 2 * workers;
    const resolved = { ...options, workers, maxBatch, maxWaitMs: options.maxWaitMs ?? 2, maxInflightBatches };
    // The engine's pools: timeouts, keepalive, and a connection that fails while checked out never ends the process.
    const db = createPool(options.databaseUrl, 4, 'long');
    // Flow control is the facade's; the pipeline's own bound only matters when used directly.
    const pipeline = new ScoringPipeline({ maxBatch, maxWaitMs: resolved.maxWaitMs, maxInflightBatches, maxQueued: Number.MAX_SAFE_INTEGER }, new ScoreWriter(db), {
      record: async (e, error) => {
        await recordDeadLetter(db, { follower: 'scoring', sourceId: e.sourceId, seq: e.seq, error });
      },
    });
    const service = new ScoringCore(resolved, db, new DatabaseRegistry(db), pipeline);
    const warmup = options.warmupEvents ?? 20_000;
    if (warmup > 0) {
      const t = Date.now();
      const n = pipeline.warm(await recentEvents(db, warmup));
      if (n > 0) log('info', `scoring features warmed on ${n} stored events in ${Date.now() - t} ms`);
    }
    await service.listen();
    const active = await service.registry.active();
    let usable = false;
    if (active) {
      try {
        await service.activate(active);
        usable = true;
      } catch (err) {
        // E.g. a version trained on another features version than this build computes.
        log('error', `could not load the active model version ${active}: ${(err as Error).message}; events are stored as not scored`);
        pipeline.setPool(undefined, `model version ${active} could not be loaded`);
      }
    }
    if (!usable && (options.bootstrap ?? 'train') === 'train') {
      service.train(bootstrapJob(options.bootstrapEvents, options.bootstrapOptions), 'bootstrap');
    } else if (!usable) {
      log('warn', 'no usable model version: events are stored as not scored until one is activated (`swaprep train --activate`)');
    }
    service.timers.push(setInterval(() => void service.sweep(), options.sweepIntervalMs ?? 30_000));
    if (options.retrainEveryMs) service.timers.push(setInterval(() => void service.maybeRetrain(), Math.min(options.retrainEveryMs, 3_600_000)));
    for (const t of service.timers) t.unref();
    return service;
  }

  /** Accepts events (never refuses: flow control is the facade's, which counts what is not yet written). */
  submit(events: readonly ScoringEvent[], watermarks: ReadonlyMap<string, number>): void {
    this.pipeline.submitDurable(events, watermarks);
  }

  stats(): ScoringStats {
    const s = this.pipeline.stats();
    return { queued: s.queued, inflightBatches: s.inflightBatches, scored: s.scored, flagged: s.flagged, notScored: s.notScored, provider: this.pipeline.currentPool?.providers() ?? {} };
  }

  /** Events submitted live whose result is written (sweeps' rescoring not counted). */
  get written(): number {
    return this.pipeline.liveWritten;
  }

  /** Called after each write of results (the thread reports progress and flags to the facade from it). */
  onWritten(cb: (results: readonly EventResult[]) => void): void {
    this.pipeline.onWritten(cb);
  }

  get activeVersion(): string | undefined {
    return this.active;
  }

  /** Hot swap to `versionId` (marks it active in the database too). One activation at a time. */
  activate(versionId: string): Promise<void> {
    const next = this.activation.then(() => this.swapTo(versionId));
    this.activation = next.catch(() => {});
    return next;
  }

  private async swapTo(versionId: string): Promise<void> {
    if (this.stopped || versionId === this.active) return;
    const version = await this.registry.load(versionId);
    const dir = materialize(version, this.cacheDir());
    const pool = await ScoringPool.start({
      versionDir: dir,
      workers: this.options.workers,
      providers: this.options.providers ?? [...DEFAULT_PROVIDERS as Provider[]],
      intraOpThreads: this.options.intraOpThreads ?? 1,
      alertRate: this.options.alertRate,
    });
    if ((await this.registry.active()) !== versionId) await this.registry.activate(versionId);
    const old = this.pipeline.setPool(pool);
    this.active = versionId;
    log('info', `scoring with model version ${versionId}`);
    for (const cb of this.activatedCallbacks) cb(versionId);
    // The old pool finishes the batches it already has; new batches go to the new one.
    await old?.close();
    void this.sweep();
  }

  private cacheDir(): string {
    const dir = this.options.modelCacheDir ?? join(tmpdir(), 'swaprep-models');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** LISTEN for activations made elsewhere (`swaprep train --activate`, another engine). */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    await client.connect();
    client.on('error', (err) => log('warn', `scoring activation listener: ${err.message}`));
    client.on('notification', (msg) => {
      if (msg.channel !== ACTIVATION_CHANNEL || !msg.payload || msg.payload === this.active) return;
      this.activate(msg.payload).catch((err: Error) => log('error', `could not activate model version ${msg.payload}: ${err.message}`));
    });
    await client.query(`LISTEN ${ACTIVATION_CHANNEL}`);
    this.listener = client;
  }

  /** Rescores stored not-scored events (and, the first time, recent events without any score). */
  sweep(): Promise<void> {
    if (this.sweepRun || this.stopped || !this.pipeline.currentPool) return Promise.resolve();
    // Kept while it runs: one sweep at a time, and stop() waits for it instead of closing the connections under it.
    this.sweepRun = this.runSweep().finally(() => (this.sweepRun = undefined));
    return this.sweepRun;
  }

  /** The sweep running now, if any. */
  private sweepRun: Promise<void> | undefined;

  private async runSweep(): Promise<void> {
    // Each event once per sweep: events that come back not scored again (a pool failing every batch, an event set
    // aside) would otherwise be fetched and resubmitted by the same loop for ever.
    const seen = new Set<string>();
    const fresh = async (events: readonly ScoringEvent[]): Promise<ScoringEvent[]> => {
      const unseen = events.filter((e) => !seen.has(`${e.sourceId}#${e.seq}`));
      for (const e of unseen) seen.add(`${e.sourceId}#${e.seq}`);
      return this.notSetAside(unseen);
    };
    try {
      await this.retryDeadLetters();
      for (;;) {
        const events = await notScoredEvents(this.db, SWEEP_LIMIT);
        if (events.length === 0 || this.stopped) break;
        const todo = await fresh(events);
        if (todo.length === 0) break;
        await this.pipeline.submitTracked(todo, true);
        if (events.length < SWEEP_LIMIT) break;
      }
      if (!this.caughtUp) {
        this.caughtUp = true;
        for (;;) {
          const events = await unscoredEvents(this.db, this.options.catchUpMs ?? 86_400_000, SWEEP_LIMIT);
          if (events.length === 0 || this.stopped) break;
          const todo = await fresh(events);
          if (todo.length === 0) break;
          log('info', `scoring ${todo.length} earlier events that have no score`);
          await this.pipeline.submitTracked(todo, true);
          if (events.length < SWEEP_LIMIT) break;
        }
      }
    } catch (err) {
      log('warn', `scoring sweep: ${(err as Error).message}`);
    }
  }

  /**
   * The events among `events` that are not set aside: a dead letter waits for an operator's retry, not for the
   * sweep (an unreadable record reads no better 30 seconds later).
   */
  private async notSetAside(events: readonly ScoringEvent[]): Promise<ScoringEvent[]> {
    if (events.length === 0) return [];
    const { rows } = await this.db.query<{ source_id: string; seq: string }>(
      `SELECT d.source_id, d.seq FROM dead_letter d JOIN unnest($1::text[], $2::bigint[]) AS k(source_id, seq) ON d.source_id = k.source_id AND d.seq = k.seq
        WHERE d.follower = 'scoring' AND d.status <> 'resolved'`,
      [events.map((e) => e.sourceId), events.map((e) => e.seq)],
    );
    if (rows.length === 0) return [...events];
    const aside = new Set(rows.map((r) => `${r.source_id}#${r.seq}`));
    return events.filter((e) => !aside.has(`${e.sourceId}#${e.seq}`));
  }

  /**
   * Scores again the dead letters an operator asked to retry: each is resolved and its event rescored; one that
   * fails again is set aside again by the pipeline (status back to 'open', one attempt more).
   */
  private async retryDeadLetters(): Promise<void> {
    const retries = await takeRetries(this.db, 'scoring', SWEEP_LIMIT);
    if (retries.length === 0) return;
    const { rows } = await this.db.query<{ source_id: string; seq: string; received_at: Date; trade_key: string | null; version: number | null; report: Buffer }>(
      `SELECT e.source_id, e.seq, e.received_at, e.trade_key, e.version, e.report
         FROM event_log e JOIN unnest($1::text[], $2::bigint[]) AS k(source_id, seq) ON e.source_id = k.source_id AND e.seq = k.seq`,
      [retries.map((d) => d.sourceId), retries.map((d) => d.seq)],
    );
    const events: ScoringEvent[] = rows.map((r) => ({
      sourceId: r.source_id, seq: Number(r.seq), report: new Uint8Array(r.report), receivedAtMs: r.received_at.getTime(),
      tradeKey: r.trade_key ?? undefined, version: r.version ?? undefined,
    }));
    const found = new Set(events.map((e) => `${e.sourceId}#${e.seq}`));
    for (const d of retries) {
      if (found.has(`${d.sourceId}#${d.seq}`)) await resolveDeadLetter(this.db, d.id);
      else await recordDeadLetter(this.db, { follower: 'scoring', sourceId: d.sourceId, seq: d.seq, error: new Error(`event ${d.sourceId}#${d.seq} is not in event_log`) });
    }
    log('info', `scoring ${events.length} dead letter(s) again, as asked`);
    await this.pipeline.submitTracked(events, true);
  }

  private caughtUp = false;
  private readonly activatedCallbacks: ((versionId: string) => void)[] = [];

  /** Runs after each hot swap (however it was asked for: here, NOTIFY, bootstrap, retraining). */
  onActivated(cb: (versionId: string) => void): void {
    this.activatedCallbacks.push(cb);
  }

  private async maybeRetrain(): Promise<void> {
    if (this.trainer || this.stopped || !this.options.retrainEveryMs) return;
    const latest = await this.registry.latestCreatedAt().catch(() => undefined);
    if (latest && Date.now() - latest.getTime() < this.options.retrainEveryMs) return;
    this.train({ source: { kind: 'db', databaseUrl: this.options.databaseUrl, events: this.options.retrainEvents ?? 200_000 }, options: { source: 'db' } }, 'scheduled retraining');
  }

  /** Runs a training job in a worker thread; saves and activates its version. */
  private train(job: TrainJob, why: string): void {
    log('info', `${why}: training a model version in the background`);
    void workerScriptUrl('gpu-pool/train-worker').then((url) => {
      if (this.stopped) return;
      const worker = new Worker(url, { workerData: job });
      this.trainer = worker;
      worker.on('message', (m: TrainWorkerMessage) => {
        if (m.type === 'log') log('debug', `${why}: ${m.message}`);
        else if (m.type === 'failed') log('error', `${why} failed: ${m.error}`);
        else if (!this.stopped) {
          const manifest = m.manifest as ModelManifest;
          void this.registry
            .save({ manifest, files: m.files })
            .then(() => this.activate(manifest.versionId))
            .then(() => log('info', `${why}: model version ${manifest.versionId} active (test ROC-AUC ${manifest.evaluation.models.ensemble.overall.rocAuc.toFixed(3)})`))
            .catch((err: Error) => log('error', `${why}: could not register the version: ${err.message}`));
        }
      });
      worker.on('error', (err) => log('error', `${why} failed: ${err.message}`));
      worker.on('exit', () => {
        if (this.trainer === worker) this.trainer = undefined;
      });
    });
  }

  /** Resolves when every event submitted so far has been written. */
  async flush(): Promise<void> {
    await this.pipeline.idle();
  }

  /** Flushes (every submitted event written), then stops the pool, the timers and the connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const t of this.timers) clearInterval(t);
    await this.pipeline.idle();
    this.stopped = true;
    await this.sweepRun;
    await this.activation;
    await this.trainer?.terminate();
    const pool = this.pipeline.setPool(undefined, 'scoring stopped');
    await pool?.close();
    this.pipeline.close();
    await this.listener?.end().catch(() => {});
    await this.db.end();
  }
}
