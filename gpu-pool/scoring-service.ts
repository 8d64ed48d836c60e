/**
 * ScoringService: the engine's handle on anomaly scoring (the integration contract). It lives on the engine's
 * main thread and does almost nothing there: each submit() packs its events into one buffer and transfers it
 * to the scoring thread (scoring-thread.ts → scoring-core.ts), where features, batching, the ONNX worker pool,
 * database writes, sweeps, activations and training jobs run. The main thread's cost is a memcpy of each
 * report plus a few numbers, so scoring takes nothing measurable from the engine's own event loop.
 *
 * Flow control: submit() always accepts (the events are durable; dropping one is never an option) and returns
 * false once the events handed over but not yet written (scored or not scored) reach the bound; onDrain
 * callbacks run when that falls back to half. The engine pauses its sockets in between, like for any slow
 * stage. If the scoring thread dies, it is restarted: the events it held are found by the catch-up sweep
 * (events of the last day without a score row) and scored then.
 *
 * Without a model version the service trains a bootstrap version on its synthetic sample (see
 * scoring-core.ts); events that arrive meanwhile are stored as not scored and rescored by the sweep.
 */
import { Worker } from 'node:worker_threads';
import { log } from '../engine/log.js';
import { packEvents } from './event-pack.js';
import type { ScoringEvent } from './pipeline.js';
import type { ScoringServiceOptions, ScoringStats } from './scoring-core.js';
import type { FlaggedEvent, FromService, ToService } from './scoring-protocol.js';
import { WORKER_RESOURCE_LIMITS, workerScriptUrl } from '../engine/worker-script.js';

export type { ScoringEvent } from './pipeline.js';
export type { ScoringServiceOptions, ScoringStats } from './scoring-core.js';
export type { FlaggedEvent } from './scoring-protocol.js';

const RESTART_DELAY_MS = 1000;

export class ScoringService {
  private worker!: Worker;
  private submitted = 0;
  private received = 0;
  private written = 0;
  private blocked = false;
  private readonly drainCallbacks: (() => void)[] = [];
  private readonly flaggedCallbacks: ((events: FlaggedEvent[]) => void)[] = [];
  private lastStats: ScoringStats & { activeVersion?: string } = { queued: 0, inflightBatches: 0, scored: 0, flagged: 0, notScored: 0, provider: {} };
  /** Counters of threads that died (a restarted thread starts from zero). */
  private carried = { scored: 0, flagged: 0, notScored: 0 };
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private stopping = false;
  private readonly maxQueued: number;

  private constructor(private readonly options: ScoringServiceOptions) {
    const maxBatch = options.maxBatch ?? 4096;
    const inflight = options.maxInflightBatches ?? 2 * (options.workers ?? 2);
    this.maxQueued = options.maxQueued ?? maxBatch * (inflight + 2);
  }

  static async start(options: ScoringServiceOptions): Promise<ScoringService> {
    const service = new ScoringService(options);
    await service.spawn();
    return service;
  }

  /** Starts the scoring thread and waits until it is ready (database reachable, active model loaded). */
  private async spawn(): Promise<void> {
    const worker = new Worker(await workerScriptUrl('gpu-pool/scoring-thread'), { workerData: this.options, resourceLimits: WORKER_RESOURCE_LIMITS });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`scoring thread exited with code ${code} while starting`));
      worker.once('exit', onExit);
      worker.on('message', (m: ToService) => {
        if (m.type === 'ready') {
          worker.off('exit', onExit);
          this.lastStats = { ...m.stats, activeVersion: m.activeVersion };
          resolve();
        } else if (m.type === 'startFailed') reject(new Error(`scoring could not start: ${m.error}`));
        else this.onMessage(m);
      });
      worker.once('error', reject);
    });
    worker.on('error', (err) => log('error', `scoring thread failed: ${err.message}`));
    worker.once('exit', (code) => this.onExit(worker, code));
  }

  private onMessage(m: ToService): void {
    if (m.type === 'progress') {
      this.received = m.received;
      this.written = m.written;
      this.lastStats = m.stats;
      if (this.blocked && this.submitted - this.written <= this.maxQueued / 2) {
        this.blocked = false;
        for (const cb of this.drainCallbacks) cb();
      }
    } else if (m.type === 'flagged') {
      for (const cb of this.flaggedCallbacks) cb(m.events);
    } else if (m.type === 'reply') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve();
    }
  }

  /** An unexpected exit: what the thread held is left to the catch-up sweep of the next thread. */
  private onExit(worker: Worker, code: number): void {
    if (this.stopping || worker !== this.worker) return;
    log('error', `scoring thread exited (code ${code}); restarting it: its unwritten events will be scored by the catch-up sweep`);
    this.carried.scored += this.lastStats.scored;
    this.carried.flagged += this.lastStats.flagged;
    this.carried.notScored += this.lastStats.notScored;
    // Counted once: until the new thread reports, its counts are zero (a scrape in between must not see them twice).
    this.lastStats = { ...this.lastStats, queued: 0, inflightBatches: 0, scored: 0, flagged: 0, notScored: 0 };
    for (const p of this.pending.values()) p.reject(new Error('scoring thread exited'));
    this.pending.clear();
    this.submitted = this.received = this.written = 0;
    const restart = () => {
      if (this.stopping) return;
      this.spawn().then(
        () => {
          if (this.blocked) {
            this.blocked = false;
            for (const cb of this.drainCallbacks) cb();
          }
        },
        (err: Error) => {
          log('error', `scoring thread restart failed: ${err.message}`);
          setTimeout(restart, RESTART_DELAY_MS * 5).unref();
        },
      );
    };
    setTimeout(restart, RESTART_DELAY_MS).unref();
  }

  /**
   * Called after COMMIT with durable events and, when known, each source's durable watermark (every seq up to it
   * stored): events are then scored in the order their source sent them. Never blocks; false when the queue is
   * full (see onDrain).
   */
  submit(events: readonly ScoringEvent[], watermarks: ReadonlyMap<string, number> = new Map()): boolean {
    // A group of rejected events only still carries watermarks that release events held in the scoring thread.
    if ((events.length > 0 || watermarks.size > 0) && !this.stopping) {
      const buffer = packEvents(events);
      const m: FromService = { type: 'events', buffer, sourceIds: [...watermarks.keys()], watermarks: [...watermarks.values()] };
      this.worker.postMessage(m, [buffer]);
      this.submitted += events.length;
      if (this.submitted - this.written >= this.maxQueued) this.blocked = true;
    }
    return !this.blocked;
  }

  /** `cb` runs each time the queue has room again after a submit() returned false. */
  onDrain(cb: () => void): void {
    this.drainCallbacks.push(cb);
  }

  /**
   * `cb` hears of flagged events once their score and review item are stored (to route them to the trade's
   * actor or an alert); about alertRate of all events, in groups.
   */
  onFlagged(cb: (events: FlaggedEvent[]) => void): void {
    this.flaggedCallbacks.push(cb);
  }

  stats(): ScoringStats {
    const s = this.lastStats;
    return {
      // Events waiting for features or a batch slot, plus those still on their way to the scoring thread.
      queued: s.queued + Math.max(0, this.submitted - this.received),
      inflightBatches: s.inflightBatches,
      scored: this.carried.scored + s.scored,
      flagged: this.carried.flagged + s.flagged,
      notScored: this.carried.notScored + s.notScored,
      provider: s.provider,
    };
  }

  /** The model version scoring now (as last reported by the scoring thread). */
  get activeVersion(): string | undefined {
    return this.lastStats.activeVersion;
  }

  private request(m: { type: 'activate'; versionId: string } | { type: 'flush' } | { type: 'stop' }): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id } satisfies FromService);
    });
  }

  /** Hot swap to `versionId` (no event dropped or scored twice); marks it active in the database. */
  async activate(versionId: string): Promise<void> {
    await this.request({ type: 'activate', versionId });
  }

  /** Resolves when every event submitted so far has been written. */
  async flush(): Promise<void> {
    await this.request({ type: 'flush' });
  }

  /** Flushes (every submitted event written), then stops the scoring thread, its pool and connections. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const stopped = this.request({ type: 'stop' });
    this.stopping = true; // from here an exit is expected, not a crash to recover from
    await stopped;
    await exited;
  }
}
