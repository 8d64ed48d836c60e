/**
 * The submission intake: turns durable events into owed submissions (and engine rejections into exceptions).
 *
 * It reads event_log after the ingest path has committed, per source in seq order from a cursor kept in
 * submission_cursor, and writes the submissions and the advanced cursor in one transaction. So it adds
 * nothing to the acknowledgement path, survives a crash (it resumes from the cursor; the ids are stable, so a
 * repeated batch inserts nothing twice), and needs no call from the actors. A seq above the cursor is taken
 * when it is contiguous or at most the source's durable_seq (everything up to durable_seq is committed;
 * above it a hole may be an event still in flight in another group commit).
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { reportToJsonText } from '../record/json.js';
import type { ReportBuilder } from '../reports/index.js';
import type { ReportRegime } from '../reports/types.js';
import { linkCorrections } from '../exceptions/corrections.js';
import { openValidationExceptions, type ValidationRejection } from '../exceptions/store.js';
import { log } from '../log.js';
import { submissionId } from './ids.js';
import { insertSubmissions, type NewSubmission } from './store.js';
import type { RepositoryConfig } from './types.js';

export interface IntakeOptions {
  /** Events read per source per pass. */
  batchSize: number;
  /** Pause between passes that found nothing. */
  idleMs: number;
}

export const DEFAULT_INTAKE: IntakeOptions = { batchSize: 5_000, idleMs: 100 };

interface EventRow {
  seq: string;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  received_at: Date;
  trade_key: string | null;
  counterparty1: string | null;
  action_type: string | null;
  report: Buffer;
}

export class SubmissionIntake {
  private readonly route = new Map<ReportRegime, RepositoryConfig>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Told after a pass inserted submissions (the path wires it to the dispatcher's nudge). */
  onInserted: ((count: number) => void) | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly builder: ReportBuilder,
    repositories: readonly RepositoryConfig[],
    private readonly clock: () => number = Date.now,
    private readonly options: IntakeOptions = DEFAULT_INTAKE,
  ) {
    for (const r of repositories) for (const g of r.regimes) this.route.set(g, r);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let n = 0;
        try {
          n = await this.runOnce();
        } catch (err) {
          log('warn', `submission intake: ${(err as Error).message}`);
        }
        if (n === 0 && this.running) await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.options.idleMs);
          this.wake = () => { clearTimeout(t); resolve(); };
        });
      }
    })();
  }

  /** Asks a sleeping loop to look now (e.g. right after a group commit). */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** One pass over every source; returns the number of events consumed. */
  async runOnce(): Promise<number> {
    const { rows: sources } = await this.pool.query<{ source_id: string; durable_seq: string; cursor: string }>(
      `SELECT f.source_id, f.durable_seq, COALESCE(c.seq, 0) AS cursor FROM fep_source f
         LEFT JOIN submission_cursor c ON c.source_id = f.source_id`,
    );
    let total = 0;
    for (const s of sources) total += await this.runSource(s.source_id, Number(s.cursor), Number(s.durable_seq));
    return total;
  }

  private async runSource(sourceId: string, cursor: number, durableSeq: number): Promise<number> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT seq, status, received_at, trade_key, counterparty1, action_type, report FROM event_log
        WHERE source_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [sourceId, cursor, this.options.batchSize],
    );
    const take: EventRow[] = [];
    let last = cursor;
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== last + 1 && seq > durableSeq) break;
      take.push(r);
      last = seq;
    }
    if (take.length === 0) return 0;

    const now = this.clock();
    const subs: NewSubmission[] = [];
    const rejected: ValidationRejection[] = [];
    const rejectedSeqs: number[] = [];
    for (const r of take) {
      const seq = Number(r.seq);
      let report: SwapReport;
      try {
        report = SwapReport.decode(r.report);
      } catch (err) {
        log('warn', `submission intake: ${sourceId}#${seq} does not decode: ${(err as Error).message}`);
        continue;
      }
      if (r.status === 'rejected') {
        rejected.push({ sourceId, seq, tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type, findings: [], recordJson: reportToJsonText(report) });
        rejectedSeqs.push(seq);
        continue;
      }
      for (const regime of this.builder.owed(report)) {
        const repo = this.route.get(regime);
        if (!repo) continue; // a regime with no repository configured is not reported
        const built = this.builder.build(regime, report, r.received_at.getTime(), repo.format);
        subs.push({
          id: submissionId(regime, sourceId, seq), regime, repository: repo.name, sourceId, seq,
          tradeKey: r.trade_key, counterparty1: r.counterparty1, submitter: report.reportSubmittingEntityID ?? null, actionType: r.action_type,
          format: built.format, payload: built.payload, dueAtMs: built.dueAtMs, disseminateAtMs: built.disseminateAtMs ?? null, correctionId: null,
        });
      }
    }

    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      if (rejected.length > 0) {
        // The engine's findings for the rejected events, as the exception's codes.
        const { rows: f } = await db.query<{ seq: string; rule: string; element: string; path: string; severity: string; message: string }>(
          'SELECT seq, rule, element, path, severity, message FROM finding WHERE source_id = $1 AND seq = ANY($2::bigint[])', [sourceId, rejectedSeqs]);
        for (const x of f) rejected.find((r) => r.seq === Number(x.seq))?.findings.push({ rule: x.rule, element: x.element, path: x.path, severity: x.severity, message: x.message });
        await openValidationExceptions(db, rejected, now);
      }
      const links = await linkCorrections(db, subs, now);
      for (const s of subs) s.correctionId = links.get(s.id) ?? null;
      const inserted = await insertSubmissions(db, subs, now);
      await db.query(
        `INSERT INTO submission_cursor (source_id, seq) VALUES ($1, $2)
         ON CONFLICT (source_id) DO UPDATE SET seq = GREATEST(submission_cursor.seq, EXCLUDED.seq)`,
        [sourceId, last],
      );
      await db.query('COMMIT');
      if (inserted > 0) this.onInserted?.(inserted);
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
    return take.length;
  }
}
