/**
 * SQL of the submission path (tables in engine/store/migrations/003_submission.sql). Every status change is a
 * guarded UPDATE so that concurrent loops, resends and duplicate responses cannot settle a submission twice.
 * Times come from the caller's clock (epoch ms) rather than now(): tests drive deadlines with a controlled clock.
 */
import type pg from 'pg';
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import type { Outcome, ResponseCode, SubmissionStatus } from './types.js';

type Db = pg.Pool | pg.ClientBase;

export const ts = (ms: number): string => new Date(ms).toISOString();

export interface NewSubmission {
  id: string;
  regime: ReportRegime;
  repository: string;
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  submitter: string | null;
  actionType: string | null;
  format: ReportFormat;
  payload: string;
  dueAtMs: number;
  disseminateAtMs: number | null;
  correctionId: number | null;
}

/** Inserts submissions; an id already present (the same event seen again) is left as it is. */
export async function insertSubmissions(db: Db, rows: readonly NewSubmission[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(f: (r: NewSubmission) => T): T[] => rows.map(f);
  const res = await db.query(
    `INSERT INTO submission (id, regime, repository, source_id, seq, trade_key, counterparty1, submitter, action_type, format, payload,
                             due_at, disseminate_at, correction_id, next_attempt_at, created_at)
     SELECT *, $15::timestamptz, $15::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                                $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::bigint[])
     ON CONFLICT (id) DO NOTHING`,
    [
      col((r) => r.id), col((r) => r.regime), col((r) => r.repository), col((r) => r.sourceId), col((r) => r.seq),
      col((r) => r.tradeKey), col((r) => r.counterparty1), col((r) => r.submitter), col((r) => r.actionType), col((r) => r.format),
      col((r) => r.payload), col((r) => ts(r.dueAtMs)), col((r) => (r.disseminateAtMs === null ? null : ts(r.disseminateAtMs))),
      col((r) => r.correctionId), ts(nowMs),
    ],
  );
  return res.rowCount ?? 0;
}

export interface ClaimedSubmission {
  id: string;
  format: ReportFormat;
  payload: string;
  submitter: string | null;
  attempts: number;
}

/**
 * Claims up to `limit` pending submissions of one repository and regime whose time has come, oldest first,
 * leasing them for `leaseMs` (a crashed sender's claim lapses and another loop picks them up).
 */
export async function claimPending(db: Db, repository: string, regime: ReportRegime, limit: number, batchId: string, nowMs: number, leaseMs: number): Promise<ClaimedSubmission[]> {
  const { rows } = await db.query<ClaimedSubmission>(
    `UPDATE submission s SET attempts = s.attempts + 1, batch_id = $4, next_attempt_at = $6::timestamptz
      WHERE s.id IN (SELECT id FROM submission
                      WHERE repository = $1 AND regime = $2 AND status = 'pending' AND next_attempt_at <= $5::timestamptz
                      ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING s.id, s.format, s.payload, s.submitter, s.attempts`,
    [repository, regime, limit, batchId, ts(nowMs), ts(nowMs + leaseMs)],
  );
  return rows;
}

/**
 * After a successful upload/request: the batch's still-pending submissions are now sent. By primary key (the
 * ids the sender claimed), with batch_id as the guard against a claim that lapsed and was taken by another loop.
 */
export async function markSent(db: Db, batchId: string, ids: readonly string[], nowMs: number): Promise<void> {
  await db.query(`UPDATE submission SET status = 'sent', sent_at = $3::timestamptz, last_error = NULL WHERE id = ANY($1::text[]) AND batch_id = $2 AND status = 'pending'`, [ids, batchId, ts(nowMs)]);
}

/**
 * After a transport failure: each submission of the batch waits `delayMs` before its next attempt, or is failed
 * once it has had `maxAttempts`. Returns the ids that failed for good.
 */
export async function markRetry(db: Db, batchId: string, ids: readonly string[], error: string, nowMs: number, delayMs: number, maxAttempts: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string; status: SubmissionStatus }>(
    `UPDATE submission SET last_error = $2,
            status = CASE WHEN attempts >= $5 THEN 'failed' ELSE 'pending' END,
            settled_at = CASE WHEN attempts >= $5 THEN $3::timestamptz ELSE settled_at END,
            next_attempt_at = $4::timestamptz
      WHERE id = ANY($6::text[]) AND batch_id = $1 AND status = 'pending'
      RETURNING id, status`,
    [batchId, error, ts(nowMs), ts(nowMs + delayMs), maxAttempts, ids],
  );
  return rows.filter((r) => r.status === 'failed').map((r) => r.id);
}

/** A refusal a resend would repeat (e.g. HTTP 400): the batch's submissions fail at once. */
export async function markFailed(db: Db, batchId: string, ids: readonly string[], error: string, nowMs: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE submission SET status = 'failed', last_error = $2, settled_at = $3::timestamptz WHERE id = ANY($4::text[]) AND batch_id = $1 AND status = 'pending' RETURNING id`,
    [batchId, error, ts(nowMs), ids],
  );
  return rows.map((r) => r.id);
}

export async function recordAttempt(db: Db, batchId: string, repository: string, channel: string, records: number, ok: boolean, error: string | null, nowMs: number): Promise<void> {
  await db.query(
    'INSERT INTO submission_attempt (batch_id, repository, channel, records, ok, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)',
    [batchId, repository, channel, records, ok, error, ts(nowMs)],
  );
}

/** A submission an outcome settled, with what the exception and correction logic needs. */
export interface SettledSubmission {
  id: string;
  outcome: 'ACK' | 'NACK';
  codes: ResponseCode[];
  regime: ReportRegime;
  repository: string;
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  payload: string;
  format: ReportFormat;
  correctionId: number | null;
}

/**
 * Records every outcome and settles the submissions still open (pending or sent). An outcome for a submission
 * already settled (a duplicate response, or a late one after a resend) is kept with duplicate = true and
 * changes nothing: exactly one ACK or NACK settles each submission.
 */
export async function applyOutcomes(db: Db, outcomes: readonly Outcome[], nowMs: number): Promise<{ settled: SettledSubmission[]; duplicates: number }> {
  if (outcomes.length === 0) return { settled: [], duplicates: 0 };
  // Within one call a submission may appear twice (a response listing it twice): the first one wins.
  const first = new Map<string, Outcome>();
  for (const o of outcomes) if (!first.has(o.submissionId)) first.set(o.submissionId, o);
  const list = [...first.values()];
  const { rows } = await db.query<{
    id: string; status: 'acked' | 'nacked'; regime: ReportRegime; repository: string; source_id: string; seq: string; trade_key: string | null;
    counterparty1: string | null; action_type: string | null; payload: string; format: ReportFormat; correction_id: string | null;
  }>(
    `UPDATE submission s SET status = CASE WHEN o.outcome = 'ACK' THEN 'acked' ELSE 'nacked' END, settled_at = $3::timestamptz
       FROM unnest($1::text[], $2::text[]) AS o(id, outcome)
      WHERE s.id = o.id AND s.status IN ('pending', 'sent')
      RETURNING s.id, s.status, s.regime, s.repository, s.source_id, s.seq, s.trade_key, s.counterparty1, s.action_type, s.payload, s.format, s.correction_id`,
    [list.map((o) => o.submissionId), list.map((o) => o.outcome), ts(nowMs)],
  );
  const applied = new Set(rows.map((r) => r.id));
  let duplicates = 0;
  const dup = outcomes.map((o) => {
    const isFirst = first.get(o.submissionId) === o && applied.has(o.submissionId);
    if (!isFirst) duplicates++;
    return !isFirst;
  });
  await db.query(
    `INSERT INTO submission_response (submission_id, batch_id, outcome, codes, duplicate, received_at)
     SELECT id, batch, outcome, codes::jsonb, dup, $6::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[]) AS t(id, batch, outcome, codes, dup)`,
    [outcomes.map((o) => o.submissionId), outcomes.map((o) => o.batchId ?? null), outcomes.map((o) => o.outcome), outcomes.map((o) => JSON.stringify(o.codes)), dup, ts(nowMs)],
  );
  const settled = rows.map((r): SettledSubmission => ({
    id: r.id, outcome: r.status === 'acked' ? 'ACK' : 'NACK', codes: first.get(r.id)!.codes, regime: r.regime, repository: r.repository,
    sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type,
    payload: r.payload, format: r.format, correctionId: r.correction_id === null ? null : Number(r.correction_id),
  }));
  return { settled, duplicates };
}

/** Sent submissions with no answer after `timeoutMs` go back to pending: resent with the same ids (idempotent). */
export async function requeueUnanswered(db: Db, repository: string, nowMs: number, timeoutMs: number): Promise<number> {
  const res = await db.query(
    `UPDATE submission SET status = 'pending', next_attempt_at = $2::timestamptz, last_error = 'no response within ' || $4::text || ' ms'
      WHERE repository = $1 AND status = 'sent' AND sent_at <= $3::timestamptz`,
    [repository, ts(nowMs), ts(nowMs - timeoutMs), String(timeoutMs)],
  );
  return res.rowCount ?? 0;
}

export async function countByStatus(db: Db): Promise<Record<SubmissionStatus, number>> {
  const { rows } = await db.query<{ status: SubmissionStatus; n: string }>('SELECT status, count(*) AS n FROM submission GROUP BY status');
  const out: Record<SubmissionStatus, number> = { pending: 0, sent: 0, acked: 0, nacked: 0, failed: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
