/**
 * The scoring pipeline inside the service, without the database: events → features (main thread, in event
 * order, because the rolling statistics are a sequence) → micro-batches → the worker pool (bounded in-flight
 * batches) → results → the sink (the database writer), one write at a time, coalescing whatever results have
 * accumulated meanwhile.
 *
 * Flow control: `submit` accepts every event (they are already durable; dropping one is never an option) and
 * returns false once the events accepted but not yet written reach `maxQueued`, like a stream's write();
 * `onDrain` callbacks run when that number falls back to half. Everything the pipeline holds counts, from
 * parsing to the database commit, so a slow pool and a slow database both reach the engine's sockets.
 *
 * An event that cannot be featurised (an unreadable record, a feature computation that throws) or whose result the
 * database refuses is set aside as a dead letter (follower 'scoring', see engine/store/dead-letters.ts) instead of
 * being retried forever: a refused write is bisected down to the results that fail alone, and the rest are stored.
 */
import { log } from '../engine/log.js';
import { classifyFailure, sanitizeError } from '../engine/store/dead-letters.js';
import { ArrivalOrder } from './arrival-order.js';
import { MicroBatcher, type Batch } from './batcher.js';
import type { TopFeature } from './explain.js';
import { featurize, FeatureState, type EventContext } from './features/featurize.js';
import type { FeatureInput } from './features/input.js';
import { FEATURE_COUNT } from './features/table.js';
import { inputFromBytes } from './features/wire.js';
import type { BatchOutcome, ScoringPool } from './pool.js';

/** A durable event handed to scoring (the integration contract, see scoring-service.ts). */
export interface ScoringEvent {
  sourceId: string;
  seq: number;
  /** The swaprep.record.SwapReport protobuf exactly as stored. */
  report: Uint8Array;
  receivedAtMs: number;
  tradeKey: string | undefined;
  version: number | undefined;
}

export interface EventResult {
  sourceId: string;
  seq: number;
  tradeKey: string | undefined;
  status: 'scored' | 'not_scored';
  versionId?: string;
  score?: number;
  flagged?: boolean;
  /** iforest, autoencoder, zscore. */
  perModel?: [number, number, number];
  top?: TopFeature[];
  reason?: string;
  attempts: number;
}

export interface ResultSink {
  /** `live`: every result is of an event submitted live (none is a sweep's rescoring of a stored event). */
  write(results: readonly EventResult[], live: boolean): Promise<void>;
}

/** Where events the pipeline cannot score or store are set aside (the service records them in dead_letter). */
export interface DeadLetterSink {
  record(event: { sourceId: string; seq: number }, error: unknown): Promise<void>;
}

export interface PipelineOptions {
  maxBatch: number;
  maxWaitMs: number;
  maxInflightBatches: number;
  /** Events accepted and not yet written at which `submit` starts returning false. */
  maxQueued: number;
}

/** Counts down the events of one tracked submission until all are written. */
interface Ticket {
  remaining: number;
  done: () => void;
}

interface Incoming {
  event: ScoringEvent;
  /** A sweep's rescoring of an old event: computed against the current state without changing it. */
  rescore: boolean;
  ticket: Ticket | undefined;
}

interface Item extends Incoming {
  input: FeatureInput;
  ctx: EventContext;
}

/** A result on its way to the sink, with the submission it belongs to. */
interface Outgoing {
  result: EventResult;
  ticket: Ticket | undefined;
  /** Submitted live (not a sweep's rescoring): counts towards `liveWritten`. */
  live: boolean;
  /** Why the event could not be featurised: it is set aside (its not-scored row is still stored, with the reason). */
  error?: unknown;
}

/** Events parsed per turn of the event loop before yielding (keeps the engine's own work flowing). */
const PARSE_SLICE = 2048;
const WRITE_ATTEMPTS = 3;
/** How often events held for their source's watermark are checked for having waited too long (2 s of the engine's clock, see arrival-order.ts). */
const HOLD_CHECK_MS = 500;

export class ScoringPipeline {
  readonly state = new FeatureState();
  private readonly batcher: MicroBatcher<Item>;
  private incoming: Incoming[] = [];
  private incomingHead = 0;
  private readonly ready: Batch<Item>[] = [];
  private inflight = 0;
  private pending = 0;
  private pumpScheduled = false;
  private pool: ScoringPool | undefined;
  private noPoolReason = 'no model version yet';
  private blocked = false;
  private readonly drainCallbacks: (() => void)[] = [];
  private readonly writtenCallbacks: ((results: readonly EventResult[]) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private toWrite: Outgoing[] = [];
  private writing = false;
  private counters = { scored: 0, flagged: 0, notScored: 0 };
  /** Results written for events submitted live (not rescored by a sweep). */
  liveWritten = 0;
  private readonly scratch = new Float32Array(FEATURE_COUNT);
  private readonly order = new ArrivalOrder();
  /** The latest durable watermark heard of per source. */
  private readonly watermarks = new Map<string, number>();
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: PipelineOptions,
    private readonly sink: ResultSink,
    private readonly deadLetters?: DeadLetterSink,
  ) {
    this.batcher = new MicroBatcher<Item>({ maxBatch: options.maxBatch, maxWaitMs: options.maxWaitMs, features: FEATURE_COUNT }, (b) => {
      this.ready.push(b);
      this.dispatch();
    });
  }

  /** Accepts the events; false when the pipeline is full (call again anyway: nothing is dropped). */
  submit(events: readonly ScoringEvent[], rescore = false, ticket?: Ticket): boolean {
    this.pending += events.length;
    this.accept(events, rescore, ticket);
    if (this.pending >= this.options.maxQueued) this.blocked = true;
    return !this.blocked;
  }

  /**
   * Live events just made durable, with their sources' durable watermarks: featurised in the order the sources
   * sent them (see arrival-order.ts), not in the order their group commits finished.
   */
  submitDurable(events: readonly ScoringEvent[], watermarks: ReadonlyMap<string, number>): boolean {
    this.pending += events.length;
    for (const [sourceId, seq] of watermarks) this.watermarks.set(sourceId, seq);
    this.accept(this.order.take(events, this.watermarks), false, undefined);
    this.checkHeldLater();
    if (this.pending >= this.options.maxQueued) this.blocked = true;
    return !this.blocked;
  }

  /** While events are held, looks again every HOLD_CHECK_MS for those that waited too long. */
  private checkHeldLater(): void {
    if (this.order.size === 0 || this.holdTimer) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.accept(this.order.expire(this.watermarks), false, undefined);
      this.checkHeldLater();
    }, HOLD_CHECK_MS);
    this.holdTimer.unref();
  }

  private accept(events: readonly ScoringEvent[], rescore: boolean, ticket: Ticket | undefined): void {
    if (events.length === 0) return;
    for (const event of events) this.incoming.push({ event, rescore, ticket });
    this.schedulePump();
  }

  /** Submits and resolves once all of these events are written (the sweep uses it to run one at a time). */
  submitTracked(events: readonly ScoringEvent[], rescore: boolean): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((done) => this.submit(events, rescore, { remaining: events.length, done }));
  }

  onDrain(cb: () => void): void {
    this.drainCallbacks.push(cb);
  }

  /** Runs after every write to the sink with the results written (progress reporting, flag routing). */
  onWritten(cb: (results: readonly EventResult[]) => void): void {
    this.writtenCallbacks.push(cb);
  }

  /**
   * Folds already stored events into the feature state without scoring them: after a restart the rolling
   * statistics and trade memory start from the recent past instead of from nothing (a cold state makes
   * every product look new and every lifecycle event's trade unknown).
   */
  warm(events: readonly ScoringEvent[]): number {
    let n = 0;
    for (const event of events) {
      try {
        featurize(this.state, inputFromBytes(event.report), { sourceId: event.sourceId, receivedAtMs: event.receivedAtMs, tradeKey: event.tradeKey, version: event.version }, this.scratch, 0);
        n++;
      } catch {
        // An unreadable record teaches nothing.
      }
    }
    return n;
  }

  /** Swaps the pool new batches go to (undefined: record events as not scored, with `reason`). */
  setPool(pool: ScoringPool | undefined, reason = 'no model version yet'): ScoringPool | undefined {
    const old = this.pool;
    this.pool = pool;
    this.noPoolReason = reason;
    return old;
  }

  get currentPool(): ScoringPool | undefined {
    return this.pool;
  }

  stats() {
    return {
      queued: this.order.size + this.incoming.length - this.incomingHead + this.batcher.open + this.ready.reduce((a, b) => a + b.n, 0),
      inflightBatches: this.inflight,
      pending: this.pending,
      ...this.counters,
    };
  }

  /** Resolves when every accepted event has been written (flushing the open batch). */
  async idle(): Promise<void> {
    this.accept(this.order.drain(), false, undefined);
    this.batcher.flush();
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    clearTimeout(this.holdTimer);
    this.batcher.close();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    const end = Math.min(this.incoming.length, this.incomingHead + PARSE_SLICE);
    const direct: Outgoing[] = [];
    for (; this.incomingHead < end; this.incomingHead++) {
      const inc = this.incoming[this.incomingHead]!;
      const { event, rescore, ticket } = inc;
      let input: FeatureInput;
      try {
        input = inputFromBytes(event.report);
      } catch (err) {
        // It will not read better on the next sweep: set aside (until an operator's retry) rather than rescored forever.
        direct.push({ result: notScored(event, `unreadable record: ${sanitizeError(err).slice(0, 200)}`, 1), ticket, live: !rescore, error: err });
        continue;
      }
      const ctx: EventContext = { sourceId: event.sourceId, receivedAtMs: event.receivedAtMs, tradeKey: event.tradeKey, version: event.version };
      if (!this.pool) {
        // Keep the rolling statistics warm for when a model arrives (an event that fails here is set aside then).
        try {
          if (!rescore) featurize(this.state, input, ctx, this.scratch, 0);
        } catch {
          // Nothing to score it with yet.
        }
        direct.push({ result: notScored(event, this.noPoolReason, 1), ticket, live: !rescore });
        continue;
      }
      // The row is computed before the event joins a batch: one that throws never leaves a half-made batch behind.
      try {
        featurize(this.state, input, ctx, this.scratch, 0, !rescore);
      } catch (err) {
        direct.push({ result: notScored(event, `features failed: ${sanitizeError(err).slice(0, 200)}`, 1), ticket, live: !rescore, error: err });
        continue;
      }
      const item: Item = { event, rescore, ticket, input, ctx };
      this.batcher.add(item, (rows, offset) => rows.set(this.scratch, offset));
    }
    if (this.incomingHead === this.incoming.length) {
      this.incoming = [];
      this.incomingHead = 0;
    } else {
      this.schedulePump();
    }
    if (direct.length > 0) this.enqueueWrite(direct);
  }

  private dispatch(): void {
    while (this.inflight < this.options.maxInflightBatches && this.ready.length > 0) {
      const batch = this.ready.shift()!;
      const pool = this.pool;
      this.inflight++;
      const outcome: Promise<BatchOutcome> = pool
        ? pool.run(batch.rows, batch.n, () => this.rebuild(batch))
        : Promise.resolve({ ok: false, error: this.noPoolReason, attempts: 0 });
      void outcome.then((o) => {
        this.inflight--;
        this.enqueueWrite(this.results(batch, o));
        this.dispatch();
      });
    }
  }

  /** A crashed worker took the batch's rows with it: compute them again, without touching the state. */
  private rebuild(batch: Batch<Item>): Float32Array {
    const rows = this.batcher.buffer();
    batch.items.forEach((it, i) => featurize(this.state, it.input, it.ctx, rows, i * FEATURE_COUNT, false));
    return rows;
  }

  private results(batch: Batch<Item>, o: BatchOutcome): Outgoing[] {
    if (!o.ok) {
      log('warn', `scoring batch of ${batch.n} events not scored: ${o.error}`);
      return batch.items.map((it) => ({ result: notScored(it.event, o.error, Math.max(1, o.attempts)), ticket: it.ticket, live: !it.rescore }));
    }
    const b = o.batch;
    this.batcher.recycle(b.rows);
    const flagged = new Map(b.flagged.map((f) => [f.index, f.top]));
    return batch.items.map((it, i): Outgoing => {
      const top = flagged.get(i);
      const result: EventResult = {
        sourceId: it.event.sourceId,
        seq: it.event.seq,
        tradeKey: it.event.tradeKey,
        status: 'scored',
        versionId: b.versionId,
        score: b.ensemble[i]!,
        flagged: top !== undefined,
        perModel: [b.perModel[i]!, b.perModel[b.n + i]!, b.perModel[2 * b.n + i]!] as [number, number, number],
        ...(top ? { top } : {}),
        attempts: b.attempts,
      };
      return { result, ticket: it.ticket, live: !it.rescore };
    });
  }

  private enqueueWrite(results: Outgoing[]): void {
    for (const r of results) this.toWrite.push(r);
    if (!this.writing) void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.toWrite.length > 0) {
      const chunk = this.toWrite;
      this.toWrite = [];
      for (const o of chunk) if (o.error !== undefined) await this.setAside(o.result, o.error);
      const aside = new Set<Outgoing>();
      await this.store(chunk, aside);
      for (const o of chunk) {
        const { result: r, ticket, live } = o;
        if (live) this.liveWritten++;
        if (r.status === 'scored' && !aside.has(o)) {
          this.counters.scored++;
          if (r.flagged) this.counters.flagged++;
        } else this.counters.notScored++;
        if (ticket && --ticket.remaining === 0) ticket.done();
      }
      this.pending -= chunk.length;
      if (this.writtenCallbacks.length > 0) {
        const results = chunk.filter((o) => !aside.has(o)).map((o) => o.result);
        for (const cb of this.writtenCallbacks) cb(results);
      }
      this.afterProgress();
    }
    this.writing = false;
  }

  /**
   * Writes `chunk`. A failure of the database or the connection is retried a few times, then left to the catch-up
   * sweep. A write the results' content makes fail (a value PostgreSQL refuses) is split in halves, each written on
   * its own, down to the results that fail alone: those are set aside (added to `aside`), the others stored. One bad
   * result among 4,096 costs about 24 more writes, instead of the whole chunk's scores lost and rescored forever.
   */
  private async store(chunk: Outgoing[], aside: Set<Outgoing>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.write(chunk.map((o) => o.result), chunk.every((o) => o.live));
        return;
      } catch (err) {
        if (classifyFailure(err) === 'poison') {
          if (chunk.length === 1) {
            aside.add(chunk[0]!);
            await this.setAside(chunk[0]!.result, err);
            return;
          }
          const half = chunk.length >> 1;
          await this.store(chunk.slice(0, half), aside);
          await this.store(chunk.slice(half), aside);
          return;
        }
        if (attempt >= WRITE_ATTEMPTS) {
          // The events keep their event_log rows; the service's catch-up sweep finds events without a score.
          log('error', `could not store ${chunk.length} scores: ${sanitizeError(err).slice(0, 300)}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** Records one event as a dead letter; if even that fails, the catch-up sweep of a later start meets it again. */
  private async setAside(r: EventResult, error: unknown): Promise<void> {
    log('error', `scoring: event ${r.sourceId}#${r.seq} set aside as a dead letter (swaprep dead-letters list --follower scoring): ${sanitizeError(error).slice(0, 300)}`,
      { sourceId: r.sourceId, seq: r.seq });
    try {
      await this.deadLetters?.record({ sourceId: r.sourceId, seq: r.seq }, error);
    } catch (err) {
      log('warn', `scoring: could not record the dead letter of ${r.sourceId}#${r.seq}: ${sanitizeError(err).slice(0, 300)}`);
    }
  }

  private afterProgress(): void {
    if (this.blocked && this.pending <= this.options.maxQueued / 2) {
      this.blocked = false;
      for (const cb of this.drainCallbacks) cb();
    }
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

function notScored(event: ScoringEvent, reason: string, attempts: number): EventResult {
  return { sourceId: event.sourceId, seq: event.seq, tradeKey: event.tradeKey, status: 'not_scored', reason, attempts };
}

