/**
 * SQL of the submission path (tables in engine/store/migrations/007_submission_batches.sql). A batch's state
 * moves in its one submission_batch row; per record there is the narrow submission row (written once), and a
 * NACK row only for a NACK. Every state change of a batch is guarded by its current status, so a late sender,
 * a resend or a duplicate response can never settle a record twice. Times come from the caller's clock (epoch
 * ms) rather than now(): tests drive deadlines with a controlled clock.
 */
import type pg from 'pg';
import { BinaryCopyEncoder, copyBinary } from '../store/copy-binary.js';
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import { bitmapBytes, bodyLines, getBit, LineBuffer, recordOfLine, setBit } from './batch-body.js';
import type { Outcome, ResponseCode } from './types.js';

type Db = pg.Pool | pg.ClientBase;

export const ts = (ms: number): string => new Date(ms).toISOString();

export type SubmissionStatus = 'pending' | 'sent' | 'acked' | 'nacked' | 'failed';
export type BatchStatus = 'pending' | 'sent' | 'settled' | 'failed';

/** One owed submission: its narrow row. */
export interface NewSubmission {
  id: string;
  batchId: string;
  ordinal: number;
  regime: ReportRegime;
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  dueAtMs: number;
  disseminateAtMs: number | null;
  correctionId: number | null;
}

/** One batch as the intake makes it. */
export interface NewBatch {
  id: string;
  /** '' while no repository is configured for the regime (the batch waits, pending). */
  repository: string;
  regime: ReportRegime;
  format: ReportFormat;
  lane: number;
  submitter: string | undefined;
  records: number;
  /** Its records as sent, in order, one line each (engine/submission/batch-body.ts). */
  lines: LineBuffer;
  hasCorrections: boolean;
  dueAtMs: number;
}

const SUBMISSION_COLUMNS = 'id, batch_id, ordinal, regime, source_id, seq, trade_key, counterparty1, action_type, created_at, due_at, disseminate_at, correction_id';

/**
 * Inserts the batches (one statement) and their narrow submission rows (one binary COPY). COPY has no ON
 * CONFLICT: the caller guarantees the ids are new (the intake holds its cursors locked, and ids derive from the
 * events after the cursor); on a unique violation it rolls back and calls insertSubmissionsSkippingKnown.
 */
export async function insertBatches(db: pg.ClientBase, batches: readonly NewBatch[], rows: readonly NewSubmission[], nowMs: number): Promise<void> {
  if (batches.length > 0) await insertBatchRows(db, batches, nowMs);
  if (rows.length === 0) return;
  const copy = new BinaryCopyEncoder(rows.length * 200 + 1024);
  for (const r of rows) {
    copy.row(13).text(r.id).text(r.batchId).int4(r.ordinal).text(r.regime).text(r.sourceId).int8(r.seq).text(r.tradeKey ?? undefined)
      .text(r.counterparty1 ?? undefined).text(r.actionType ?? undefined).timestamptzMs(nowMs).timestamptzMs(r.dueAtMs);
    if (r.disseminateAtMs === null) copy.null();
    else copy.timestamptzMs(r.disseminateAtMs);
    if (r.correctionId === null) copy.null();
    else copy.int8(r.correctionId);
  }
  await copyBinary(db, 'submission', SUBMISSION_COLUMNS, copy.finish());
}

const BATCH_COLUMNS = 'id, repository, regime, format, lane, submitter, records, body, has_corrections, due_at, created_at, next_attempt_at, answered, nacked';

/**
 * Batch rows by binary COPY, each body sent from the chunks it was built in: a body of 10,000 records is megabytes,
 * and as an array parameter the client escaped it character by character (most of the intake's time, and most of
 * its garbage, in a profile).
 */
async function insertBatchRows(db: pg.ClientBase, batches: readonly NewBatch[], nowMs: number): Promise<void> {
  const copy = new BinaryCopyEncoder(batches.length * 512 + 1024);
  for (const b of batches) {
    const bits = new Uint8Array(bitmapBytes(b.records));
    copy.row(14).text(b.id).text(b.repository).text(b.regime).text(b.format).int4(b.lane).text(b.submitter).int4(b.records).external(b.lines.parts())
      .bool(b.hasCorrections).timestamptzMs(b.dueAtMs).timestamptzMs(nowMs).timestamptzMs(nowMs).bytea(bits).bytea(bits);
  }
  await copyBinary(db, 'submission_batch', BATCH_COLUMNS, copy.finishParts());
}

/**
 * The slow path after a unique violation (rows restored by hand, or a second intake): each record whose id is
 * already stored is dropped from its batch, and the batches are rebuilt from the rest. Returns what was inserted.
 */
export async function insertBatchesSkippingKnown(db: pg.ClientBase, batches: readonly NewBatch[], rows: readonly NewSubmission[], nowMs: number): Promise<{ batches: NewBatch[]; rows: NewSubmission[] }> {
  const { rows: known } = await db.query<{ id: string }>('SELECT id FROM submission WHERE id = ANY($1::text[])', [rows.map((r) => r.id)]);
  const skip = new Set(known.map((k) => k.id));
  const keptRows: NewSubmission[] = [];
  const keptBatches: NewBatch[] = [];
  for (const b of batches) {
    const mine = rows.filter((r) => r.batchId === b.id && !skip.has(r.id));
    if (mine.length === 0) continue;
    const lines = LineBuffer.of(mine.map((r, i) => {
      const line = b.lines.line(r.ordinal);
      r.ordinal = i;
      return line;
    }));
    keptBatches.push({ ...b, records: mine.length, lines, dueAtMs: Math.min(...mine.map((r) => r.dueAtMs)), hasCorrections: mine.some((r) => r.correctionId !== null) });
    keptRows.push(...mine);
  }
  await insertBatches(db, keptBatches, keptRows, nowMs);
  return { batches: keptBatches, rows: keptRows };
}

/** A batch waiting to be sent (or resent), without its body. */
export interface OpenBatch {
  id: string;
  regime: ReportRegime;
  format: ReportFormat;
  lane: number;
  submitter: string | undefined;
  records: number;
  attempts: number;
  nextAttemptAtMs: number;
}

const OPEN_BATCH_COLUMNS = 'id, regime, format, lane, submitter, records, attempts, next_attempt_at';
type OpenBatchRow = { id: string; regime: ReportRegime; format: ReportFormat; lane: number; submitter: string | null; records: number; attempts: number; next_attempt_at: Date };

function toOpenBatch(r: OpenBatchRow): OpenBatch {
  return {
    id: r.id, regime: r.regime, format: r.format, lane: r.lane, submitter: r.submitter ?? undefined, records: r.records, attempts: r.attempts,
    nextAttemptAtMs: r.next_attempt_at.getTime(),
  };
}

/** Pending batches of a repository in the order they were made (their ids sort so), after `afterId`, at most `limit`. */
export async function pendingBatches(db: Db, repository: string, limit: number, afterId?: string): Promise<OpenBatch[]> {
  const { rows } = await db.query<OpenBatchRow>(
    `SELECT ${OPEN_BATCH_COLUMNS} FROM submission_batch WHERE repository = $1 AND status = 'pending' AND id > $3 ORDER BY id LIMIT $2`,
    [repository, limit, afterId ?? '']);
  return rows.map(toOpenBatch);
}

/**
 * A batch's lines. `pendingOnly`: undefined when the batch is no longer pending (a sweep that read it as pending
 * just before its lane sent it must not send it twice).
 */
export async function batchLines(db: Db, batchId: string, pendingOnly = false): Promise<LineBuffer | undefined> {
  const { rows } = await db.query<{ body: string; format: ReportFormat }>(
    `SELECT body, format FROM submission_batch WHERE id = $1 ${pendingOnly ? `AND status = 'pending'` : ''}`, [batchId]);
  return rows[0] ? LineBuffer.of(bodyLines(rows[0].format, rows[0].body)) : undefined;
}

/** A batch's submission ids in their order in the batch. */
export async function batchIds(db: Db, batchId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM submission WHERE batch_id = $1 ORDER BY ordinal', [batchId]);
  return rows.map((r) => r.id);
}

/** The upload or request went through: the batch is sent (it may also be answered in the same call). */
export async function markBatchSent(db: Db, batchId: string, nowMs: number): Promise<void> {
  await db.query(`UPDATE submission_batch SET status = 'sent', sent_at = $2::timestamptz, attempts = attempts + 1, last_error = NULL WHERE id = $1 AND status = 'pending'`,
    [batchId, ts(nowMs)]);
}

/**
 * A transport failure: the batch waits `delayMs` before its next attempt, or fails for good once it has had
 * `maxAttempts`. Also records the attempt. Returns the batch's status after it.
 */
export async function markBatchRetry(db: Db, batchId: string, repository: string, channel: string, error: string, nowMs: number, delayMs: number, maxAttempts: number): Promise<BatchStatus | undefined> {
  const { rows } = await db.query<{ status: BatchStatus; records: number }>(
    `UPDATE submission_batch SET attempts = attempts + 1, last_error = $2,
            status = CASE WHEN attempts + 1 >= $5 THEN 'failed' ELSE status END,
            settled_at = CASE WHEN attempts + 1 >= $5 THEN $3::timestamptz ELSE settled_at END,
            next_attempt_at = $4::timestamptz
      WHERE id = $1 AND status IN ('pending', 'sent') RETURNING status, records`,
    [batchId, error, ts(nowMs), ts(nowMs + delayMs), maxAttempts],
  );
  await recordFailedAttempt(db, batchId, repository, channel, rows[0]?.records ?? 0, error, nowMs);
  return rows[0]?.status;
}

/** A refusal a resend would repeat (e.g. HTTP 400): the batch fails at once. Returns whether it was open. */
export async function markBatchFailed(db: Db, batchId: string, repository: string, channel: string, error: string, nowMs: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE submission_batch SET status = 'failed', attempts = attempts + 1, last_error = $2, settled_at = $3::timestamptz WHERE id = $1 AND status IN ('pending', 'sent') RETURNING records`,
    [batchId, error, ts(nowMs)],
  );
  await recordFailedAttempt(db, batchId, repository, channel, Number((res.rows[0] as { records?: number } | undefined)?.records ?? 0), error, nowMs);
  return (res.rowCount ?? 0) > 0;
}

/** Failed transport attempts only: a successful one is the batch row's sent_at and attempts. */
async function recordFailedAttempt(db: Db, batchId: string, repository: string, channel: string, records: number, error: string, nowMs: number): Promise<void> {
  await db.query(
    'INSERT INTO submission_attempt (batch_id, repository, channel, records, ok, error, at) VALUES ($1, $2, $3, $4, false, $5, $6::timestamptz)',
    [batchId, repository, channel, records, error, ts(nowMs)],
  );
}

/** A record an outcome settled that needs more than the batch row: a NACK, or a correction's submission. */
export interface SettledSubmission {
  id: string;
  outcome: 'ACK' | 'NACK';
  codes: ResponseCode[];
  regime: ReportRegime;
  repository: string;
  batchId: string;
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  format: ReportFormat;
  correctionId: number | null;
  /** The record as sent (JSON text or CSV row), for the analyst. */
  record: string | null;
}

export interface AppliedResponse {
  /** The regime of the batch answered (undefined when the answer named no batch of this repository). */
  regime: ReportRegime | undefined;
  acks: number;
  nacks: number;
  duplicates: number;
  /** Outcomes for records that are not in the batch the answer names: kept, never applied. */
  rejected: Outcome[];
  /** NACKs and correction submissions, for exceptions and corrections (applySettled). */
  settled: SettledSubmission[];
  /** Every record of the batch is answered. */
  complete: boolean;
}

/** What the sender already holds of a batch, so that applying its answer reads nothing back. */
export interface KnownBatch {
  ids: readonly string[];
  lines: LineBuffer;
}

/**
 * Applies one answer of the repository to the batch it names, inside the caller's transaction: the batch row's
 * bitmaps and counts move in one UPDATE, a NACK gets its row, the answer one submission_response row. Only
 * records of that batch, sent to that repository, are settled; any other outcome is kept as rejected. A record
 * answered before (a duplicate answer, or one after a resend) counts as a duplicate and changes nothing.
 * `sent`: the answer came with the request itself (the batch is sent by the same statement).
 */
export async function applyBatchResponse(db: pg.ClientBase, repository: string, batchId: string, outcomes: readonly Outcome[], nowMs: number, sent = false, known?: KnownBatch): Promise<AppliedResponse> {
  const { rows: found } = await db.query<{ repository: string; regime: ReportRegime; format: ReportFormat; records: number; status: BatchStatus; answered: Buffer; nacked: Buffer; has_corrections: boolean }>(
    'SELECT repository, regime, format, records, status, answered, nacked, has_corrections FROM submission_batch WHERE id = $1 FOR UPDATE', [batchId]);
  const batch = found[0];
  if (!batch || batch.repository !== repository) {
    await insertResponse(db, batchId, repository, nowMs, 0, 0, 0, outcomes);
    return { regime: undefined, acks: 0, nacks: 0, duplicates: 0, rejected: [...outcomes], settled: [], complete: false };
  }
  const ids = known?.ids ?? (await batchIds(db, batchId));
  const ordinalOf = new Map<string, number>();
  ids.forEach((id, i) => ordinalOf.set(id, i));
  const answered = Buffer.alloc(bitmapBytes(batch.records));
  batch.answered.copy(answered);
  const nacked = Buffer.alloc(bitmapBytes(batch.records));
  batch.nacked.copy(nacked);
  let acks = 0;
  let duplicates = 0;
  const rejected: Outcome[] = [];
  const nackOf = new Map<string, Outcome>();
  for (const o of outcomes) {
    const i = ordinalOf.get(o.submissionId);
    if (i === undefined) {
      rejected.push(o);
      continue;
    }
    if (getBit(answered, i)) {
      duplicates++;
      continue;
    }
    setBit(answered, i);
    if (o.outcome === 'ACK') acks++;
    else {
      setBit(nacked, i);
      nackOf.set(o.submissionId, o);
    }
  }
  let complete = true;
  for (let i = 0; i < batch.records && complete; i++) complete = getBit(answered, i);
  const changed = acks + nackOf.size > 0;
  if (changed || sent) {
    await db.query(
      `UPDATE submission_batch SET answered = $2, nacked = $3, acks = acks + $4, nacks = nacks + $5, duplicates = duplicates + $6,
              answered_at = CASE WHEN $4 + $5 > 0 THEN $7::timestamptz ELSE answered_at END,
              status = CASE WHEN $8 AND status <> 'failed' THEN 'settled' WHEN $9 AND status = 'pending' THEN 'sent' ELSE status END,
              settled_at = CASE WHEN $8 AND status <> 'failed' THEN $7::timestamptz ELSE settled_at END,
              sent_at = CASE WHEN $9 THEN $7::timestamptz ELSE COALESCE(sent_at, $7::timestamptz) END,
              attempts = attempts + CASE WHEN $9 THEN 1 ELSE 0 END, last_error = CASE WHEN $9 THEN NULL ELSE last_error END
        WHERE id = $1`,
      [batchId, answered, nacked, acks, nackOf.size, duplicates, ts(nowMs), complete, sent],
    );
  } else if (duplicates > 0) {
    await db.query('UPDATE submission_batch SET duplicates = duplicates + $2 WHERE id = $1', [batchId, duplicates]);
  }
  await insertResponse(db, batchId, repository, nowMs, acks, nackOf.size, duplicates, rejected);
  if (nackOf.size > 0) {
    await db.query(
      `INSERT INTO submission_nack (submission_id, batch_id, received_at, codes)
       SELECT t.id, $2, $3::timestamptz, t.codes::jsonb FROM unnest($1::text[], $4::text[]) AS t(id, codes) ON CONFLICT (submission_id) DO NOTHING`,
      [[...nackOf.keys()], batchId, ts(nowMs), [...nackOf.values()].map((o) => JSON.stringify(o.codes))],
    );
  }
  const settled = await settledDetails(db, batchId, batch, nackOf, outcomes, ids, known?.lines);
  return { regime: batch.regime, acks, nacks: nackOf.size, duplicates, rejected, settled, complete };
}

async function insertResponse(db: pg.ClientBase, batchId: string, repository: string, nowMs: number, acks: number, nacks: number, duplicates: number, rejected: readonly Outcome[]): Promise<void> {
  await db.query(
    'INSERT INTO submission_response (batch_id, repository, received_at, acks, nacks, duplicates, rejected) VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7::jsonb)',
    [batchId, repository, ts(nowMs), acks, nacks, duplicates, JSON.stringify(rejected.map((o) => ({ submissionId: o.submissionId, outcome: o.outcome, codes: o.codes })))],
  );
}

/** The NACKed records and the batch's correction submissions (those just answered), with their records. */
async function settledDetails(db: pg.ClientBase, batchId: string, batch: { repository: string; regime: ReportRegime; format: ReportFormat; has_corrections: boolean },
  nackOf: ReadonlyMap<string, Outcome>, outcomes: readonly Outcome[], ids: readonly string[], knownLines: LineBuffer | undefined): Promise<SettledSubmission[]> {
  if (nackOf.size === 0 && !batch.has_corrections) return [];
  const { rows } = await db.query<{ id: string; ordinal: number; source_id: string; seq: string; trade_key: string | null; counterparty1: string | null; action_type: string | null; correction_id: string | null }>(
    `SELECT id, ordinal, source_id, seq, trade_key, counterparty1, action_type, correction_id FROM submission
      WHERE id = ANY($1::text[]) OR ($2 AND batch_id = $3 AND correction_id IS NOT NULL)`,
    [[...nackOf.keys()], batch.has_corrections, batchId],
  );
  const answeredNow = new Map<string, Outcome>();
  for (const o of outcomes) if (!answeredNow.has(o.submissionId)) answeredNow.set(o.submissionId, o);
  const wanted = rows.filter((r) => nackOf.has(r.id) || (r.correction_id !== null && answeredNow.has(r.id)));
  if (wanted.length === 0) return [];
  const lines = knownLines ?? (await batchLines(db, batchId));
  return wanted.map((r): SettledSubmission => {
    const o = nackOf.get(r.id) ?? answeredNow.get(r.id)!;
    const record = ids[r.ordinal] === r.id ? recordAt(lines, batch.format, r.id, r.ordinal) : null;
    return {
      id: r.id, outcome: nackOf.has(r.id) ? 'NACK' : o.outcome, codes: o.codes, regime: batch.regime, repository: batch.repository, batchId,
      sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type, format: batch.format,
      correctionId: r.correction_id === null ? null : Number(r.correction_id), record,
    };
  });
}

/** Submission `id`'s record as sent, from its line of the batch; null when the line is missing or holds another record. */
function recordAt(lines: LineBuffer | undefined, format: ReportFormat, id: string, ordinal: number): string | null {
  if (!lines || ordinal >= lines.count) return null;
  try {
    return recordOfLine(format, id, lines.line(ordinal));
  } catch {
    return null;
  }
}

/** The records of a failed batch that no answer settled, for their 'undeliverable' exceptions. */
export async function unansweredOf(db: Db, batchId: string): Promise<SettledSubmission[]> {
  const { rows } = await db.query<{ id: string; ordinal: number; regime: ReportRegime; repository: string; format: ReportFormat; source_id: string; seq: string;
    trade_key: string | null; counterparty1: string | null; action_type: string | null; correction_id: string | null; body: string }>(
    `SELECT s.id, s.ordinal, s.regime, b.repository, b.format, s.source_id, s.seq, s.trade_key, s.counterparty1, s.action_type, s.correction_id, b.body
       FROM submission_batch b JOIN submission s ON s.batch_id = b.id WHERE b.id = $1 AND get_bit(b.answered, s.ordinal) = 0 ORDER BY s.ordinal`, [batchId]);
  if (rows.length === 0) return [];
  const lines = LineBuffer.of(bodyLines(rows[0]!.format, rows[0]!.body));
  return rows.map((r): SettledSubmission => {
    const record = recordAt(lines, r.format, r.id, r.ordinal);
    return {
      id: r.id, outcome: 'NACK', codes: [], regime: r.regime, repository: r.repository, batchId, sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key,
      counterparty1: r.counterparty1, actionType: r.action_type, format: r.format, correctionId: r.correction_id === null ? null : Number(r.correction_id), record,
    };
  });
}

/**
 * Sent batches with records still unanswered after `timeoutMs`: their clock restarts now, the resend counts as an
 * attempt, and they are returned to be sent again with the same batch id (the repository answers a record it has seen with its first answer).
 */
export async function unansweredBatches(db: Db, repository: string, nowMs: number, timeoutMs: number): Promise<OpenBatch[]> {
  const { rows } = await db.query<OpenBatchRow>(
    `UPDATE submission_batch SET sent_at = $2::timestamptz, attempts = attempts + 1, last_error = 'no answer within ' || $4::text || ' ms'
      WHERE repository = $1 AND status = 'sent' AND sent_at <= $3::timestamptz
      RETURNING ${OPEN_BATCH_COLUMNS}`,
    [repository, ts(nowMs), ts(nowMs - timeoutMs), String(timeoutMs)],
  );
  return rows.map(toOpenBatch);
}

/** Records per derived status (for health, the CLI and tests). */
export async function countByStatus(db: Db): Promise<Record<SubmissionStatus, number>> {
  const { rows } = await db.query<{ status: SubmissionStatus; n: string }>('SELECT status, count(*) AS n FROM submission_state GROUP BY status');
  const out: Record<SubmissionStatus, number> = { pending: 0, sent: 0, acked: 0, nacked: 0, failed: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
