/**
 * The submission intake: turns durable events into owed submissions (and engine rejections into exceptions).
 *
 * It reads event_log after the ingest path has committed, per source in seq order from a cursor kept in
 * submission_cursor, and writes the submissions and the advanced cursors in one transaction. So it adds
 * nothing to the acknowledgement path, survives a crash (it resumes from the cursor), and needs no call from
 * the actors. A seq above the cursor is taken when it is contiguous or at most the source's durable_seq
 * (everything up to durable_seq is committed; above it a hole may be an event still in flight in another
 * group commit).
 *
 * Speed: one pass reads up to `batchSize` events (10,000: one full repository batch per regime) across all
 * sources, and waits up to `lingerMs` for that many to be durable, so that batches leave full under load and
 * within `lingerMs` when traffic is light. Per pass it writes one row per batch (its records kept once, as they
 * will be sent) and one narrow row per submission by binary COPY, with the cursor rows locked FOR UPDATE so that
 * two intakes on one database cannot insert the same ids. A trade's submissions go to the lane its key hashes
 * to (engine/submission/batch-body.ts laneOf), so the dispatcher can keep their order. When a sink (the
 * dispatcher) is attached, the batches are handed over in memory after COMMIT: the sender never reads back what
 * the intake just wrote. If the process dies, the dispatcher finds them pending in the database.
 *
 * Nothing stuck: an event that cannot be stored (a NUL in a field, a key longer than an index takes, a record
 * PostgreSQL refuses) is set aside in the dead letters and the intake goes on. Known shapes are caught before
 * the write; anything else is found by halving the pass until the one event that fails is alone (PassLimit).
 */
import type pg from 'pg';
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { decodeReport } from '../record/decode-report.js';
import { reportToJsonText } from '../record/json.js';
import type { ReportBuilder } from '../reports/index.js';
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import { linkCorrections } from '../exceptions/corrections.js';
import { openValidationExceptions, type ValidationRejection } from '../exceptions/store.js';
import { log } from '../log.js';
import { newBatchId, submissionId } from './ids.js';
import { insertBatches, insertBatchesSkippingKnown, type NewBatch, type NewSubmission } from './store.js';
import type { OutboundBatch, RepositoryConfig } from './types.js';
import { WakeableLoop } from '../wakeable-loop.js';
import { readEventsAfter } from '../store/follow-event-log.js';
import { laneOf, LineBuffer, recordLine } from './batch-body.js';
import { classifyFailure, PassLimit, recordDeadLetter, resolveDeadLetter, sanitizeError, takeRetries } from '../store/dead-letters.js';
import { unstorableText } from '../store/unstorable.js';

export interface IntakeOptions {
  /** Most events read in one pass (across sources); also the most submissions per regime in one handed-over batch. */
  batchSize: number;
  /** Pause between passes that found nothing. */
  idleMs: number;
  /** How long a pass waits for `batchSize` events to be durable before it takes fewer (default 50). */
  lingerMs?: number;
  /** How often dead letters an operator asked to retry are looked for (default 5 s). */
  retryEveryMs?: number;
}

export const DEFAULT_INTAKE: Required<IntakeOptions> = { batchSize: 10_000, idleMs: 100, lingerMs: 50, retryEveryMs: 5_000 };

/** The follower name of the intake in the dead letters. */
export const INTAKE_FOLLOWER = 'submission-intake';

/** A batch the intake stored, ready to send: its records' ids in order, its lane and when it was made. */
export interface ReadyBatch extends OutboundBatch {
  ids: string[];
  lane: number;
  attempts: number;
}

/** Where stored batches go in memory (the dispatcher). */
export interface IntakeSink {
  /** False while the sink holds enough batches: the intake stops reading (event_log is the buffer). */
  hasRoom(): boolean;
  /** Resolves when the sink has room again (or soon, to re-check). */
  whenRoom(): Promise<void>;
  accept(batches: ReadyBatch[]): void;
}

interface EventRow {
  source_id: string;
  seq: string;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  received_at: Date;
  trade_key: string | null;
  counterparty1: string | null;
  action_type: string | null;
  report: Buffer;
}

interface SourceState {
  source_id: string;
  durable_seq: string;
  cursor: string;
}

export interface IntakeStats {
  passes: number;
  events: number;
  submissions: number;
  batches: number;
  /** Events set aside in the dead letters. */
  deadLetters: number;
  /** Events durable and not yet taken, at the last pass (a lower bound: durable_seq lags a little). */
  backlog: number;
}

/** Repository '' holds batches of a regime no repository is configured for: they wait, pending. */
export const UNROUTED = '';

/** What one pass made of its events. */
interface Built {
  subs: NewSubmission[];
  batches: NewBatch[];
  ids: Map<string, string[]>;
  rejected: ValidationRejection[];
  /** Events that cannot be stored, with why: dead-lettered in the pass's transaction. */
  poison: { sourceId: string; seq: number; error: string }[];
}

export class SubmissionIntake {
  private readonly route = new Map<ReportRegime, RepositoryConfig>();
  private readonly loop: WakeableLoop;
  private readonly limit: PassLimit;
  private waitingSince: number | undefined;
  private lastRetryAt = 0;
  /** When a pass last took events, or found none waiting: a backlog with no progress since is a stuck intake. */
  private lastProgressAt: number;
  readonly stats: IntakeStats = { passes: 0, events: 0, submissions: 0, batches: 0, deadLetters: 0, backlog: 0 };
  /** The dispatcher, when attached: stored batches are handed over in memory. */
  sink: IntakeSink | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly builder: ReportBuilder,
    private readonly repositories: readonly RepositoryConfig[],
    private readonly clock: () => number = Date.now,
    private readonly options: IntakeOptions = DEFAULT_INTAKE,
  ) {
    for (const r of repositories) for (const g of r.regimes) this.route.set(g, r);
    this.lingerMs = options.lingerMs ?? DEFAULT_INTAKE.lingerMs;
    this.lastProgressAt = clock();
    this.limit = new PassLimit(options.batchSize);
    this.loop = new WakeableLoop('submission intake', async () => {
      if (this.sink && !this.sink.hasRoom()) {
        await Promise.race([this.sink.whenRoom(), this.loop.sleep(this.options.idleMs)]);
        return true; // waited already: look again at once
      }
      if (this.clock() - this.lastRetryAt >= (this.options.retryEveryMs ?? DEFAULT_INTAKE.retryEveryMs)) {
        this.lastRetryAt = this.clock();
        await this.retryDeadLetters();
      }
      return (await this.runOnce()) > 0;
    }, () => (this.waitingSince === undefined ? this.options.idleMs : Math.min(this.options.idleMs, this.lingerMs)));
  }

  private readonly lingerMs: number;

  start(): void {
    this.loop.start();
  }

  /** How long events have waited with no pass taking any (0 while the intake keeps up or has nothing to do). */
  stalledForMs(): number {
    return this.stats.backlog > 0 ? Math.max(0, this.clock() - this.lastProgressAt) : 0;
  }

  /** Asks a sleeping loop to look now (e.g. right after a group commit). */
  nudge(): void {
    this.loop.nudge();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * One pass over every source; returns the number of events consumed. `force` takes whatever is durable
   * without lingering for a full batch (tests and the final pass use it). A pass that fails for an event's sake
   * is retried with fewer events until that event is alone, and then sets it aside; a lost connection is thrown.
   */
  async runOnce(force = !this.loop.running): Promise<number> {
    const { rows: sources } = await this.pool.query<SourceState>(
      `SELECT f.source_id, f.durable_seq, COALESCE(c.seq, 0) AS cursor FROM fep_source f
         LEFT JOIN submission_cursor c ON c.source_id = f.source_id ORDER BY f.source_id`,
    );
    const backlog = sources.reduce((n, s) => n + Math.max(0, Number(s.durable_seq) - Number(s.cursor)), 0);
    this.stats.backlog = backlog;
    if (backlog === 0) this.lastProgressAt = this.clock();
    if (!force && backlog < this.options.batchSize && !this.limit.searching) {
      // Linger for a full batch: durable_seq lags the commits a little, so "nothing" may still be something.
      const now = this.clock();
      this.waitingSince ??= now;
      if (now - this.waitingSince < this.lingerMs) return 0;
    }
    this.waitingSince = undefined;

    let budget = this.limit.limit;
    const taken: { sourceId: string; from: number; last: number; rows: EventRow[] }[] = [];
    for (const s of sources) {
      if (budget <= 0) break;
      const cursor = Number(s.cursor);
      const rows = await this.read(s.source_id, cursor, Number(s.durable_seq), budget);
      if (rows.length === 0) continue;
      taken.push({ sourceId: s.source_id, from: cursor, last: Number(rows[rows.length - 1]!.seq), rows });
      budget -= rows.length;
    }
    if (taken.length === 0) return 0;
    const count = taken.reduce((n, t) => n + t.rows.length, 0);
    const now = this.clock();
    let built: Built;
    try {
      built = this.build(taken);
      await this.write(taken, built, now);
    } catch (err) {
      if (classifyFailure(err) === 'transient') throw err;
      if (this.limit.failed(count) === 'retry') {
        log('warn', `submission intake: a pass of ${count} event(s) failed, retrying with at most ${this.limit.limit}: ${sanitizeError(err)}`);
        return count; // look again at once, with fewer events
      }
      const t = taken[0]!;
      await this.setAside(t.sourceId, t.from, Number(t.rows[0]!.seq), err);
      return 1;
    }
    this.limit.succeeded(count);
    this.lastProgressAt = now;
    this.stats.passes++;
    this.stats.events += count;
    this.stats.submissions += built.subs.length;
    this.stats.batches += built.batches.length;
    this.stats.deadLetters += built.poison.length;
    for (const p of built.poison) log('error', `submission intake: ${p.sourceId}#${p.seq} set aside in the dead letters: ${p.error}`);
    this.handOver(built);
    return count;
  }

  /** Gives the stored batches to the dispatcher in memory (it finds them in the database otherwise). */
  private handOver(built: Built): void {
    if (this.sink) {
      const ready = built.batches.filter((b) => b.repository !== UNROUTED).map((b): ReadyBatch => ({
        batchId: b.id, repository: b.repository, regime: b.regime, format: b.format, submitter: b.submitter, records: b.records, lines: b.lines,
        ids: built.ids.get(b.id)!, lane: b.lane, attempts: 0,
      }));
      if (ready.length > 0) this.sink.accept(ready);
    }
  }

  /**
   * Takes again the dead letters an operator asked to retry (`swaprep dead-letters retry`): each event is read
   * from the log and stored through the same write, without moving the cursor, and its dead letter resolved in the
   * same transaction; one that fails again is set aside again with the new error. Returns how many were resolved.
   */
  async retryDeadLetters(): Promise<number> {
    let resolved = 0;
    for (const d of await takeRetries(this.pool, INTAKE_FOLLOWER, 100)) {
      const { rows } = await this.pool.query<EventRow>(
        'SELECT source_id, seq, status, received_at, trade_key, counterparty1, action_type, report FROM event_log WHERE source_id = $1 AND seq = $2', [d.sourceId, d.seq]);
      try {
        if (rows.length === 0) throw new Error(`event ${d.sourceId}#${d.seq} is not in the event log`);
        const built = this.build([{ sourceId: d.sourceId, rows }]);
        if (built.poison[0]) throw new Error(built.poison[0].error);
        await this.write([], built, this.clock(), async (db) => void (await resolveDeadLetter(db, d.id)));
        this.handOver(built);
        resolved++;
        log('info', `submission intake: dead letter ${d.id} (${d.sourceId}#${d.seq}) taken on retry`);
      } catch (err) {
        if (classifyFailure(err) === 'transient') throw err;
        await recordDeadLetter(this.pool, { follower: INTAKE_FOLLOWER, sourceId: d.sourceId, seq: d.seq, error: err });
        log('warn', `submission intake: dead letter ${d.id} (${d.sourceId}#${d.seq}) failed again: ${sanitizeError(err)}`);
      }
    }
    return resolved;
  }

  /**
   * Stores a pass: its rejections' exceptions, its batches and submissions, its dead letters, and the cursors moved
   * past `taken`, in one transaction. With no `taken` (a dead letter's retry) no cursor moves; `also` runs last in
   * the same transaction.
   */
  private async write(taken: readonly { sourceId: string; from: number; last: number }[], built: Built, now: number, also?: (db: pg.PoolClient) => Promise<void>): Promise<void> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      // Lock the cursors and check nobody moved them since they were read (another intake on this database).
      const ids = taken.map((t) => t.sourceId);
      await db.query(`INSERT INTO submission_cursor (source_id, seq) SELECT unnest($1::text[]), 0 ON CONFLICT (source_id) DO NOTHING`, [ids]);
      const { rows: locked } = await db.query<{ source_id: string; seq: string }>('SELECT source_id, seq FROM submission_cursor WHERE source_id = ANY($1::text[]) FOR UPDATE', [ids]);
      const at = new Map(locked.map((r) => [r.source_id, Number(r.seq)]));
      if (taken.some((t) => at.get(t.sourceId) !== t.from)) {
        await db.query('ROLLBACK');
        built.batches.length = 0;
        built.subs.length = 0;
        built.poison.length = 0;
        return;
      }
      if (built.rejected.length > 0) await this.openRejected(db, built.rejected, now);
      const links = await linkCorrections(db, built.subs, now);
      const withCorrections = new Set<string>();
      for (const s of built.subs) {
        s.correctionId = links.get(s.id) ?? null;
        if (s.correctionId !== null) withCorrections.add(s.batchId);
      }
      for (const b of built.batches) b.hasCorrections = withCorrections.has(b.id);
      for (const p of built.poison) await recordDeadLetter(db, { follower: INTAKE_FOLLOWER, sourceId: p.sourceId, seq: p.seq, error: p.error });
      await db.query('SAVEPOINT copy');
      try {
        await insertBatches(db, built.batches, built.subs, now);
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw err;
        // Ids already there (e.g. rows restored by hand): store what is new, in batches rebuilt without the rest.
        await db.query('ROLLBACK TO SAVEPOINT copy');
        const kept = await insertBatchesSkippingKnown(db, built.batches, built.subs, now);
        built.batches = kept.batches;
        built.subs = kept.rows;
        for (const b of kept.batches) built.ids.set(b.id, kept.rows.filter((r) => r.batchId === b.id).map((r) => r.id));
      }
      await db.query(
        `UPDATE submission_cursor c SET seq = t.seq FROM unnest($1::text[], $2::bigint[]) AS t(source_id, seq) WHERE c.source_id = t.source_id`,
        [ids, taken.map((t) => t.last)],
      );
      await also?.(db);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }

  /** The one event a pass could not store: into the dead letters, and the cursor past it, in one transaction. */
  private async setAside(sourceId: string, from: number, seq: number, err: unknown): Promise<void> {
    const error = sanitizeError(err);
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      await db.query(`INSERT INTO submission_cursor (source_id, seq) VALUES ($1, 0) ON CONFLICT (source_id) DO NOTHING`, [sourceId]);
      const moved = await db.query('UPDATE submission_cursor SET seq = $3 WHERE source_id = $1 AND seq = $2', [sourceId, from, seq]);
      if (moved.rowCount === 1) await recordDeadLetter(db, { follower: INTAKE_FOLLOWER, sourceId, seq, error: err });
      await db.query('COMMIT');
      if (moved.rowCount !== 1) return;
    } catch (e) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      db.release();
    }
    this.stats.deadLetters++;
    log('error', `submission intake: ${sourceId}#${seq} set aside in the dead letters: ${error}`);
  }

  private read(sourceId: string, cursor: number, durableSeq: number, limit: number): Promise<EventRow[]> {
    return readEventsAfter<EventRow>(this.pool, 'source_id, seq, status, received_at, trade_key, counterparty1, action_type, report', sourceId, cursor, durableSeq, limit);
  }

  /**
   * The pass's submissions, in batches per repository, regime and lane of at most the repository's maxBatch, in
   * event order; its rejections; and the events that cannot be stored.
   */
  private build(taken: readonly { sourceId: string; rows: EventRow[] }[]): Built {
    const out: Built = { subs: [], batches: [], ids: new Map(), rejected: [], poison: [] };
    const open = new Map<string, { batch: NewBatch; ids: string[] }>();
    for (const t of taken) {
      for (const r of t.rows) {
        const seq = Number(r.seq);
        const refused = unstorableText([r.trade_key, r.counterparty1, r.action_type]);
        if (refused) {
          out.poison.push({ sourceId: t.sourceId, seq, error: refused });
          continue;
        }
        let report: SwapReport;
        try {
          report = decodeReport(r.report);
        } catch (err) {
          out.poison.push({ sourceId: t.sourceId, seq, error: `does not decode: ${(err as Error).message}` });
          continue;
        }
        if (r.status === 'rejected') {
          const recordJson = reportToJsonText(report);
          if (recordJson.includes('\\u0000')) {
            out.poison.push({ sourceId: t.sourceId, seq, error: 'the record holds a NUL character (U+0000), which PostgreSQL cannot store in an exception' });
            continue;
          }
          out.rejected.push({ sourceId: t.sourceId, seq, tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type, findings: [], recordJson });
          continue;
        }
        for (const regime of this.builder.owed(report)) {
          const repo = this.route.get(regime);
          const format: ReportFormat = repo?.format ?? 'json';
          const built = this.builder.build(regime, report, r.received_at.getTime(), format);
          const lane = laneOf(r.trade_key ?? `${t.sourceId}#${seq}`, repo?.concurrency ?? 1);
          const repository = repo?.name ?? UNROUTED;
          const key = `${repository}\u0000${regime}\u0000${lane}`;
          let b = open.get(key);
          if (!b || b.batch.records >= (repo?.maxBatch ?? this.options.batchSize)) {
            // One batch, one submitter (the file/request header); records of other submitters still carry their own.
            b = {
              batch: { id: newBatchId(repository || 'unrouted'), repository, regime, format: built.format, lane, submitter: report.reportSubmittingEntityID,
                records: 0, lines: new LineBuffer(), hasCorrections: false, dueAtMs: built.dueAtMs },
              ids: [],
            };
            open.set(key, b);
            out.batches.push(b.batch);
            out.ids.set(b.batch.id, b.ids);
          }
          const id = submissionId(regime, t.sourceId, seq);
          const line = recordLine(built.format, id, built.payload);
          out.subs.push({
            id, batchId: b.batch.id, ordinal: b.batch.records, regime, sourceId: t.sourceId, seq, tradeKey: r.trade_key, counterparty1: r.counterparty1,
            actionType: r.action_type, dueAtMs: built.dueAtMs, disseminateAtMs: built.disseminateAtMs ?? null, correctionId: null,
          });
          b.batch.lines.push(line);
          b.batch.records++;
          b.batch.dueAtMs = Math.min(b.batch.dueAtMs, built.dueAtMs);
          b.ids.push(id);
        }
      }
    }
    return out;
  }

  /** The engine's findings for the rejected events, as their exceptions' codes. */
  private async openRejected(db: pg.PoolClient, rejected: ValidationRejection[], now: number): Promise<void> {
    const bySource = new Map<string, ValidationRejection[]>();
    for (const r of rejected) {
      let l = bySource.get(r.sourceId);
      if (!l) bySource.set(r.sourceId, (l = []));
      l.push(r);
    }
    for (const [sourceId, list] of bySource) {
      const bySeq = new Map(list.map((r) => [r.seq, r]));
      const { rows: f } = await db.query<{ seq: string; rule: string; element: string; path: string; severity: string; message: string }>(
        'SELECT seq, rule, element, path, severity, message FROM finding WHERE source_id = $1 AND seq = ANY($2::bigint[])', [sourceId, list.map((r) => r.seq)]);
      for (const x of f) bySeq.get(Number(x.seq))?.findings.push({ rule: x.rule, element: x.element, path: x.path, severity: x.severity, message: x.message });
    }
    await openValidationExceptions(db, rejected, now);
  }
}
