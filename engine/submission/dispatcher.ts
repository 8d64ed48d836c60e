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
 */
import type pg from 'pg';
import { applySettled, openUndeliverable } from '../exceptions/store.js';
import { log } from '../log.js';
import type { ReportRegime } from '../reports/types.js';
import { newBatchId } from './ids.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
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
}

export const DEFAULT_DISPATCHER: DispatcherOptions = { leaseMs: 120_000, responseTimeoutMs: 300_000, pollIntervalMs: 1_000, idleMs: 200, retry: DEFAULT_RETRY };

export interface DispatcherHooks {
  /** Submissions failed for good (retries exhausted or refused). */
  onUndeliverable?: (repository: string, ids: string[], error: string) => void;
  /** Outcomes applied (for metrics and alert rules). */
  onOutcomes?: (repository: string, acks: number, nacks: number, duplicates: number) => void;
  random?: () => number;
}

export class SubmissionDispatcher {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly repositories: readonly RepositoryConfig[],
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly clock: () => number = Date.now,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER,
    private readonly hooks: DispatcherHooks = {},
  ) {
    for (const r of repositories) if (!channels.has(r.name)) throw new Error(`no channel for repository ${r.name}`);
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
    await Promise.all(this.loops);
    this.loops.length = 0;
    await Promise.all([...this.channels.values()].map((c) => c.close().catch(() => undefined)));
  }

  /** Sends at most one batch per regime of `repository` now; returns the records sent (tests drive this directly). */
  async sendOnce(repository: RepositoryConfig): Promise<number> {
    let n = 0;
    for (const regime of repository.regimes) n += await this.sendBatch(repository, regime);
    return n;
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

  private async sendBatch(repo: RepositoryConfig, regime: ReportRegime): Promise<number> {
    const batchId = newBatchId(repo.name);
    const claimed = await claimPending(this.pool, repo.name, regime, repo.maxBatch, batchId, this.clock(), this.options.leaseMs);
    if (claimed.length === 0) return 0;
    const channel = this.channels.get(repo.name)!;
    // One batch, one submitter (the file/request header); records of other submitters still carry their own.
    const submitter = claimed[0]!.submitter ?? undefined;
    const attempts = Math.max(...claimed.map((c) => c.attempts));
    try {
      const result = await channel.send({
        batchId, repository: repo.name, regime, submitter,
        records: claimed.map((c) => ({ submissionId: c.id, regime, format: c.format, payload: c.payload })),
      });
      await recordAttempt(this.pool, batchId, repo.name, channel.kind, claimed.length, true, null, this.clock());
      const ids = claimed.map((c) => c.id);
      if (result.kind === 'outcomes') await this.apply(repo.name, result.outcomes, { batchId, ids });
      else await markSent(this.pool, batchId, ids, this.clock());
    } catch (err) {
      const message = (err as Error).message;
      const now = this.clock();
      await recordAttempt(this.pool, batchId, repo.name, channel.kind, claimed.length, false, message, now);
      const ids = claimed.map((c) => c.id);
      const failed = err instanceof PermanentError
        ? await markFailed(this.pool, batchId, ids, message, now)
        : await markRetry(this.pool, batchId, ids, message, now, backoffDelay(this.options.retry, attempts, this.hooks.random), this.options.retry.maxAttempts);
      log('warn', `submission batch ${batchId} to ${repo.name} (${claimed.length} records, attempt ${attempts}): ${message}`);
      if (failed.length > 0) {
        await openUndeliverable(this.pool, failed, message, now);
        this.hooks.onUndeliverable?.(repo.name, failed, message);
      }
    }
    return claimed.length;
  }

  /** Marks the batch sent (if given) and applies outcomes, exceptions included, in one transaction. */
  private async apply(repository: string, outcomes: Outcome[], sent?: { batchId: string; ids: string[] }): Promise<void> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const now = this.clock();
      if (sent !== undefined) await markSent(db, sent.batchId, sent.ids, now);
      const { settled, duplicates } = await applyOutcomes(db, outcomes, now);
      await applySettled(db, settled, now);
      await db.query('COMMIT');
      const acks = settled.filter((s) => s.outcome === 'ACK').length;
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
