/**
 * SQL of the submission path (tables in engine/store/migrations/003_submission.sql). Every status change is a
 * guarded UPDATE so that concurrent loops, resends and duplicate responses cannot settle a submission twice.
 * Times come from the caller's clock (epoch ms) rather than now(): tests drive deadlines with a controlled clock.
 *
 * Speed (bench/submission.bench.ts): rows are narrow (the payload lives in submission_payload, written once),
 * new rows go in by binary COPY, and every status change is one set-based UPDATE per batch (unnest arrays),
 * never a statement per submission.
 */
import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { BinaryCopyEncoder } from '../store/copy-binary.js';
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import type { Outcome, ResponseCode, SubmissionStatus } from './types.js';

type Db = pg.Pool | pg.ClientBase;

export const ts = (ms: number): string => new Date(ms).toISOString();

export interface NewSubmission {
  id: string;
  regime: ReportRegime;
  /** '' while no repository is configured for the regime (the submission waits, pending). */
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
  /** Set when the row is inserted already claimed by an in-memory batch (attempts 1, leased until leaseUntilMs). */
  batchId?: string;
  leaseUntilMs?: number;
}

const SUBMISSION_COPY_COLUMNS = 'id, regime, repository, source_id, seq, trade_key, counterparty1, submitter, action_type, format, status, attempts, next_attempt_at, batch_id, created_at, due_at, disseminate_at, correction_id';

/**
 * Inserts new submissions with binary COPY (the submission row and its payload row). COPY has no ON CONFLICT:
 * the caller guarantees the ids are new (the intake holds its source cursors locked, and ids are derived from
 * the events after the cursor); on a unique violation it falls back to insertSubmissions. Returns the count.
 */
export async function copySubmissions(db: pg.ClientBase, rows: readonly NewSubmission[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  const subs = new BinaryCopyEncoder(rows.length * 256 + 1024);
  const payloads = new BinaryCopyEncoder(rows.length * 2048 + 1024);
  for (const r of rows) {
    subs.row(18).text(r.id).text(r.regime).text(r.repository).text(r.sourceId).int8(r.seq).text(r.tradeKey ?? undefined)
      .text(r.counterparty1 ?? undefined).text(r.submitter ?? undefined).text(r.actionType ?? undefined).text(r.format).text('pending')
      .int4(r.batchId === undefined ? 0 : 1).timestamptzMs(r.leaseUntilMs ?? nowMs).text(r.batchId).timestamptzMs(nowMs).timestamptzMs(r.dueAtMs);
    if (r.disseminateAtMs === null) subs.null();
    else subs.timestamptzMs(r.disseminateAtMs);
    if (r.correctionId === null) subs.null();
    else subs.int8(r.correctionId);
    payloads.row(2).text(r.id).text(r.payload);
  }
  await copyInto(db, `COPY submission (${SUBMISSION_COPY_COLUMNS}) FROM STDIN WITH (FORMAT binary)`, subs.finish());
  await copyInto(db, 'COPY submission_payload (id, payload) FROM STDIN WITH (FORMAT binary)', payloads.finish());
  return rows.length;
}

async function copyInto(db: pg.ClientBase, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), db.query(copyStreams.from(sql)));
}

/** Inserts submissions; an id already present (the same event seen again) is left as it is. Returns the count inserted. */
export async function insertSubmissions(db: Db, rows: readonly NewSubmission[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(f: (r: NewSubmission) => T): T[] => rows.map(f);
  const res = await db.query(
    `WITH s AS (
       INSERT INTO submission (id, regime, repository, source_id, seq, trade_key, counterparty1, submitter, action_type, format,
                               due_at, disseminate_at, correction_id, batch_id, attempts, next_attempt_at, created_at)
       SELECT t.id, t.regime, t.repository, t.source_id, t.seq, t.trade_key, t.counterparty1, t.submitter, t.action_type, t.format,
              t.due_at, t.disseminate_at, t.correction_id, t.batch_id, CASE WHEN t.batch_id IS NULL THEN 0 ELSE 1 END,
              COALESCE(t.lease, $16::timestamptz), $16::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                     $11::timestamptz[], $12::timestamptz[], $13::bigint[], $14::text[], $15::timestamptz[])
              AS t(id, regime, repository, source_id, seq, trade_key, counterparty1, submitter, action_type, format, due_at, disseminate_at, correction_id, batch_id, lease)
       ON CONFLICT (id) DO NOTHING RETURNING id)
     INSERT INTO submission_payload (id, payload)
     SELECT p.id, p.payload FROM unnest($1::text[], $17::text[]) AS p(id, payload) JOIN s USING (id)`,
    [
      col((r) => r.id), col((r) => r.regime), col((r) => r.repository), col((r) => r.sourceId), col((r) => r.seq),
      col((r) => r.tradeKey), col((r) => r.counterparty1), col((r) => r.submitter), col((r) => r.actionType), col((r) => r.format),
      col((r) => ts(r.dueAtMs)), col((r) => (r.disseminateAtMs === null ? null : ts(r.disseminateAtMs))), col((r) => r.correctionId),
      col((r) => r.batchId ?? null), col((r) => (r.leaseUntilMs === undefined ? null : ts(r.leaseUntilMs))), ts(nowMs), col((r) => r.payload),
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
    `WITH c AS (
       UPDATE submission s SET attempts = s.attempts + 1, batch_id = $4, next_attempt_at = $6::timestamptz
        WHERE s.id IN (SELECT id FROM submission
                        WHERE repository = $1 AND regime = $2 AND status = 'pending' AND next_attempt_at <= $5::timestamptz
                        ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING s.id, s.format, s.submitter, s.attempts, s.created_at)
     SELECT c.id, c.format, p.payload, c.submitter, c.attempts FROM c JOIN submission_payload p USING (id) ORDER BY c.created_at, c.id`,
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
  format: ReportFormat;
  correctionId: number | null;
}

/**
 * Records every outcome and settles the submissions still open (pending or sent). An outcome for a submission
 * already settled (a duplicate response, or a late one after a resend) is kept with duplicate = true and
 * changes nothing: exactly one ACK or NACK settles each submission. `sent` (the batch the answer came with, when
 * it came in the response itself) also marks that batch's unanswered submissions sent.
 *
 * One UPDATE for the whole batch: the settled rows go straight from pending to acked/nacked (with sent_at), not
 * through 'sent' first, and return only narrow columns; the responses go in by COPY.
 */
export async function applyOutcomes(db: pg.ClientBase, outcomes: readonly Outcome[], nowMs: number, sent?: { batchId: string; ids: readonly string[] }): Promise<{ settled: SettledSubmission[]; duplicates: number }> {
  // Within one call a submission may appear twice (a response listing it twice): the first one wins.
  const first = new Map<string, Outcome>();
  for (const o of outcomes) if (!first.has(o.submissionId)) first.set(o.submissionId, o);
  if (sent !== undefined) {
    const unanswered = sent.ids.filter((id) => !first.has(id));
    if (unanswered.length > 0) await markSent(db, sent.batchId, unanswered, nowMs);
  }
  if (outcomes.length === 0) return { settled: [], duplicates: 0 };
  const ids: string[] = [];
  const acks: boolean[] = [];
  for (const o of first.values()) {
    ids.push(o.submissionId);
    acks.push(o.outcome === 'ACK');
  }
  const { rows } = await db.query<{
    id: string; status: 'acked' | 'nacked'; regime: ReportRegime; repository: string; source_id: string; seq: string; trade_key: string | null;
    counterparty1: string | null; action_type: string | null; format: ReportFormat; correction_id: string | null;
  }>(
    `UPDATE submission s SET status = CASE WHEN o.ack THEN 'acked' ELSE 'nacked' END, settled_at = $3::timestamptz, sent_at = COALESCE(s.sent_at, $3::timestamptz)
       FROM unnest($1::text[], $2::boolean[]) AS o(id, ack)
      WHERE s.id = o.id AND s.status IN ('pending', 'sent')
      RETURNING s.id, s.status, s.regime, s.repository, s.source_id, s.seq, s.trade_key, s.counterparty1, s.action_type, s.format, s.correction_id`,
    [ids, acks, ts(nowMs)],
  );
  const applied = new Set(rows.map((r) => r.id));
  let duplicates = 0;
  const responses = new BinaryCopyEncoder(outcomes.length * 160 + 1024);
  for (const o of outcomes) {
    const isFirst = first.get(o.submissionId) === o && applied.has(o.submissionId);
    if (!isFirst) duplicates++;
    // jsonb and boolean in binary COPY: jsonb is a version byte (1) then the text, boolean one byte; both are
    // written as raw bytes of the given length, which is what bytea() emits.
    responses.row(6).text(o.submissionId).text(o.batchId).text(o.outcome)
      .bytea(o.codes.length === 0 ? EMPTY_JSONB : Buffer.from('\x01' + JSON.stringify(o.codes), 'utf8')).bytea(isFirst ? FALSE : TRUE).timestamptzMs(nowMs);
  }
  await copyInto(db, 'COPY submission_response (submission_id, batch_id, outcome, codes, duplicate, received_at) FROM STDIN WITH (FORMAT binary)', responses.finish());
  const settled = rows.map((r): SettledSubmission => ({
    id: r.id, outcome: r.status === 'acked' ? 'ACK' : 'NACK', codes: first.get(r.id)!.codes, regime: r.regime, repository: r.repository,
    sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type,
    format: r.format, correctionId: r.correction_id === null ? null : Number(r.correction_id),
  }));
  return { settled, duplicates };
}

const EMPTY_JSONB = Buffer.from('\x01[]', 'utf8');
const TRUE = Buffer.from([1]);
const FALSE = Buffer.from([0]);

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
