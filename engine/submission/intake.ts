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
 * within `lingerMs` when traffic is light. The submissions go in by binary COPY, with the cursor rows locked
 * FOR UPDATE so that two intakes on one database cannot insert the same ids. When a sink (the dispatcher) is
 * attached, the rows are inserted already claimed by the batches it will send (attempts 1, batch_id, a lease),
 * and handed over in memory after COMMIT: the sender never reads back what the intake just wrote, and never
 * waits for a poll. If the process dies, the leases lapse and the dispatcher's claim path sends them.
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { reportToJsonText } from '../record/json.js';
import type { ReportBuilder } from '../reports/index.js';
import type { ReportRegime } from '../reports/types.js';
import { linkCorrections } from '../exceptions/corrections.js';
import { openValidationExceptions, type ValidationRejection } from '../exceptions/store.js';
import { log } from '../log.js';
import { newBatchId, submissionId } from './ids.js';
import { copySubmissions, insertSubmissions, type NewSubmission } from './store.js';
import type { OutboundBatch, RepositoryConfig } from './types.js';
import { WakeableLoop } from '../wakeable-loop.js';
import { readEventsAfter } from '../store/follow-event-log.js';

export interface IntakeOptions {
  /** Most events read in one pass (across sources); also the most submissions per regime in one handed-over batch. */
  batchSize: number;
  /** Pause between passes that found nothing. */
  idleMs: number;
  /** How long a pass waits for `batchSize` events to be durable before it takes fewer (default 50). */
  lingerMs?: number;
}

export const DEFAULT_INTAKE: Required<IntakeOptions> = { batchSize: 10_000, idleMs: 100, lingerMs: 50 };

/** A batch the intake inserted already claimed, ready to send. */
export interface ReadyBatch extends OutboundBatch {
  /** attempts of its submissions (1: inserted claimed). */
  attempts: number;
}

/** Where inserted submissions go in memory (the dispatcher). */
export interface IntakeSink {
  /** False while the sink holds enough batches: the intake stops reading (event_log is the buffer). */
  hasRoom(): boolean;
  /** Resolves when the sink has room again (or soon, to re-check). */
  whenRoom(): Promise<void>;
  /** How long the rows of a handed-over batch stay claimed for it. */
  leaseMs: number;
  /** The most records per batch for a repository (its maxBatch). */
  maxBatch(repository: string): number;
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
  /** Events durable and not yet taken, at the last pass (a lower bound: durable_seq lags a little). */
  backlog: number;
}

/** Repository '' holds submissions of a regime no repository is configured for: they wait, pending. */
export const UNROUTED = '';

export class SubmissionIntake {
  private readonly route = new Map<ReportRegime, RepositoryConfig>();
  private readonly loop: WakeableLoop;
  private waitingSince: number | undefined;
  readonly stats: IntakeStats = { passes: 0, events: 0, submissions: 0, backlog: 0 };
  /** Told after a pass inserted submissions (the path wires it to the dispatcher's nudge). */
  onInserted: ((count: number) => void) | undefined;
  /** The dispatcher, when attached: inserted rows are claimed for it and handed over in memory. */
  sink: IntakeSink | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly builder: ReportBuilder,
    repositories: readonly RepositoryConfig[],
    private readonly clock: () => number = Date.now,
    private readonly options: IntakeOptions = DEFAULT_INTAKE,
  ) {
    for (const r of repositories) for (const g of r.regimes) this.route.set(g, r);
    this.lingerMs = options.lingerMs ?? DEFAULT_INTAKE.lingerMs;
    this.loop = new WakeableLoop('submission intake', async () => {
      if (this.sink && !this.sink.hasRoom()) {
        await Promise.race([this.sink.whenRoom(), this.loop.sleep(this.options.idleMs)]);
        return true; // waited already: look again at once
      }
      return (await this.runOnce()) > 0;
    }, () => (this.waitingSince === undefined ? this.options.idleMs : Math.min(this.options.idleMs, this.lingerMs)));
  }

  private readonly lingerMs: number;

  start(): void {
    this.loop.start();
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
   * without lingering for a full batch (tests and the final pass use it).
   */
  async runOnce(force = !this.loop.running): Promise<number> {
    const { rows: sources } = await this.pool.query<SourceState>(
      `SELECT f.source_id, f.durable_seq, COALESCE(c.seq, 0) AS cursor FROM fep_source f
         LEFT JOIN submission_cursor c ON c.source_id = f.source_id ORDER BY f.source_id`,
    );
    const backlog = sources.reduce((n, s) => n + Math.max(0, Number(s.durable_seq) - Number(s.cursor)), 0);
    this.stats.backlog = backlog;
    if (!force && backlog < this.options.batchSize) {
      // Linger for a full batch: durable_seq lags the commits a little, so "nothing" may still be something.
      const now = this.clock();
      this.waitingSince ??= now;
      if (now - this.waitingSince < this.lingerMs) return 0;
    }
    this.waitingSince = undefined;

    let budget = this.options.batchSize;
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
    const { subs, rejected } = this.build(taken);
    const batches = this.sink ? this.claimForSink(subs, now) : [];

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
        return 0;
      }
      if (rejected.length > 0) await this.openRejected(db, rejected, now);
      const links = await linkCorrections(db, subs, now);
      for (const s of subs) s.correctionId = links.get(s.id) ?? null;
      await db.query('SAVEPOINT copy');
      try {
        await copySubmissions(db, subs, now);
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw err;
        // Ids already there (e.g. rows restored by hand): insert what is new, row by row semantics.
        await db.query('ROLLBACK TO SAVEPOINT copy');
        await insertSubmissions(db, subs, now);
        batches.length = 0; // their claims are not certain now; the claim path sends them
      }
      await db.query(
        `UPDATE submission_cursor c SET seq = t.seq FROM unnest($1::text[], $2::bigint[]) AS t(source_id, seq) WHERE c.source_id = t.source_id`,
        [ids, taken.map((t) => t.last)],
      );
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
    this.stats.passes++;
    this.stats.events += count;
    this.stats.submissions += subs.length;
    if (batches.length > 0) this.sink!.accept(batches);
    if (subs.length > 0) this.onInserted?.(subs.length);
    return count;
  }

  private read(sourceId: string, cursor: number, durableSeq: number, limit: number): Promise<EventRow[]> {
    return readEventsAfter<EventRow>(this.pool, 'source_id, seq, status, received_at, trade_key, counterparty1, action_type, report', sourceId, cursor, durableSeq, limit);
  }

  private build(taken: readonly { sourceId: string; rows: EventRow[] }[]): { subs: NewSubmission[]; rejected: ValidationRejection[] } {
    const subs: NewSubmission[] = [];
    const rejected: ValidationRejection[] = [];
    for (const t of taken) {
      for (const r of t.rows) {
        const seq = Number(r.seq);
        let report: SwapReport;
        try {
          report = SwapReport.decode(r.report);
        } catch (err) {
          log('warn', `submission intake: ${t.sourceId}#${seq} does not decode: ${(err as Error).message}`);
          continue;
        }
        if (r.status === 'rejected') {
          rejected.push({ sourceId: t.sourceId, seq, tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type, findings: [], recordJson: reportToJsonText(report) });
          continue;
        }
        for (const regime of this.builder.owed(report)) {
          const repo = this.route.get(regime);
          const built = this.builder.build(regime, report, r.received_at.getTime(), repo?.format ?? 'json');
          subs.push({
            id: submissionId(regime, t.sourceId, seq), regime, repository: repo?.name ?? UNROUTED, sourceId: t.sourceId, seq,
            tradeKey: r.trade_key, counterparty1: r.counterparty1, submitter: report.reportSubmittingEntityID ?? null, actionType: r.action_type,
            format: built.format, payload: built.payload, dueAtMs: built.dueAtMs, disseminateAtMs: built.disseminateAtMs ?? null, correctionId: null,
          });
        }
      }
    }
    return { subs, rejected };
  }

  /** Splits the routed submissions into batches per repository and regime, and marks their rows claimed by them. */
  private claimForSink(subs: NewSubmission[], now: number): ReadyBatch[] {
    const sink = this.sink!;
    const open = new Map<string, ReadyBatch>();
    const out: ReadyBatch[] = [];
    for (const s of subs) {
      if (s.repository === UNROUTED) continue;
      const key = `${s.repository}\u0000${s.regime}`;
      let b = open.get(key);
      if (!b || b.records.length >= sink.maxBatch(s.repository)) {
        // One batch, one submitter (the file/request header); records of other submitters still carry their own.
        b = { batchId: newBatchId(s.repository), repository: s.repository, regime: s.regime, submitter: s.submitter ?? undefined, records: [], attempts: 1 };
        open.set(key, b);
        out.push(b);
      }
      b.records.push({ submissionId: s.id, regime: s.regime, format: s.format, payload: s.payload });
      s.batchId = b.batchId;
      s.leaseUntilMs = now + sink.leaseMs;
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
