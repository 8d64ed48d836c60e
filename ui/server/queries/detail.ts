/**
 * One trade in full: every event (versions and rejected ones) decoded to flat JSON with the differences between
 * consecutive versions, findings, anomaly scores with their top features, submissions with every ACK/NACK,
 * exceptions and corrections. A handful of indexed queries, whatever the size of the database.
 */
import type pg from 'pg';
import { SwapReport } from '../../../proto/gen/swap_report.js';
import { reportToJson } from '../../../engine/record/json.js';
import type { CorrectionItem, ExceptionItem, FieldChange, FindingItem, ScoreItem, SubmissionDetail, TradeDetail, TradeEvent, TopFeature } from '../../api/contract.js';
import { ApiError, notFound } from '../http.js';
import { TRADE_COLUMNS, toTradeRow, type RawTrade } from './trades.js';
import { CORRECTION_COLUMNS, EXCEPTION_COLUMNS, SUBMISSION_COLUMNS, toCorrectionItem, toExceptionItem, toSubmissionItem, type RawCorrection, type RawException, type RawSubmission } from './rows.js';
import { isLosslessNumber } from 'lossless-json';

interface RawEvent {
  source_id: string; seq: string; received_at: Date; status: TradeEvent['status']; version: number | null; lifecycle: TradeEvent['lifecycle'];
  action_type: string | null; event_timestamp: string | null; report: Buffer;
}

/** Leaves of a JSON value by path (`a.b`, `list[2].c`); decimals as their exact text. */
export function flatten(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (isLosslessNumber(value)) out.set(path, value.toString());
  else if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, []);
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && path !== '') out.set(path, {});
    for (const [k, v] of entries) flatten(v, path === '' ? k : `${path}.${k}`, out);
  } else out.set(path, value);
  return out;
}

/** Paths whose values differ between two records (absent on one side = null), in path order. */
export function diffRecords(before: Record<string, unknown> | undefined, after: Record<string, unknown>): FieldChange[] {
  const a = before ? flatten(before) : new Map<string, unknown>();
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FieldChange[] = [];
  for (const p of paths) {
    const x = a.has(p) ? a.get(p) : null;
    const y = b.has(p) ? b.get(p) : null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ path: p, before: x, after: y });
  }
  return out;
}

export async function tradeDetail(db: pg.Pool, tradeKey: string, cp: string | undefined): Promise<TradeDetail> {
  const args: unknown[] = [tradeKey];
  const { rows: trades } = await db.query<RawTrade>(
    `SELECT ${TRADE_COLUMNS} FROM trade_current t WHERE t.trade_key = $1 ${cp !== undefined ? `AND t.counterparty1 = $${args.push(cp)}` : ''} ORDER BY t.id`, args);
  if (trades.length === 0) throw notFound(`no trade ${tradeKey}${cp !== undefined ? ` of counterparty ${cp}` : ''}`);
  if (trades.length > 1) {
    throw new ApiError('conflict', `trade key ${tradeKey} is used by ${trades.length} reporting counterparties; add ?cp=`, 'cp', { candidates: trades.map((t) => t.counterparty1) });
  }
  const trade = trades[0]!;
  const cp1 = trade.counterparty1;

  const { rows: rawEvents } = await db.query<RawEvent>(
    `SELECT source_id, seq, received_at, status, version, lifecycle, action_type, event_timestamp, report FROM event_log
      WHERE counterparty1 = $2 AND trade_key = $1 AND version IS NOT NULL
     UNION ALL
     SELECT e.source_id, e.seq, e.received_at, e.status, e.version, e.lifecycle, e.action_type, e.event_timestamp, e.report
       FROM trade_event_ref r JOIN event_log e ON e.source_id = r.source_id AND e.seq = r.seq
      WHERE r.trade_key = $1 AND r.counterparty1 = $2
     ORDER BY received_at, source_id, seq`, [tradeKey, cp1]);

  let lastAccepted: Record<string, unknown> | undefined;
  const events: TradeEvent[] = rawEvents.map((e) => {
    let report: SwapReport | undefined;
    try {
      report = SwapReport.decode(e.report);
    } catch {
      report = undefined;
    }
    const record = report ? reportToJson(report) : { undecodable: true };
    const changes = diffRecords(lastAccepted, record);
    if (e.version !== null) lastAccepted = record;
    return {
      sourceId: e.source_id, seq: Number(e.seq), receivedAt: e.received_at.toISOString(), status: e.status, version: e.version, lifecycle: e.lifecycle,
      actionType: e.action_type, eventType: report?.eventType ?? null, eventTimestamp: e.event_timestamp, record, changes,
    };
  });
  const keys = [rawEvents.map((e) => e.source_id), rawEvents.map((e) => e.seq)];

  const [findings, scores, subs, excs, corrs] = await Promise.all([
    db.query<{ source_id: string; seq: string; rule: string; element: string; path: string; severity: 'error' | 'warning'; message: string }>(
      `SELECT f.source_id, f.seq, f.rule, f.element, f.path, f.severity, f.message FROM unnest($1::text[], $2::bigint[]) AS k(source_id, seq)
         JOIN finding f ON f.source_id = k.source_id AND f.seq = k.seq ORDER BY f.seq, f.rule`, keys),
    db.query<{ source_id: string; seq: string; status: 'scored' | 'not_scored'; version_id: string | null; score: number | null; flagged: boolean | null;
      iforest: number | null; autoencoder: number | null; zscore: number | null; scored_at: Date; top_features: TopFeature[] | null; state: ScoreItem['reviewState'] }>(
      // event_score_of: the event's score_record row, or its place in a score_batch row (migration 009).
      `SELECT k.source_id, k.seq, s.status, s.version_id, s.score, s.flagged, s.iforest, s.autoencoder, s.zscore, s.scored_at, r.top_features, r.state
         FROM unnest($1::text[], $2::bigint[]) AS k(source_id, seq)
         CROSS JOIN LATERAL event_score_of(k.source_id, k.seq) s
         LEFT JOIN review_item r ON r.source_id = k.source_id AND r.seq = k.seq ORDER BY k.seq`, keys),
    db.query<RawSubmission & { payload: string; batch_id: string; nack_codes: { code: string; message: string }[] | null }>(
      `SELECT ${SUBMISSION_COLUMNS}, batch_id, nack_codes, payload FROM submission_state
        WHERE trade_key = $1 AND (counterparty1 = $2 OR counterparty1 IS NULL) ORDER BY created_at, id`, [tradeKey, cp1]),
    db.query<RawException>(`SELECT ${EXCEPTION_COLUMNS} FROM exception WHERE trade_key = $1 ORDER BY id`, [tradeKey]),
    db.query<RawCorrection>(`SELECT ${CORRECTION_COLUMNS} FROM correction WHERE trade_key = $1 ORDER BY id`, [tradeKey]),
  ]);
  // A record's answer is its batch's (an ACK) or its NACK row: one response per answered record.
  const submissions: SubmissionDetail[] = subs.rows.map((s, i) => ({
    ...toSubmissionItem(s), payload: s.payload,
    responses: (s.status === 'acked' || s.status === 'nacked') && s.settled_at
      ? [{ id: i + 1, batchId: s.batch_id, receivedAt: s.settled_at.toISOString(), outcome: s.status === 'acked' ? 'ACK' as const : 'NACK' as const, codes: s.nack_codes ?? [], duplicate: false }]
      : [],
  }));
  return {
    trade: toTradeRow(trade),
    events,
    findings: findings.rows.map((f): FindingItem => ({ sourceId: f.source_id, seq: Number(f.seq), rule: f.rule, element: f.element, path: f.path, severity: f.severity, message: f.message })),
    scores: scores.rows.map((s): ScoreItem => ({
      sourceId: s.source_id, seq: Number(s.seq), status: s.status, versionId: s.version_id, score: s.score, flagged: s.flagged,
      models: { iforest: s.iforest, autoencoder: s.autoencoder, zscore: s.zscore }, scoredAt: s.scored_at.toISOString(), topFeatures: s.top_features, reviewState: s.state,
    })),
    submissions,
    exceptions: excs.rows.map(toExceptionItem) as ExceptionItem[],
    corrections: corrs.rows.map(toCorrectionItem) as CorrectionItem[],
  };
}
