/** The console's keyset-paginated lists (newest first) and the small writes on them, each audited. */
import type pg from 'pg';
import { audit } from '../../../engine/exceptions/audit.js';
import type {
  AlertItem, AuditItem, BulkExceptionResponse, CorrectionItem, EventQuery, EventRow, ExceptionItem, ExceptionQuery, Page, ReportFileItem, ReviewItem,
  SubmissionItem, SubmissionQuery, CorrectionQuery, AuditQuery, AlertQuery,
} from '../../api/contract.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { conflict, notFound } from '../http.js';
import { withTransaction } from '../../../engine/store/transaction.js';
import {
  ALERT_COLUMNS, CORRECTION_COLUMNS, EXCEPTION_COLUMNS, REVIEW_COLUMNS, SUBMISSION_COLUMNS, toAlertItem, toAuditItem, toCorrectionItem, toExceptionItem,
  toReviewItem, toSubmissionItem, type RawAlert, type RawAudit, type RawCorrection, type RawException, type RawReview, type RawSubmission,
} from './rows.js';

type Db = pg.Pool | pg.ClientBase;
const where = (w: string[]) => (w.length ? 'WHERE ' + w.join(' AND ') : '');

export async function listExceptions(db: Db, q: ExceptionQuery & { limit: number }): Promise<Page<ExceptionItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  if (q.status === 'active') w.push(`status <> 'closed'`);
  else if (q.status) w.push(`status = ${add(q.status)}`);
  if (q.kind) w.push(`kind = ${add(q.kind)}`);
  if (q.assignee === 'none') w.push('assignee IS NULL');
  else if (q.assignee) w.push(`assignee = ${add(q.assignee)}`);
  if (q.regime) w.push(`regime = ${add(q.regime)}`);
  if (q.tradeKey) w.push(`trade_key = ${add(q.tradeKey)}`);
  const after = decodeCursor('exceptions', q.cursor, ['number']);
  if (after) w.push(`id < ${add(after[0])}`);
  const { rows } = await db.query<RawException>(`SELECT ${EXCEPTION_COLUMNS} FROM exception ${where(w)} ORDER BY id DESC LIMIT ${add(q.limit + 1)}`, args);
  return pageOf('exceptions', rows, q.limit, (r) => [Number(r.id)], toExceptionItem);
}

export async function getExceptionItem(db: Db, id: number): Promise<ExceptionItem> {
  const { rows } = await db.query<RawException>(`SELECT ${EXCEPTION_COLUMNS} FROM exception WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound(`no exception ${id}`);
  return toExceptionItem(rows[0]);
}

export async function assignExceptions(pool: pg.Pool, actor: string, ids: number[], assignee: string | null, nowMs: number): Promise<BulkExceptionResponse> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{ id: string; assignee: string | null; status: string }>('SELECT id, assignee, status FROM exception WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [ids]);
    const out: BulkExceptionResponse = { updated: [], skipped: [] };
    for (const id of ids) {
      const r = rows.find((x) => Number(x.id) === id);
      if (!r) { out.skipped.push({ id, reason: 'no such exception' }); continue; }
      if (r.status === 'closed') { out.skipped.push({ id, reason: 'exception is closed' }); continue; }
      await db.query('UPDATE exception SET assignee = $2 WHERE id = $1', [id, assignee]);
      await audit(db, actor, 'exception', id, 'assign', { assignee: r.assignee }, { assignee }, nowMs);
      out.updated.push(id);
    }
    return out;
  });
}

export async function closeExceptions(pool: pg.Pool, actor: string, ids: number[], reason: string, nowMs: number): Promise<BulkExceptionResponse> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{ id: string; status: string }>('SELECT id, status FROM exception WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [ids]);
    const out: BulkExceptionResponse = { updated: [], skipped: [] };
    for (const id of ids) {
      const r = rows.find((x) => Number(x.id) === id);
      if (!r) { out.skipped.push({ id, reason: 'no such exception' }); continue; }
      if (r.status !== 'open') { out.skipped.push({ id, reason: `exception is ${r.status}${r.status === 'correcting' ? ' (a correction is pending)' : ''}` }); continue; }
      await db.query(`UPDATE exception SET status = 'closed', closed_at = $2::timestamptz, closed_reason = $3 WHERE id = $1`, [id, new Date(nowMs).toISOString(), reason]);
      await audit(db, actor, 'exception', id, 'close', { status: r.status }, { status: 'closed', reason }, nowMs);
      out.updated.push(id);
    }
    return out;
  });
}

export async function listReview(db: Db, q: { state: ReviewItem['state']; limit: number; cursor?: string | undefined }): Promise<Page<ReviewItem>> {
  const args: unknown[] = [q.state];
  let cond = '';
  const after = decodeCursor('review', q.cursor, ['string', 'string', 'number']);
  if (after) cond = `AND (created_at, source_id, seq) < ($2::timestamptz, $3, $4)`, args.push(...after);
  const { rows } = await db.query<RawReview & { created_text: string }>(
    `SELECT ${REVIEW_COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_text FROM review_item
      WHERE state = $1 ${cond} ORDER BY created_at DESC, source_id DESC, seq DESC LIMIT $${args.push(q.limit + 1)}`, args);
  return pageOf('review', rows, q.limit, (r) => [r.created_text, r.source_id, Number(r.seq)], toReviewItem);
}

/** An analyst's verdict: a training label, the item closed, audited; a decided item is not decided again. */
export async function decideReview(pool: pg.Pool, actor: string, d: { sourceId: string; seq: number; verdict: 'confirmed' | 'dismissed'; reason: string }, nowMs: number): Promise<ReviewItem> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<RawReview>(`SELECT ${REVIEW_COLUMNS} FROM review_item WHERE source_id = $1 AND seq = $2 FOR UPDATE`, [d.sourceId, d.seq]);
    const item = rows[0];
    if (!item) throw notFound(`no review item for event ${d.sourceId}#${d.seq}`);
    if (item.state !== 'open') throw conflict(`review item ${d.sourceId}#${d.seq} is already ${item.state}`);
    const at = new Date(nowMs).toISOString();
    await db.query('INSERT INTO review_label (source_id, seq, verdict, analyst, note, labelled_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)', [d.sourceId, d.seq, d.verdict, actor, d.reason, at]);
    const { rows: after } = await db.query<RawReview>(`UPDATE review_item SET state = $3, decided_at = $4::timestamptz WHERE source_id = $1 AND seq = $2 RETURNING ${REVIEW_COLUMNS}`, [d.sourceId, d.seq, d.verdict, at]);
    await audit(db, actor, 'review_item', `${d.sourceId}#${d.seq}`, d.verdict, { state: 'open' }, { state: d.verdict, reason: d.reason }, nowMs);
    return toReviewItem(after[0]!);
  });
}

export async function listCorrections(db: Db, q: CorrectionQuery & { limit: number }): Promise<Page<CorrectionItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  if (q.status) w.push(`status = ${add(q.status)}`);
  if (q.exceptionId !== undefined) w.push(`exception_id = ${add(q.exceptionId)}`);
  if (q.maker) w.push(`maker = ${add(q.maker)}`);
  const after = decodeCursor('corrections', q.cursor, ['number']);
  if (after) w.push(`id < ${add(after[0])}`);
  const { rows } = await db.query<RawCorrection>(`SELECT ${CORRECTION_COLUMNS} FROM correction ${where(w)} ORDER BY id DESC LIMIT ${add(q.limit + 1)}`, args);
  return pageOf('corrections', rows, q.limit, (r) => [Number(r.id)], toCorrectionItem);
}

export async function correctionsOf(db: Db, exceptionId: number): Promise<CorrectionItem[]> {
  const { rows } = await db.query<RawCorrection>(`SELECT ${CORRECTION_COLUMNS} FROM correction WHERE exception_id = $1 ORDER BY id`, [exceptionId]);
  return rows.map(toCorrectionItem);
}

export async function listReports(db: Db, q: { kind?: string | undefined; limit: number; cursor?: string | undefined }): Promise<Page<ReportFileItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  if (q.kind) w.push(`kind = $${args.push(q.kind)}`);
  const after = decodeCursor('reports', q.cursor, ['number']);
  if (after) w.push(`id < $${args.push(after[0])}`);
  const { rows } = await db.query<{ id: string; kind: string; report_date: string; format: string; rows: number; bytes: string; sha256: string; created_at: Date; created_by: string }>(
    `SELECT id, kind, to_char(report_date, 'YYYY-MM-DD') AS report_date, format, rows, bytes, sha256, created_at, created_by FROM report_file ${where(w)}
      ORDER BY id DESC LIMIT $${args.push(q.limit + 1)}`, args);
  return pageOf('reports', rows, q.limit, (r) => [Number(r.id)], (r) => ({
    id: Number(r.id), kind: r.kind, reportDate: r.report_date, format: r.format, rows: r.rows, bytes: Number(r.bytes), sha256: r.sha256,
    createdAt: r.created_at.toISOString(), createdBy: r.created_by, downloadUrl: `/api/reports/${r.id}/download`,
  }));
}

export async function reportFile(db: Db, id: number): Promise<{ path: string; format: string; kind: string; reportDate: string }> {
  const { rows } = await db.query<{ path: string; format: string; kind: string; report_date: string }>(
    `SELECT path, format, kind, to_char(report_date, 'YYYY-MM-DD') AS report_date FROM report_file WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound(`no report file ${id}`);
  return { path: rows[0].path, format: rows[0].format, kind: rows[0].kind, reportDate: rows[0].report_date };
}

export async function listSubmissions(db: Db, q: SubmissionQuery & { limit: number }): Promise<Page<SubmissionItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  if (q.status) {
    w.push(`status = ${add(q.status)}`);
    // A record's status is derived from its batch: the rare ones are reached from the few batches or NACKs in
    // that state rather than by walking every record.
    if (q.status === 'nacked') w.push('id IN (SELECT submission_id FROM submission_nack)');
    else if (q.status !== 'acked') w.push(`batch_id IN (SELECT id FROM submission_batch WHERE status = ${add(q.status)})`);
  }
  if (q.regime) w.push(`regime = ${add(q.regime)}`);
  if (q.repository) w.push(`repository = ${add(q.repository)}`);
  if (q.tradeKey) w.push(`trade_key = ${add(q.tradeKey)}`);
  const after = decodeCursor('submissions', q.cursor, ['string', 'string']);
  if (after) w.push(`(created_at, id) < (${add(after[0])}::timestamptz, ${add(after[1])})`);
  const { rows } = await db.query<RawSubmission & { created_text: string }>(
    `SELECT ${SUBMISSION_COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_text FROM submission_state ${where(w)}
      ORDER BY created_at DESC, id DESC LIMIT ${add(q.limit + 1)}`, args);
  return pageOf('submissions', rows, q.limit, (r) => [r.created_text, r.id], toSubmissionItem);
}

export async function listAlerts(db: Db, q: AlertQuery & { limit: number }): Promise<Page<AlertItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const status = q.status ?? 'active';
  if (status === 'active') w.push(`status <> 'resolved'`);
  else w.push(`status = $${args.push(status)}`);
  const after = decodeCursor('alerts', q.cursor, ['number']);
  if (after) w.push(`id < $${args.push(after[0])}`);
  const { rows } = await db.query<RawAlert>(`SELECT ${ALERT_COLUMNS} FROM alert ${where(w)} ORDER BY id DESC LIMIT $${args.push(q.limit + 1)}`, args);
  return pageOf('alerts', rows, q.limit, (r) => [Number(r.id)], toAlertItem);
}

export async function listAudit(db: Db, q: AuditQuery & { limit: number }): Promise<Page<AuditItem>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  if (q.entity) w.push(`entity = ${add(q.entity)}`);
  if (q.entityId) w.push(`entity_id = ${add(q.entityId)}`);
  if (q.actor) w.push(`actor = ${add(q.actor)}`);
  const after = decodeCursor('audit', q.cursor, ['number']);
  if (after) w.push(`id < ${add(after[0])}`);
  const { rows } = await db.query<RawAudit>(`SELECT id, at, actor, entity, entity_id, action, before, after FROM audit_log ${where(w)} ORDER BY id DESC LIMIT ${add(q.limit + 1)}`, args);
  return pageOf('audit', rows, q.limit, (r) => [Number(r.id)], toAuditItem);
}

interface RawEventRow {
  source_id: string; seq: string; received_at: Date; trade_key: string | null; counterparty1: string | null; action_type: string | null;
  event_timestamp: string | null; status: EventRow['status']; version: number | null; lifecycle: EventRow['lifecycle'];
}
const EVENT_COLUMNS = 'e.source_id, e.seq, e.received_at, e.trade_key, e.counterparty1, e.action_type, e.event_timestamp, e.status, e.version, e.lifecycle';
const toEventRow = (r: RawEventRow): EventRow => ({
  sourceId: r.source_id, seq: Number(r.seq), receivedAt: r.received_at.toISOString(), tradeKey: r.trade_key, counterparty1: r.counterparty1,
  actionType: r.action_type, eventTimestamp: r.event_timestamp, status: r.status, version: r.version, lifecycle: r.lifecycle,
});

/**
 * Events, newest first per source ((source_id, seq) descending: the event log's primary key, so no index is added
 * to the ingest path). A UTI is looked up through the projection: its events are few.
 */
export async function listEvents(db: Db, q: EventQuery & { limit: number; sinceDate?: Date | undefined; untilDate?: Date | undefined }): Promise<Page<EventRow>> {
  const args: unknown[] = [];
  const w: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  const after = decodeCursor('events', q.cursor, ['string', 'number']);
  if (q.source) w.push(`e.source_id = ${add(q.source)}`);
  const rejectedOnly = !q.uti && q.status === 'rejected';
  if (q.status && !rejectedOnly) w.push(`e.status = ${add(q.status)}`);
  if (q.sinceDate) w.push(`e.received_at >= ${add(q.sinceDate.toISOString())}::timestamptz`);
  if (q.untilDate) w.push(`e.received_at < ${add(q.untilDate.toISOString())}::timestamptz`);
  if (after) w.push(`(e.source_id, e.seq) < (${add(after[0])}, ${add(after[1])})`);
  let sql: string;
  if (q.uti) {
    const k = add(q.uti);
    sql = `SELECT ${EVENT_COLUMNS} FROM trade_current t JOIN event_log e ON e.counterparty1 = t.counterparty1 AND e.trade_key = t.trade_key AND e.version IS NOT NULL
            WHERE t.trade_key = ${k} ${w.length ? 'AND ' + w.join(' AND ') : ''}
           UNION ALL
           SELECT ${EVENT_COLUMNS} FROM trade_event_ref r JOIN event_log e ON e.source_id = r.source_id AND e.seq = r.seq
            WHERE r.trade_key = ${k} ${w.length ? 'AND ' + w.join(' AND ') : ''}`;
    sql = `SELECT * FROM (${sql}) e ORDER BY source_id DESC, seq DESC LIMIT ${add(q.limit + 1)}`;
  } else if (rejectedOnly) {
    // Rejected events are rare: found through the projector's reference table rather than scanning the log.
    sql = `SELECT ${EVENT_COLUMNS} FROM trade_event_ref r JOIN event_log e ON e.source_id = r.source_id AND e.seq = r.seq
            WHERE r.status = 'rejected' ${w.length ? 'AND ' + w.join(' AND ') : ''} ORDER BY e.source_id DESC, e.seq DESC LIMIT ${add(q.limit + 1)}`;
  } else {
    sql = `SELECT ${EVENT_COLUMNS} FROM event_log e ${where(w)} ORDER BY e.source_id DESC, e.seq DESC LIMIT ${add(q.limit + 1)}`;
  }
  const { rows } = await db.query<RawEventRow>(sql, args);
  return pageOf('events', rows, q.limit, (r) => [r.source_id, Number(r.seq)], toEventRow);
}

export { encodeCursor };
