/**
 * Exceptions: opened by a NACK, a validation rejection or an undeliverable submission; moved to 'correcting'
 * by a proposed correction; closed when the repository ACKs the submission that carried the approved correction.
 * These functions take a client so the submission path can call them inside its own transaction.
 */
import type pg from 'pg';
import type { SettledSubmission } from '../submission/store.js';
import { audit } from './audit.js';

type Db = pg.Pool | pg.ClientBase;
const SYSTEM = 'system';

export type ExceptionKind = 'nack' | 'validation' | 'undeliverable';
export type ExceptionStatus = 'open' | 'correcting' | 'closed';

export interface ExceptionRow {
  id: number;
  kind: ExceptionKind;
  status: ExceptionStatus;
  regime: string | null;
  repository: string | null;
  submissionId: string | null;
  sourceId: string | null;
  seq: number | null;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  codes: unknown[];
  record: unknown;
  openedAt: string;
  closedAt: string | null;
  closedBySubmission: string | null;
}

interface RawException {
  id: string; kind: ExceptionKind; status: ExceptionStatus; regime: string | null; repository: string | null; submission_id: string | null;
  source_id: string | null; seq: string | null; trade_key: string | null; counterparty1: string | null; action_type: string | null;
  codes: unknown[]; record: unknown; opened_at: Date; closed_at: Date | null; closed_by_submission: string | null;
}

export const EXCEPTION_COLUMNS = 'id, kind, status, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at, closed_at, closed_by_submission';

export function toException(r: RawException): ExceptionRow {
  return {
    id: Number(r.id), kind: r.kind, status: r.status, regime: r.regime, repository: r.repository, submissionId: r.submission_id,
    sourceId: r.source_id, seq: r.seq === null ? null : Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1,
    actionType: r.action_type, codes: r.codes, record: r.record, openedAt: r.opened_at.toISOString(),
    closedAt: r.closed_at ? r.closed_at.toISOString() : null, closedBySubmission: r.closed_by_submission,
  };
}

export async function getException(db: Db, id: number): Promise<ExceptionRow | undefined> {
  const { rows } = await db.query<RawException>(`SELECT ${EXCEPTION_COLUMNS} FROM exception WHERE id = $1`, [id]);
  return rows[0] ? toException(rows[0]) : undefined;
}

export async function listExceptions(db: Db, filter: { status?: ExceptionStatus | 'active'; tradeKey?: string } = {}): Promise<ExceptionRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.status === 'active') where.push(`status <> 'closed'`);
  else if (filter.status) where.push(`status = $${args.push(filter.status)}`);
  if (filter.tradeKey) where.push(`trade_key = $${args.push(filter.tradeKey)}`);
  const { rows } = await db.query<RawException>(`SELECT ${EXCEPTION_COLUMNS} FROM exception ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`, args);
  return rows.map(toException);
}

/**
 * The record a submission carried, as jsonb for the analyst: the JSON record itself, or {"csv": row} for a CSV
 * row, or {"text": …} for JSON that jsonb cannot hold (a \u0000 escape), so a hostile record never stops the path.
 */
const RECORD_JSONB = `CASE WHEN n.record IS NULL THEN NULL
                           WHEN n.format = 'json' AND strpos(n.record, '\\u0000') = 0 THEN n.record::jsonb
                           WHEN n.format = 'json' THEN jsonb_build_object('text', n.record)
                           ELSE jsonb_build_object('csv', n.record) END`;

/** The columns of settled submissions, as arrays for unnest (n.*). */
function settledColumns(list: readonly SettledSubmission[]): unknown[] {
  const col = <T>(f: (s: SettledSubmission) => T): T[] => list.map(f);
  return [col((s) => s.id), col((s) => s.regime), col((s) => s.repository), col((s) => s.sourceId), col((s) => s.seq), col((s) => s.tradeKey),
    col((s) => s.counterparty1), col((s) => s.actionType), col((s) => s.format), col((s) => s.record), col((s) => JSON.stringify(s.codes))];
}
const SETTLED_UNNEST = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
                        AS n(id, regime, repository, source_id, seq, trade_key, counterparty1, action_type, format, record, codes)`;

/**
 * Applies settled outcomes to exceptions and corrections:
 * - NACK of an ordinary submission: opens a 'nack' exception with the codes and the record;
 * - NACK of a correction's submission: the correction is 'nacked', its exception open again with the new codes;
 * - ACK of a correction's submission: the correction is 'acked' and its exception closed.
 * The NACKs of a batch open their exceptions (and audit entries) in one statement each, whatever their number.
 */
export async function applySettled(db: Db, settled: readonly SettledSubmission[], nowMs: number): Promise<{ opened: number; closed: number }> {
  let closed = 0;
  const at = new Date(nowMs).toISOString();
  const nacks = settled.filter((s) => s.correctionId === null && s.outcome === 'NACK');
  let opened = 0;
  if (nacks.length > 0) {
    const { rows } = await db.query<{ n: string }>(
      `WITH opened AS (
         INSERT INTO exception (kind, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at)
         SELECT 'nack', n.regime, n.repository, n.id, n.source_id, n.seq, n.trade_key, n.counterparty1, n.action_type, n.codes::jsonb, ${RECORD_JSONB}, $12::timestamptz
           FROM ${SETTLED_UNNEST}
         ON CONFLICT (submission_id) WHERE submission_id IS NOT NULL DO NOTHING RETURNING id, submission_id, codes),
       audited AS (
         INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at)
         SELECT '${SYSTEM}', 'exception', id::text, 'open', NULL, jsonb_build_object('kind', 'nack', 'submissionId', submission_id, 'codes', codes), $12::timestamptz FROM opened)
       SELECT count(*) AS n FROM opened`,
      [...settledColumns(nacks), at],
    );
    opened = Number(rows[0]!.n);
  }
  for (const s of settled) {
    if (s.correctionId === null) continue;
    const { rows } = await db.query<{ exception_id: string }>(
      `UPDATE correction SET status = $2 WHERE id = $1 AND status IN ('approved', 'sent') RETURNING exception_id`,
      [s.correctionId, s.outcome === 'ACK' ? 'acked' : 'nacked'],
    );
    const exceptionId = rows[0]?.exception_id;
    if (exceptionId === undefined) continue;
    await audit(db, SYSTEM, 'correction', s.correctionId, s.outcome === 'ACK' ? 'acked' : 'nacked', { status: 'sent' }, { status: s.outcome === 'ACK' ? 'acked' : 'nacked', submissionId: s.id, codes: s.codes }, nowMs);
    if (s.outcome === 'ACK') {
      const res = await db.query(
        `UPDATE exception SET status = 'closed', closed_at = $2::timestamptz, closed_by_submission = $3, closed_reason = 'correction acknowledged'
          WHERE id = $1 AND status <> 'closed'`,
        [exceptionId, at, s.id],
      );
      if (res.rowCount) {
        closed++;
        await audit(db, SYSTEM, 'exception', exceptionId, 'close', { status: 'correcting' }, { status: 'closed', closedBySubmission: s.id }, nowMs);
      }
    } else {
      await db.query(`UPDATE exception SET status = 'open', codes = $2::jsonb WHERE id = $1 AND status <> 'closed'`, [exceptionId, JSON.stringify(s.codes)]);
      await audit(db, SYSTEM, 'exception', exceptionId, 'reopen', { status: 'correcting' }, { status: 'open', codes: s.codes, submissionId: s.id }, nowMs);
    }
  }
  return { opened, closed };
}

/** Submissions that could not be delivered (retries exhausted or refused): one 'undeliverable' exception each, in one statement. */
export async function openUndeliverable(db: Db, failed: readonly SettledSubmission[], error: string, nowMs: number): Promise<void> {
  if (failed.length === 0) return;
  const codes = JSON.stringify([{ code: 'TRANSPORT', message: error }]);
  await db.query(
    `WITH opened AS (
       INSERT INTO exception (kind, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at)
       SELECT 'undeliverable', n.regime, n.repository, n.id, n.source_id, n.seq, n.trade_key, n.counterparty1, n.action_type, $13::jsonb, ${RECORD_JSONB}, $12::timestamptz
         FROM ${SETTLED_UNNEST}
       ON CONFLICT (submission_id) WHERE submission_id IS NOT NULL DO NOTHING RETURNING id, submission_id)
     INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at)
     SELECT '${SYSTEM}', 'exception', id::text, 'open', NULL, jsonb_build_object('kind', 'undeliverable', 'submissionId', submission_id, 'error', $14::text), $12::timestamptz FROM opened`,
    [...settledColumns(failed), new Date(nowMs).toISOString(), codes, error],
  );
}

export interface ValidationRejection {
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  findings: unknown[];
  recordJson: string;
}

/** Events the engine rejected: one 'validation' exception each (idempotent per event), opened and audited in one statement. */
export async function openValidationExceptions(db: Db, rejected: readonly ValidationRejection[], nowMs: number): Promise<number> {
  if (rejected.length === 0) return 0;
  const col = <T>(f: (r: ValidationRejection) => T): T[] => rejected.map(f);
  const { rows } = await db.query<{ n: string }>(
    `WITH opened AS (
       INSERT INTO exception (kind, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at)
       SELECT 'validation', t.source_id, t.seq, t.trade_key, t.counterparty1, t.action_type, t.codes::jsonb, t.record::jsonb, $8::timestamptz
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS t(source_id, seq, trade_key, counterparty1, action_type, codes, record)
       ON CONFLICT (source_id, seq) WHERE kind = 'validation' DO NOTHING RETURNING id, source_id, seq, jsonb_array_length(codes) AS findings),
     audited AS (
       INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at)
       SELECT '${SYSTEM}', 'exception', id::text, 'open', NULL, jsonb_build_object('kind', 'validation', 'sourceId', source_id, 'seq', seq, 'findings', findings), $8::timestamptz FROM opened)
     SELECT count(*) AS n FROM opened`,
    [col((r) => r.sourceId), col((r) => r.seq), col((r) => r.tradeKey), col((r) => r.counterparty1), col((r) => r.actionType),
      col((r) => JSON.stringify(r.findings)), col((r) => r.recordJson), new Date(nowMs).toISOString()],
  );
  return Number(rows[0]!.n);
}
