/**
 * The submission dispatcher: sends the intake's batches to their repositories and applies what comes back.
 *
 * Lanes. Each repository has `concurrency` lanes, and a trade's submissions always travel in the lane its key
 * hashes to (the intake decides, engine/submission/batch-body.ts laneOf). A lane sends one batch at a time, in
 * the order the intake made them, and keeps a batch at its head until the repository has taken it (or refused
 * it for good), retrying transport failures with backoff: so a MODI never reaches the repository before its
 * trade's NEWT, whatever the concurrency, while unrelated trades go out in parallel.
 *
 * The same batch, the same id. A batch keeps its id for every attempt and every resend: the repository's
 * idempotency key never changes for the same records. Sent batches whose records stay unanswered past
 * `responseTimeoutMs` are sent again, as they were.
 *
 * Two ways in: batches the intake hands over in memory right after it stored them (the fast path, nothing read
 * back), and a sweep of the database's pending batches for everything else (a restart, an intake without this
 * dispatcher). Lanes keep their batches in id order, which is the order they were made. At start the intake
 * waits (hasRoom is false) until the first sweep has read every pending batch, so an older batch is never
 * overtaken by a newer one. The lanes are bounded: when they are full the intake stops reading event_log, which
 * is the buffer.
 *
 * Answers are applied only to the batch they were sent for (store.ts applyBatchResponse), each in one transaction
 * with its exceptions and corrections, and a polled answer is removed at the repository only after that commit.
 *
 * Why a plain service and not a nact actor per batch: the state of a batch is one row in PostgreSQL and each
 * transition is a guarded UPDATE, so the loops hold nothing an actor would protect.
 */
import type pg from 'pg';
import { applySettled, openUndeliverable } from '../exceptions/store.js';
import { log } from '../log.js';
import { classifyFailure, sanitizeError } from '../store/dead-letters.js';
import type { ReportRegime } from '../reports/types.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { IntakeSink, ReadyBatch } from './intake.js';
import { applyBatchResponse, batchIds, batchLines, markBatchFailed, markBatchRetry, markBatchSent, pendingBatches, unansweredBatches, unansweredOf, type KnownBatch, type OpenBatch } from './store.js';
import { PermanentError, type Channel, type Outcome, type RepositoryConfig } from './types.js';

export interface DispatcherOptions {
  /** Kept for configuration files that still set it: a batch is now held by its lane, not leased. */
  leaseMs: number;
  /** A sent batch with records unanswered after this is sent again (same id). */
  responseTimeoutMs: number;
  pollIntervalMs: number;
  /** Pause of a lane that found nothing to send. */
  idleMs: number;
  retry: RetryPolicy;
  /** Batches handed over by the intake and not yet taken, per lane, before the intake waits. */
  maxQueuedBatches?: number;
}

export const DEFAULT_DISPATCHER: DispatcherOptions = { leaseMs: 120_000, responseTimeoutMs: 300_000, pollIntervalMs: 1_000, idleMs: 200, retry: DEFAULT_RETRY, maxQueuedBatches: 4 };

export interface DispatcherStats {
  batches: number;
  records: number;
  /** Records of batches that had room for maxBatch: batch fill = records / (batches * maxBatch). */
  capacity: number;
  acks: number;
  nacks: number;
  duplicates: number;
  /** Outcomes not applied because their record is not in the batch they answered. */
  rejected: number;
  resent: number;
}

export interface DispatcherHooks {
  /** Records failed for good (retries exhausted or refused). */
  onUndeliverable?: (repository: string, ids: string[], error: string) => void;
  /** An answer applied (for metrics and alert rules). */
  onOutcomes?: (repository: string, regime: ReportRegime | undefined, acks: number, nacks: number, duplicates: number, codes: readonly string[]) => void;
  /** A batch went out: how long the send took, and whether it was taken. */
  onSend?: (repository: string, seconds: number, ok: boolean) => void;
  random?: () => number;
}

/** A batch in a lane: from the intake (with its body and ids) or from the database (loaded when it is sent). */
interface LaneBatch {
  batchId: string;
  repository: string;
  regime: ReportRegime;
  format: ReadyBatch['format'];
  submitter: string | undefined;
  records: number;
  attempts: number;
  notBeforeMs: number;
  known?: KnownBatch;
}

interface RepositoryState {
  config: RepositoryConfig;
  channel: Channel;
  lanes: LaneBatch[][];
  /** Until the first sweep of the database's pending batches is done, the intake waits. */
  catchingUp: boolean;
  /** Where the current sweep is (undefined: at the start). */
  sweepAfter: string | undefined;
  /** Batches in the lanes or in flight: a sweep skips them. */
  known: Set<string>;
}

export class SubmissionDispatcher implements IntakeSink {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly repos = new Map<string, RepositoryState>();
  private roomWaiters: (() => void)[] = [];
  private readonly refusedAnswers = new Set<string>();
  readonly stats: DispatcherStats = { batches: 0, records: 0, capacity: 0, acks: 0, nacks: 0, duplicates: 0, rejected: 0, resent: 0 };

  constructor(
    private readonly pool: pg.Pool,
    repositories: readonly RepositoryConfig[],
    channels: ReadonlyMap<string, Channel>,
    private readonly clock: () => number = Date.now,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER,
    private readonly hooks: DispatcherHooks = {},
  ) {
    for (const r of repositories) {
      const channel = channels.get(r.name);
      if (!channel) throw new Error(`no channel for repository ${r.name}`);
      this.repos.set(r.name, { config: r, channel, lanes: Array.from({ length: Math.max(1, r.concurrency) }, () => []), catchingUp: true, sweepAfter: undefined, known: new Set() });
    }
  }

  private get maxQueued(): number {
    return this.options.maxQueuedBatches ?? 4;
  }

  hasRoom(): boolean {
    for (const r of this.repos.values()) {
      if (r.catchingUp) return false;
      for (const lane of r.lanes) if (lane.length >= this.maxQueued) return false;
    }
    return true;
  }

  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Batches the intake stored. While catching up they are left to the sweep, which reaches them in order. */
  accept(batches: ReadyBatch[]): void {
    for (const b of batches) {
      const repo = this.repos.get(b.repository);
      if (!repo || repo.catchingUp) continue;
      enqueue(repo, b.lane, {
        batchId: b.batchId, repository: b.repository, regime: b.regime, format: b.format, submitter: b.submitter, records: b.records,
        attempts: b.attempts, notBeforeMs: 0, known: { ids: b.ids, lines: b.lines },
      });
    }
    this.nudge();
  }

  /**
   * Batches made while no repository was configured for their regime (repository '') go to the one configured
   * now, when their format is the one it takes. One UPDATE per repository, of batch rows only.
   */
  async assignUnrouted(): Promise<number> {
    let n = 0;
    for (const { config: r } of this.repos.values()) {
      const res = await this.pool.query(
        `UPDATE submission_batch SET repository = $1 WHERE repository = '' AND status = 'pending' AND regime = ANY($2::text[]) AND format = $3`,
        [r.name, r.regimes, r.format],
      );
      n += res.rowCount ?? 0;
    }
    return n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const repo of this.repos.values()) {
      // A repository that owes no regime only receives scheduled report files (engine/scheduled/delivery.ts):
      // nothing is submitted to it, so there is nothing to send or to poll for.
      if (repo.config.regimes.length === 0) continue;
      this.loops.push(this.sweepLoop(repo));
      repo.lanes.forEach((_, i) => this.loops.push(this.laneLoop(repo, i)));
      this.loops.push(this.pollLoop(repo));
    }
  }

  /** Wakes idle loops (e.g. after the intake stored batches). */
  nudge(): void {
    for (const wake of this.sleepers) wake();
  }

  /** Stops the loops (a batch in flight finishes) and closes the channels, which the dispatcher owns. Unsent batches stay pending in the database. */
  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    this.releaseRoom();
    await Promise.all(this.loops);
    this.loops.length = 0;
    for (const r of this.repos.values()) {
      for (const lane of r.lanes) lane.length = 0;
      r.known.clear();
    }
    await Promise.all([...this.repos.values()].map((r) => r.channel.close().catch(() => undefined)));
  }

  /**
   * Reads the database's pending batches that no lane holds into their lanes, a page at a time while the lanes
   * have room, and starts over once a sweep reached the end. The first complete sweep lets the intake in.
   */
  private async sweepLoop(repo: RepositoryState): Promise<void> {
    const page = this.maxQueued * repo.lanes.length;
    while (this.running) {
      try {
        if (repo.lanes.some((l) => l.length >= this.maxQueued)) {
          await this.sleep(this.options.idleMs);
          continue;
        }
        const found = await pendingBatches(this.pool, repo.config.name, page, repo.sweepAfter);
        for (const b of found) if (!repo.known.has(b.id)) enqueue(repo, b.lane, fromDatabase(repo.config.name, b));
        if (found.length === page) {
          repo.sweepAfter = found[found.length - 1]!.id;
          this.nudge();
          continue;
        }
        repo.sweepAfter = undefined;
        if (repo.catchingUp) {
          repo.catchingUp = false;
          this.releaseRoom();
        }
        if (found.length > 0) this.nudge();
      } catch (err) {
        log('warn', `submission ${repo.config.name}: reading pending batches: ${(err as Error).message}`);
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  private async laneLoop(repo: RepositoryState, index: number): Promise<void> {
    const lane = repo.lanes[index]!;
    while (this.running) {
      const head = lane[0];
      if (!head) {
        await this.sleep(this.options.idleMs);
        continue;
      }
      const wait = head.notBeforeMs - this.clock();
      if (wait > 0) {
        await this.sleep(Math.min(wait, this.options.pollIntervalMs));
        continue;
      }
      let done = true;
      try {
        done = await this.send(repo, head);
      } catch (err) {
        // The database failed while recording the outcome: keep the batch at the head and try again (the same id).
        log('warn', `submission ${repo.config.name}: batch ${head.batchId}: ${(err as Error).message}`);
        head.notBeforeMs = this.clock() + this.options.pollIntervalMs;
        done = false;
      }
      if (done) {
        lane.shift();
        repo.known.delete(head.batchId);
        this.releaseRoom();
      }
    }
  }

  private async pollLoop(repo: RepositoryState): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce(repo.config.name);
      } catch (err) {
        log('warn', `submission poll ${repo.config.name}: ${(err as Error).message}`);
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** Polls the repository once and applies what arrived; sends again the batches left unanswered too long. */
  async pollOnce(repository: string): Promise<number> {
    const repo = this.repos.get(repository);
    if (!repo) throw new Error(`unknown repository ${repository}`);
    let answers: Awaited<ReturnType<Channel['poll']>> = [];
    try {
      answers = await repo.channel.poll();
    } catch (err) {
      log('warn', `submission poll ${repository}: ${(err as Error).message}`);
    }
    let n = 0;
    for (const a of answers) {
      try {
        await this.apply(repository, a.batchId, a.outcomes, false);
      } catch (err) {
        if (classifyFailure(err) === 'transient') throw err;
        // An answer the store refuses (a NUL in its batch id, say) is left at the repository and named once; the
        // answers after it are still applied.
        if (!this.refusedAnswers.has(a.batchId)) log('error', `submission ${repository}: an answer for batch ${JSON.stringify(a.batchId.slice(0, 100))} cannot be stored: ${sanitizeError(err)}`);
        this.refusedAnswers.add(a.batchId);
        continue;
      }
      await a.done();
      n += a.outcomes.length;
    }
    for (const b of await unansweredBatches(this.pool, repository, this.clock(), this.options.responseTimeoutMs)) {
      this.stats.resent++;
      log('info', `submission ${repository}: batch ${b.id} has records unanswered after ${this.options.responseTimeoutMs} ms: sending it again`);
      try {
        await this.send(repo, fromDatabase(repository, b), true);
      } catch (err) {
        log('warn', `submission ${repository}: resending ${b.id}: ${(err as Error).message}`);
      }
    }
    return n;
  }

  /**
   * Sends one batch and records what came of it. Returns true when the lane is done with it (taken, answered or
   * failed for good), false when it must stay at the head for another attempt.
   */
  private async send(repo: RepositoryState, batch: LaneBatch, resend = false): Promise<boolean> {
    const { channel, config } = repo;
    const lines = batch.known?.lines ?? (await batchLines(this.pool, batch.batchId, !resend));
    if (lines === undefined) return true; // sent meanwhile (a sweep read it just before its lane sent it)
    this.stats.batches++;
    this.stats.records += batch.records;
    this.stats.capacity += config.maxBatch;
    const started = performance.now();
    try {
      const result = await channel.send({ batchId: batch.batchId, repository: batch.repository, regime: batch.regime, format: batch.format, submitter: batch.submitter, records: batch.records, lines });
      this.hooks.onSend?.(config.name, (performance.now() - started) / 1000, true);
      if (result.kind === 'outcomes') await this.apply(config.name, batch.batchId, result.outcomes, true, batch.known ?? { ids: await batchIds(this.pool, batch.batchId), lines });
      else if (!resend) await markBatchSent(this.pool, batch.batchId, this.clock());
      return true;
    } catch (err) {
      this.hooks.onSend?.(config.name, (performance.now() - started) / 1000, false);
      const message = (err as Error).message;
      const now = this.clock();
      const attempt = batch.attempts + 1;
      batch.attempts = attempt;
      log('warn', `submission batch ${batch.batchId} to ${config.name} (${batch.records} records, attempt ${attempt}): ${message}`);
      if (resend) return true; // the response timeout sends it again
      const delay = backoffDelay(this.options.retry, attempt, this.hooks.random);
      const failed = err instanceof PermanentError
        ? await markBatchFailed(this.pool, batch.batchId, config.name, channel.kind, message, now)
        : (await markBatchRetry(this.pool, batch.batchId, config.name, channel.kind, message, now, delay, this.options.retry.maxAttempts)) === 'failed';
      if (failed) {
        const records = await unansweredOf(this.pool, batch.batchId);
        await openUndeliverable(this.pool, records, message, now);
        this.hooks.onUndeliverable?.(config.name, records.map((r) => r.id), message);
        return true;
      }
      batch.notBeforeMs = now + delay;
      return false;
    }
  }

  /** Applies one answer to its batch, exceptions and corrections included, in one transaction. */
  private async apply(repository: string, batchId: string, outcomes: Outcome[], sent: boolean, known?: KnownBatch): Promise<void> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const now = this.clock();
      const applied = await applyBatchResponse(db, repository, batchId, outcomes, now, sent, known);
      await applySettled(db, applied.settled, now);
      await db.query('COMMIT');
      this.stats.acks += applied.acks;
      this.stats.nacks += applied.nacks;
      this.stats.duplicates += applied.duplicates;
      this.stats.rejected += applied.rejected.length;
      if (applied.rejected.length > 0) {
        log('warn', `submission ${repository}: ${applied.rejected.length} outcome(s) in the answer for batch ${batchId} are for records not in that batch; kept as rejected, not applied`,
          { sample: applied.rejected.slice(0, 5).map((o) => o.submissionId) });
      }
      this.hooks.onOutcomes?.(repository, applied.regime, applied.acks, applied.nacks, applied.duplicates,
        applied.settled.filter((s) => s.outcome === 'NACK').flatMap((s) => s.codes.map((c) => c.code)));
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }

  private releaseRoom(): void {
    if (this.roomWaiters.length === 0 || (this.running && !this.hasRoom())) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** Into its lane, in id order (the order batches were made), never ahead of the batch at the head, which may be in flight. */
function enqueue(repo: RepositoryState, lane: number, batch: LaneBatch): void {
  if (repo.known.has(batch.batchId)) return;
  repo.known.add(batch.batchId);
  const queue = repo.lanes[lane % repo.lanes.length]!;
  let i = queue.length;
  while (i > 1 && queue[i - 1]!.batchId > batch.batchId) i--;
  queue.splice(i, 0, batch);
}

function fromDatabase(repository: string, b: OpenBatch): LaneBatch {
  return { batchId: b.id, repository, regime: b.regime, format: b.format, submitter: b.submitter, records: b.records, attempts: b.attempts, notBeforeMs: b.nextAttemptAtMs };
}
