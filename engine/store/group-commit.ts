import type pg from 'pg';
import { BinaryCopyEncoder, copyBinary } from './copy-binary.js';
import type { StoredEvent } from './stored-event.js';
import type { Metrics } from '../metrics.js';
import { log } from '../log.js';

export interface GroupCommitOptions {
  /** Most events in one transaction. */
  maxRows: number;
  /** Longest an event waits for its group to fill before the group is written anyway. */
  maxWaitMs: number;
  /** Transactions in flight at once (each on its own connection), so encoding overlaps the COMMIT. */
  maxInFlight: number;
  /** A group commit slower than this is logged with where its time went (0: never). */
  slowMs: number;
}

export const defaultGroupCommitOptions: GroupCommitOptions = { maxRows: 10_000, maxWaitMs: 2, maxInFlight: 2, slowMs: 250 };

/** Where one group commit's time went, in ms: what an SRE needs to tell a slow database from a busy engine. */
interface CommitPhases {
  encode: number;
  connect: number;
  copy: number;
  /** Waiting for the group before this one to commit (groups commit in the order they were formed). */
  wait: number;
  commit: number;
}

/**
 * Writes events in group commits: one transaction per group, COPY (binary) into event_log and finding,
 * and `onDurable(group)` only after COMMIT has returned, which is when the FEP may be acknowledged.
 *
 * Trade state is append-only: the event that makes a trade version records it in its own event_log
 * row, and the current state is the latest version (the `trade_state` view). bench/store-strategy.bench.ts
 * compared this with COPY into a staging table followed by `INSERT ... ON CONFLICT DO UPDATE` into a
 * current-state table: append-only won (figures in bench/results.json, "storeStrategy"), because an
 * upsert rewrites a heap tuple and its index entries per event where an append adds one.
 *
 * Groups commit in the order they were formed: a group's COPY may overlap the COMMIT of the one before it, but its
 * own COMMIT waits for that one's. A trade's events reach the queue in the order its actor judged them, so whatever a
 * crash leaves in the log is a prefix of each trade's history, and a resend from Welcome never fills a hole below a
 * version already stored (it would be judged against the later version).
 *
 * A failed group is retried (with backoff) until it commits; the retry goes through staging tables and skips the
 * events whose (source_id, seq) is already stored, because a COMMIT whose reply was lost may in fact have succeeded.
 * Any other conflict (a trade version stored by someone else) is not skipped: the group keeps failing, nothing after
 * it is acknowledged, and the writer reports itself blocked (`blockedBy`, on /healthz) until an operator resolves it.
 */
export class GroupCommitWriter {
  private queue: StoredEvent[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];
  private stopped = false;
  /** Settles when the newest group formed so far has committed and been reported durable. */
  private lastCommitted: Promise<void> = Promise.resolve();
  /** Why the oldest group in flight cannot commit, while it cannot (for /healthz and the logs). */
  blockedBy: string | undefined;
  private failing = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: GroupCommitOptions,
    private readonly onDurable: (group: readonly StoredEvent[]) => void,
    private readonly metrics: Metrics,
    /**
     * SQL run in each group's transaction just before its COMMIT and sent with it (the ingest side records durable
     * watermarks): statements of their own would cost a round trip per group.
     */
    private readonly beforeCommit: (client: pg.PoolClient) => string = () => '',
    /** Told when group commits start failing (true) and when one commits again (false): the ingest side stops reading meanwhile. */
    private readonly onFailing: (failing: boolean) => void = () => {},
  ) {}

  /** Events waiting for a group (not counting those inside in-flight transactions). */
  get queued(): number {
    return this.queue.length;
  }

  write(events: readonly StoredEvent[]): void {
    if (this.stopped) throw new Error('group commit writer is stopped');
    for (const e of events) this.queue.push(e);
    this.metrics.storeQueueRows.set(this.queue.length);
    this.schedule();
  }

  /** Resolves when everything written so far is durable. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    await this.drain();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxRows) {
      this.startGroup();
      return;
    }
    // Wait a little for the group to fill, unless one is already pending.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.startGroup();
    }, this.options.maxWaitMs);
  }

  private startGroup(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    const group = this.queue.length <= this.options.maxRows ? this.queue : this.queue.slice(0, this.options.maxRows);
    this.queue = group === this.queue ? [] : this.queue.slice(this.options.maxRows);
    this.metrics.storeQueueRows.set(this.queue.length);
    this.inFlight++;
    const previous = this.lastCommitted;
    let markCommitted!: () => void;
    this.lastCommitted = new Promise((resolve) => (markCommitted = resolve));
    void this.commitWithRetry(group, previous).then(() => {
      this.inFlight--;
      this.onDurable(group);
      markCommitted();
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
    // Another group may start at once if rows are already waiting.
    if (this.queue.length >= this.options.maxRows) this.startGroup();
  }

  private async commitWithRetry(group: readonly StoredEvent[], previous: Promise<void>): Promise<void> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const phases = await this.commit(group, attempt > 0, previous);
        this.blockedBy = undefined;
        if (this.failing) {
          this.failing = false;
          this.onFailing(false);
        }
        const ms = performance.now() - started;
        this.metrics.groupCommitRows.observe(group.length);
        this.metrics.groupCommitSeconds.observe(ms / 1000);
        if (this.options.slowMs > 0 && ms >= this.options.slowMs) {
          const where = Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
          log('warn', `slow group commit: ${group.length} events in ${ms.toFixed(0)} ms (${where} ms; ${this.inFlight} in flight, ${this.queue.length} queued)`);
        }
        return;
      } catch (err) {
        this.metrics.groupCommitRetries.inc();
        // A resend meeting its own stored key is retried at once through staging, not a failing database.
        if (!this.failing && !isEventKeyConflict(err)) {
          this.failing = true;
          this.onFailing(true);
        }
        const delay = Math.min(5_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
        const refusal = describeRefusal(err);
        if (refusal) {
          // Not a fault that passes: say so loudly, once per attempt, and keep the group (and every ack after it) waiting.
          this.blockedBy = refusal;
          log('error', `group commit of ${group.length} events refused, acknowledgement stops until this is resolved: ${refusal}`,
            { firstEvent: `${group[0]!.sourceId}:${group[0]!.seq}` });
        } else {
          log('warn', `group commit of ${group.length} events failed, retrying in ${Math.round(delay)} ms: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async commit(group: readonly StoredEvent[], tolerateExisting: boolean, previous: Promise<void>): Promise<CommitPhases> {
    let mark = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - mark;
      mark = now;
      return ms;
    };
    const encoded = encodeGroup(group);
    const encode = lap();
    const client = await this.pool.connect();
    const connect = lap();
    let broken = false;
    try {
      // Three round trips per group instead of five: BEGIN goes with the COPY's statement (its data takes the
      // second), the watermarks with the COMMIT. On this 2-core machine at 20,000 events/s a round trip took 0.5 ms
      // at the median and 3 at p90 (the backend waits to be scheduled), most of a group commit's time.
      if (tolerateExisting) {
        await copyBinary(client, 'stage_event_log', EVENT_COLUMNS, encoded.events, `BEGIN;
          CREATE TEMP TABLE IF NOT EXISTS stage_event_log (LIKE event_log) ON COMMIT DELETE ROWS;
          CREATE TEMP TABLE IF NOT EXISTS stage_finding (LIKE finding) ON COMMIT DELETE ROWS;
          `);
        await copyBinary(client, 'stage_finding', FINDING_COLUMNS, encoded.findings);
        // Only events not already stored bring their findings with them.
        await client.query(`WITH fresh AS (
            INSERT INTO event_log (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM stage_event_log ON CONFLICT (source_id, seq) DO NOTHING RETURNING source_id, seq)
          INSERT INTO finding (${FINDING_COLUMNS}) SELECT ${FINDING_COLUMNS.split(', ').map((c) => 's.' + c).join(', ')} FROM stage_finding s JOIN fresh f USING (source_id, seq)`);
      } else {
        await copyBinary(client, 'event_log', EVENT_COLUMNS, encoded.events, 'BEGIN; ');
        if (encoded.findingCount > 0) await copyBinary(client, 'finding', FINDING_COLUMNS, encoded.findings);
      }
      const copied = lap();
      await previous;
      const wait = lap();
      await client.query(`${this.beforeCommit(client)}COMMIT`);
      return { encode, connect, copy: copied, wait, commit: lap() };
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      // A client whose transaction failed midway is discarded rather than returned in an unknown state.
      client.release(broken);
    }
  }
}

/** The event log's own key: what a first attempt meets when a lost COMMIT reply hid a success; the retry skips those. */
function isEventKeyConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'event_log_pkey';
}

/**
 * A failure that retrying cannot cure without someone's action, described for the log and /healthz: a unique
 * violation other than the event log's own key (a trade version another writer stored), or the writer fence
 * (engine/store/writer-lock.ts) saying this process no longer holds the database.
 */
function describeRefusal(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string; detail?: string; message?: string };
  if (e.code === '23505' && !isEventKeyConflict(err)) return `unique constraint ${e.constraint ?? '?'} violated (${e.detail ?? e.message ?? ''})`;
  if (e.code === 'SW001') return e.message;
  return undefined;
}

/** The event_log columns a group commit's COPY writes, in the order encodeGroup writes them. */
export const EVENT_COLUMNS = 'source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report';
const FINDING_COLUMNS = 'source_id, seq, rule, element, path, severity, message';

export function encodeGroup(group: readonly StoredEvent[]) {
  const events = new BinaryCopyEncoder(group.length * 1200 + 1024);
  const findings = new BinaryCopyEncoder(1024);
  let findingCount = 0;
  for (const e of group) {
    events.row(11).text(e.sourceId).int8(e.seq).timestamptzMs(e.receivedAtMs).text(e.tradeKey).text(e.counterparty1)
      .text(e.actionType).text(e.eventTimestamp).text(e.status);
    if (e.version === undefined) events.null();
    else events.int4(e.version);
    events.text(e.lifecycle).bytea(e.report);
    for (const f of e.findings) {
      findingCount++;
      findings.row(7).text(e.sourceId).int8(e.seq).text(f.rule).text(f.element).text(f.path).text(f.severity).text(f.message);
    }
  }
  return { events: events.finish(), findings: findings.finish(), findingCount };
}

