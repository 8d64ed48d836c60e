/**
 * The submission dispatcher: per repository, sender loops claim pending submissions in batches (one regime,
 * at most `maxBatch` records: one file or request), send them through the repository's channel and record
 * the result; a poll loop collects outcomes that arrive later (polled HTTP batches, SFTP response files) and
 * sends back to pending whatever stayed unanswered too long (resent with the same ids: the repository
 * deduplicates).
 *
 * Why a plain service and not a nact actor per batch: all of a submission's state is in PostgreSQL and every
 * transition is a guarded UPDATE, so the loops hold nothing an actor would protect; claiming with
 * FOR UPDATE SKIP LOCKED lets several loops (and several engine processes) share the work safely, and a crash
 * loses nothing: a lease lapses and the batch is claimed again. `concurrency` sender loops per repository
 * bound the batches in flight, which is the back-pressure towards a slow repository.
 *
 * Transport failures retry with exponential backoff and full jitter (retry.ts); a NACK is final for that
 * submission (it opens an exception; the fix is a correction, a new event).
 *
 * Two ways in: batches the intake hands over in memory (inserted already claimed: the fast path, pipelined with
 * the intake), and the claim path above for everything else (retries, restarts, leases that lapsed). Sender
 * loops take the in-memory batches first. The in-memory queue is bounded: when it is full the intake stops
 * reading event_log, which is the buffer.
 */
import type pg from 'pg';
import { applySettled, openUndeliverable } from '../exceptions/store.js';
import { log } from '../log.js';
import type { ReportRegime } from '../reports/types.js';
import { newBatchId } from './ids.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { IntakeSink, ReadyBatch } from './intake.js';
import { applyOutcomes, claimPending, markFailed, markRetry, markSent, recordAttempt, requeueUnanswered } from './store.js';
import { PermanentError, type Channel, type Outcome, type RepositoryConfig } from './types.js';

export interface DispatcherOptions {
  /** How long a claimed batch is leased to its sender before another loop may take it. */
  leaseMs: number;
  /** A sent submission with no outcome after this is sent again. */
  responseTimeoutMs: number;
  pollIntervalMs: number;
  /** Pause of a sender loop that found nothing to send. */
  idleMs: number;
  retry: RetryPolicy;
  /** Batches handed over by the intake and not yet taken by a sender, per repository, before the intake waits. */
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
}

export interface DispatcherHooks {
  /** Submissions failed for good (retries exhausted or refused). */
  onUndeliverable?: (repository: string, ids: string[], error: string) => void;
  /** Outcomes applied (for metrics and alert rules). */
  onOutcomes?: (repository: string, acks: number, nacks: number, duplicates: number) => void;
  random?: () => number;
}

export class SubmissionDispatcher implements IntakeSink {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly queues = new Map<string, ReadyBatch[]>();
  private roomWaiters: (() => void)[] = [];
  readonly stats: DispatcherStats = { batches: 0, records: 0, capacity: 0, acks: 0, nacks: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly repositories: readonly RepositoryConfig[],
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly clock: () => number = Date.now,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER,
    private readonly hooks: DispatcherHooks = {},
  ) {
    for (const r of repositories) {
      if (!channels.has(r.name)) throw new Error(`no channel for repository ${r.name}`);
      this.queues.set(r.name, []);
    }
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  maxBatch(repository: string): number {
    return this.repositories.find((r) => r.name === repository)?.maxBatch ?? 10_000;
  }

  hasRoom(): boolean {
    const max = this.options.maxQueuedBatches ?? 4;
    for (const q of this.queues.values()) if (q.length >= max) return false;
    return true;
  }

  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Batches the intake inserted already claimed: sent before anything from the claim path. */
  accept(batches: ReadyBatch[]): void {
    for (const b of batches) this.queues.get(b.repository)?.push(b);
    this.nudge();
  }

  /**
   * Submissions generated while no repository was configured for their regime (repository '') go to the one
   * configured now, when their format is the one it takes.
   */
  async assignUnrouted(): Promise<number> {
    let n = 0;
    for (const r of this.repositories) {
      const res = await this.pool.query(
        `UPDATE submission SET repository = $1 WHERE repository = '' AND status = 'pending' AND regime = ANY($2::text[]) AND format = $3`,
        [r.name, r.regimes, r.format],
      );
      n += res.rowCount ?? 0;
    }
    return n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const repo of this.repositories) {
      for (let i = 0; i < repo.concurrency; i++) this.loops.push(this.senderLoop(repo, i));
      this.loops.push(this.pollLoop(repo));
    }
  }

  /** Wakes idle loops (e.g. after the intake inserted submissions). */
  nudge(): void {
    for (const wake of this.sleepers) wake();
  }

  /** Stops the loops (a batch in flight finishes) and closes the channels, which the dispatcher owns. */
  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    this.releaseRoom();
    await Promise.all(this.loops);
    this.loops.length = 0;
    // Batches handed over but never sent: give their claims back so a restart sends them at once, not after the lease.
    const unsent = [...this.queues.values()].flatMap((q) => q.splice(0));
    if (unsent.length > 0) {
      await this.pool.query(
        `UPDATE submission SET attempts = attempts - 1, next_attempt_at = $3::timestamptz, batch_id = NULL
          WHERE id = ANY($1::text[]) AND batch_id = ANY($2::text[]) AND status = 'pending'`,
        [unsent.flatMap((b) => b.records.map((r) => r.submissionId)), unsent.map((b) => b.batchId), new Date(this.clock()).toISOString()],
      ).catch((err: unknown) => log('warn', `submission: releasing ${unsent.length} unsent batch(es): ${(err as Error).message}`));
    }
    await Promise.all([...this.channels.values()].map((c) => c.close().catch(() => undefined)));
  }

  /** Sends at most one batch per regime of `repository` now; returns the records sent (tests drive this directly). */
  async sendOnce(repository: RepositoryConfig): Promise<number> {
    let n = 0;
    for (let b = this.takeReady(repository.name); b; b = this.takeReady(repository.name)) n += await this.send(repository, b);
    for (const regime of repository.regimes) n += await this.sendBatch(repository, regime);
    return n;
  }

  private takeReady(repository: string): ReadyBatch | undefined {
    const b = this.queues.get(repository)?.shift();
    if (b) this.releaseRoom();
    return b;
  }

  private releaseRoom(): void {
    if (this.roomWaiters.length === 0 || (this.running && !this.hasRoom())) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /** Polls the repository's channel once and applies what arrived; requeues unanswered submissions. */
  async pollOnce(repository: RepositoryConfig): Promise<number> {
    const channel = this.channels.get(repository.name)!;
    let outcomes: Outcome[] = [];
    try {
      outcomes = await channel.poll();
    } catch (err) {
      log('warn', `submission poll ${repository.name}: ${(err as Error).message}`);
    }
    if (outcomes.length > 0) await this.apply(repository.name, outcomes);
    await requeueUnanswered(this.pool, repository.name, this.clock(), this.options.responseTimeoutMs);
    return outcomes.length;
  }

  private async senderLoop(repo: RepositoryConfig, index: number): Promise<void> {
    let turn = index;
    while (this.running) {
      let sent = 0;
      try {
        const ready = this.takeReady(repo.name);
        if (ready) {
          sent = await this.send(repo, ready);
          continue;
        }
        // Rotate the starting regime so one busy regime does not starve another.
        for (let k = 0; k < repo.regimes.length && this.running; k++) sent += await this.sendBatch(repo, repo.regimes[(turn + k) % repo.regimes.length]!);
        turn++;
      } catch (err) {
        log('warn', `submission sender ${repo.name}: ${(err as Error).message}`);
      }
      if (sent === 0) await this.sleep(this.options.idleMs);
    }
  }

  private async pollLoop(repo: RepositoryConfig): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce(repo);
      } catch (err) {
        log('warn', `submission poll loop ${repo.name}: ${(err as Error).message}`);
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** Claims up to maxBatch pending submissions of one regime and sends them. */
  private async sendBatch(repo: RepositoryConfig, regime: ReportRegime): Promise<number> {
    const batchId = newBatchId(repo.name);
    const claimed = await claimPending(this.pool, repo.name, regime, repo.maxBatch, batchId, this.clock(), this.options.leaseMs);
    if (claimed.length === 0) return 0;
    return this.send(repo, {
      batchId, repository: repo.name, regime,
      // One batch, one submitter (the file/request header); records of other submitters still carry their own.
      submitter: claimed[0]!.submitter ?? undefined,
      attempts: Math.max(...claimed.map((c) => c.attempts)),
      records: claimed.map((c) => ({ submissionId: c.id, regime, format: c.format, payload: c.payload })),
    });
  }

  /** Sends one claimed batch and records what came of it; returns its size. */
  private async send(repo: RepositoryConfig, batch: ReadyBatch): Promise<number> {
    const channel = this.channels.get(repo.name)!;
    const { batchId, attempts } = batch;
    const ids = batch.records.map((r) => r.submissionId);
    this.stats.batches++;
    this.stats.records += ids.length;
    this.stats.capacity += repo.maxBatch;
    try {
      const result = await channel.send(batch);
      await recordAttempt(this.pool, batchId, repo.name, channel.kind, ids.length, true, null, this.clock());
      if (result.kind === 'outcomes') await this.apply(repo.name, result.outcomes, { batchId, ids });
      else await markSent(this.pool, batchId, ids, this.clock());
    } catch (err) {
      const message = (err as Error).message;
      const now = this.clock();
      await recordAttempt(this.pool, batchId, repo.name, channel.kind, ids.length, false, message, now);
      const failed = err instanceof PermanentError
        ? await markFailed(this.pool, batchId, ids, message, now)
        : await markRetry(this.pool, batchId, ids, message, now, backoffDelay(this.options.retry, attempts, this.hooks.random), this.options.retry.maxAttempts);
      log('warn', `submission batch ${batchId} to ${repo.name} (${ids.length} records, attempt ${attempts}): ${message}`);
      if (failed.length > 0) {
        await openUndeliverable(this.pool, failed, message, now);
        this.hooks.onUndeliverable?.(repo.name, failed, message);
      }
    }
    return ids.length;
  }

  /** Marks the batch sent (if given) and applies outcomes, exceptions included, in one transaction. */
  private async apply(repository: string, outcomes: Outcome[], sent?: { batchId: string; ids: string[] }): Promise<void> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const now = this.clock();
      const { settled, duplicates } = await applyOutcomes(db, outcomes, now, sent);
      await applySettled(db, settled, now);
      await db.query('COMMIT');
      const acks = settled.filter((s) => s.outcome === 'ACK').length;
      this.stats.acks += acks;
      this.stats.nacks += settled.length - acks;
      this.hooks.onOutcomes?.(repository, acks, settled.length - acks, duplicates);
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
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
