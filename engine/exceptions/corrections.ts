/**
 * Corrections with maker-checker. An analyst (the maker) proposes a corrected record for an exception; a second
 * person (the checker) approves or rejects it. Approval returns the record ready to enter the engine over FEP
 * (the integrator sends it from an internal FEP source), so a correction goes through the same path and rules
 * as any event; the intake links the resulting submission to the correction, and the repository's ACK of it
 * closes the exception (see store.ts applySettled). Every step is audited with the state before and after.
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson, reportToJsonText } from '../record/json.js';
import { tradeKeyOf } from '../record/identity.js';
import { audit } from './audit.js';
import { getException, type ExceptionRow } from './store.js';
import { withTransaction } from '../store/transaction.js';

export type CorrectionAction = 'CORR' | 'EROR' | 'REVI' | 'NEWT';
export type CorrectionStatus = 'pending_approval' | 'approved' | 'rejected' | 'sent' | 'acked' | 'nacked';

export interface CorrectionRow {
  id: number;
  exceptionId: number;
  actionType: CorrectionAction;
  status: CorrectionStatus;
  maker: string;
  checker: string | null;
  reason: string | null;
  tradeKey: string | null;
  createdAt: string;
  decidedAt: string | null;
  submissionId: string | null;
}

/** What approval hands over: the corrected record, and its protobuf bytes for a FepEvent.report. */
export interface ApprovedCorrection {
  correction: CorrectionRow;
  report: SwapReport;
  fepReport: Uint8Array;
}

export class CorrectionError extends Error {
  override readonly name = 'CorrectionError';
}

interface RawCorrection {
  id: string; exception_id: string; action_type: CorrectionAction; status: CorrectionStatus; maker: string; checker: string | null;
  reason: string | null; trade_key: string | null; created_at: Date; decided_at: Date | null; submission_id: string | null; record?: unknown;
}

const COLUMNS = 'id, exception_id, action_type, status, maker, checker, reason, trade_key, created_at, decided_at, submission_id';

function toCorrection(r: RawCorrection): CorrectionRow {
  return {
    id: Number(r.id), exceptionId: Number(r.exception_id), actionType: r.action_type, status: r.status, maker: r.maker, checker: r.checker,
    reason: r.reason, tradeKey: r.trade_key, createdAt: r.created_at.toISOString(), decidedAt: r.decided_at ? r.decided_at.toISOString() : null,
    submissionId: r.submission_id,
  };
}

/** UTC timestamp without fractions, the record's format. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The corrected record as it must be sent: the chosen action type; CORR, EROR and REVI carry no event type
 * (DOMAIN.md); the reporting timestamp is the time of approval.
 */
export function prepareCorrectionReport(report: SwapReport, actionType: CorrectionAction, nowMs: number): SwapReport {
  const r = SwapReport.fromPartial(report); // a deep copy: the analyst's object is not changed
  r.actionType = actionType;
  if (actionType !== 'NEWT') r.eventType = undefined;
  r.reportingTimestamp = isoSeconds(nowMs);
  return r;
}

export class CorrectionService {
  constructor(private readonly pool: pg.Pool, private readonly clock: () => number = Date.now) {}

  /** The maker proposes a correction of an open exception. */
  async propose(input: { exceptionId: number; maker: string; actionType: CorrectionAction; report: SwapReport; reason?: string }): Promise<CorrectionRow> {
    return this.tx(async (db, now) => {
      const exc = await this.lockException(db, input.exceptionId);
      if (exc.status !== 'open') throw new CorrectionError(`exception ${exc.id} is ${exc.status}, not open`);
      const key = tradeKeyOf(input.report) ?? null;
      if (exc.tradeKey !== null && key !== exc.tradeKey) throw new CorrectionError(`the correction is for trade ${String(key)}, the exception for ${exc.tradeKey}`);
      const { rows } = await db.query<RawCorrection>(
        `INSERT INTO correction (exception_id, action_type, status, maker, reason, record, trade_key, created_at)
         VALUES ($1, $2, 'pending_approval', $3, $4, $5::jsonb, $6, $7::timestamptz) RETURNING ${COLUMNS}`,
        [exc.id, input.actionType, input.maker, input.reason ?? null, reportToJsonText(input.report), key, new Date(now).toISOString()],
      );
      const c = toCorrection(rows[0]!);
      await db.query(`UPDATE exception SET status = 'correcting' WHERE id = $1`, [exc.id]);
      await audit(db, input.maker, 'correction', c.id, 'propose', exc.record, { actionType: c.actionType, record: JSON.parse(reportToJsonText(input.report)) as unknown, reason: c.reason }, now);
      await audit(db, input.maker, 'exception', exc.id, 'correcting', { status: 'open' }, { status: 'correcting', correctionId: c.id }, now);
      return c;
    });
  }

  /** A second person approves: returns the record ready to send to the engine over FEP. */
  async approve(input: { correctionId: number; checker: string }): Promise<ApprovedCorrection> {
    return this.tx(async (db, now) => {
      const { rows } = await db.query<RawCorrection>(`SELECT ${COLUMNS}, record FROM correction WHERE id = $1 FOR UPDATE`, [input.correctionId]);
      const raw = rows[0];
      if (!raw) throw new CorrectionError(`no correction ${input.correctionId}`);
      const c = toCorrection(raw);
      if (c.status !== 'pending_approval') throw new CorrectionError(`correction ${c.id} is ${c.status}, not pending approval`);
      if (c.maker === input.checker) throw new CorrectionError(`correction ${c.id}: the checker must be another person than the maker (${c.maker})`);
      const decoded = reportFromJson(parseJsonLossless(JSON.stringify(raw.record)));
      if (!decoded.ok) throw new CorrectionError(`correction ${c.id}: stored record does not decode: ${JSON.stringify(decoded.issues)}`);
      const report = prepareCorrectionReport(decoded.report, c.actionType, now);
      await db.query(`UPDATE correction SET status = 'approved', checker = $2, decided_at = $3::timestamptz, record = $4::jsonb WHERE id = $1`,
        [c.id, input.checker, new Date(now).toISOString(), reportToJsonText(report)]);
      await audit(db, input.checker, 'correction', c.id, 'approve', { status: c.status }, { status: 'approved', checker: input.checker }, now);
      return {
        correction: { ...c, status: 'approved', checker: input.checker, decidedAt: new Date(now).toISOString() },
        report,
        fepReport: SwapReport.encode(report).finish(),
      };
    });
  }

  /** The checker rejects: the exception is open again for another correction. */
  async reject(input: { correctionId: number; checker: string; reason: string }): Promise<CorrectionRow> {
    return this.tx(async (db, now) => {
      const { rows } = await db.query<RawCorrection>(`SELECT ${COLUMNS} FROM correction WHERE id = $1 FOR UPDATE`, [input.correctionId]);
      if (!rows[0]) throw new CorrectionError(`no correction ${input.correctionId}`);
      const c = toCorrection(rows[0]);
      if (c.status !== 'pending_approval') throw new CorrectionError(`correction ${c.id} is ${c.status}, not pending approval`);
      if (c.maker === input.checker) throw new CorrectionError(`correction ${c.id}: the checker must be another person than the maker`);
      await db.query(`UPDATE correction SET status = 'rejected', checker = $2, decided_at = $3::timestamptz, reason = $4 WHERE id = $1`,
        [c.id, input.checker, new Date(now).toISOString(), input.reason]);
      await db.query(`UPDATE exception SET status = 'open' WHERE id = $1 AND status = 'correcting'`, [c.exceptionId]);
      await audit(db, input.checker, 'correction', c.id, 'reject', { status: c.status }, { status: 'rejected', reason: input.reason }, now);
      return { ...c, status: 'rejected', checker: input.checker };
    });
  }

  async get(id: number): Promise<CorrectionRow | undefined> {
    const { rows } = await this.pool.query<RawCorrection>(`SELECT ${COLUMNS} FROM correction WHERE id = $1`, [id]);
    return rows[0] ? toCorrection(rows[0]) : undefined;
  }

  /** The original event of an exception, decoded, as the starting point of a correction. */
  async originalReport(exceptionId: number): Promise<SwapReport | undefined> {
    const exc = await getException(this.pool, exceptionId);
    if (!exc || exc.sourceId === null || exc.seq === null) return undefined;
    const { rows } = await this.pool.query<{ report: Buffer }>('SELECT report FROM event_log WHERE source_id = $1 AND seq = $2', [exc.sourceId, exc.seq]);
    return rows[0] ? SwapReport.decode(rows[0].report) : undefined;
  }

  private async lockException(db: pg.PoolClient, id: number): Promise<ExceptionRow> {
    await db.query('SELECT 1 FROM exception WHERE id = $1 FOR UPDATE', [id]);
    const exc = await getException(db, id);
    if (!exc) throw new CorrectionError(`no exception ${id}`);
    return exc;
  }

  private tx<T>(fn: (db: pg.PoolClient, now: number) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (db) => fn(db, this.clock()));
  }
}

/**
 * Links submissions of correction events to their approved corrections (same trade, same action type, the
 * exception's regime when it has one), oldest correction first. Called by the intake in its transaction;
 * returns correction id per submission id.
 */
export async function linkCorrections(db: pg.ClientBase, subs: readonly { id: string; tradeKey: string | null; actionType: string | null; regime: string }[], nowMs: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const candidates = subs.filter((s) => s.tradeKey !== null && (s.actionType === 'CORR' || s.actionType === 'EROR' || s.actionType === 'REVI' || s.actionType === 'NEWT'));
  if (candidates.length === 0) return out;
  const { rows } = await db.query<{ id: string; trade_key: string; action_type: string; regime: string | null }>(
    `SELECT c.id, c.trade_key, c.action_type, e.regime FROM correction c JOIN exception e ON e.id = c.exception_id
      WHERE c.status = 'approved' AND c.trade_key = ANY($1::text[]) ORDER BY c.id FOR UPDATE OF c`,
    [[...new Set(candidates.map((s) => s.tradeKey!))]],
  );
  for (const c of rows) {
    const sub = candidates.find((s) => !out.has(s.id) && s.tradeKey === c.trade_key && s.actionType === c.action_type && (c.regime === null ? s.regime === 'cftc-part45' : s.regime === c.regime));
    if (!sub) continue;
    out.set(sub.id, Number(c.id));
    await db.query(`UPDATE correction SET status = 'sent', sent_at = $2::timestamptz, submission_id = $3 WHERE id = $1`, [c.id, new Date(nowMs).toISOString(), sub.id]);
    await audit(db, 'system', 'correction', c.id, 'submitted', { status: 'approved' }, { status: 'sent', submissionId: sub.id }, nowMs);
  }
  return out;
}
