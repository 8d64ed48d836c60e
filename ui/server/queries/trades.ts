/**
 * Trade lists and searches over the trade_current projection, newest first by the projection's immutable id
 * (keyset pagination: rows inserted or updated meanwhile never shift a page).
 */
import type pg from 'pg';
import type { ParsedQuery, TradeRow, TradeStatus, Page } from '../../api/contract.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { prefixOf } from '../query/parse.js';
import { parseTime } from '../validate.js';

export interface TradeFilter {
  uti?: string | undefined;
  cp?: string | undefined;
  product?: string | undefined;
  status?: TradeStatus | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  source?: string | undefined;
  notional?: { op: '>' | '>=' | '<' | '<=' | '='; value: string }[];
}

const LIFECYCLE = new Set(['live', 'errored', 'terminated']);
const EVENT_STATUS = new Set(['accepted', 'accepted_with_warnings', 'rejected']);

export const TRADE_COLUMNS = `t.id, t.trade_key, t.counterparty1, t.counterparty2, t.product, t.asset_class, t.notional::text AS notional, t.notional_currency,
  t.version, t.lifecycle, t.action_type, t.execution_at, t.last_status, t.last_event_at, t.source_id, t.seq, t.events`;

export interface RawTrade {
  id: string; trade_key: string; counterparty1: string; counterparty2: string | null; product: string | null; asset_class: string | null;
  notional: string | null; notional_currency: string | null; version: number | null; lifecycle: TradeRow['lifecycle']; action_type: string | null;
  execution_at: Date | null; last_status: TradeRow['lastStatus']; last_event_at: Date; source_id: string; seq: string; events: number;
}

export function toTradeRow(r: RawTrade): TradeRow {
  return {
    tradeKey: r.trade_key, counterparty1: r.counterparty1, counterparty2: r.counterparty2, product: r.product, assetClass: r.asset_class,
    notional: r.notional, notionalCurrency: r.notional_currency, version: r.version, lifecycle: r.lifecycle, lastStatus: r.last_status,
    actionType: r.action_type, executionAt: r.execution_at ? r.execution_at.toISOString() : null, lastEventAt: r.last_event_at.toISOString(),
    sourceId: r.source_id, seq: Number(r.seq), events: r.events,
  };
}

const likePrefix = (p: string) => p.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** WHERE clauses and arguments for a filter (t = trade_current). */
export function tradeWhere(f: TradeFilter, args: unknown[]): string[] {
  const where: string[] = [];
  const add = (v: unknown) => `$${args.push(v)}`;
  if (f.uti) {
    const p = prefixOf(f.uti);
    where.push(p !== undefined ? `t.trade_key LIKE ${add(likePrefix(p))}` : `t.trade_key = ${add(f.uti)}`);
  }
  if (f.cp) {
    const p = prefixOf(f.cp);
    where.push(p !== undefined ? `t.counterparty1 LIKE ${add(likePrefix(p))}` : `t.counterparty1 = ${add(f.cp)}`);
  }
  if (f.product) {
    const a = add(f.product);
    where.push(`(t.product = ${a} OR t.asset_class = ${a})`);
  }
  if (f.status) {
    if (LIFECYCLE.has(f.status)) where.push(`t.lifecycle = ${add(f.status)}`);
    else if (EVENT_STATUS.has(f.status)) where.push(`t.last_status = ${add(f.status)}`);
    // Most trades end acked: probing each trade newest first finds a page at once. The rare submission
    // statuses go the other way round (listTradesBySubmission).
    else if (f.status === 'acked') where.push(`EXISTS (SELECT 1 FROM submission_state s WHERE s.trade_key = t.trade_key AND s.counterparty1 = t.counterparty1 AND s.status = ${add(f.status)})`);
  }
  if (f.since) where.push(`t.execution_at >= ${add(f.since.toISOString())}::timestamptz`);
  if (f.until) where.push(`t.execution_at < ${add(f.until.toISOString())}::timestamptz`);
  if (f.source) where.push(`t.source_id = ${add(f.source)}`);
  for (const n of f.notional ?? []) where.push(`t.notional ${n.op} ${add(n.value)}::numeric`);
  return where;
}

/** Submission statuses few trades are in: lists of them are driven from the submission side (see below). */
const RARE_SUBMISSION_STATUS = new Set(['pending', 'sent', 'nacked', 'failed']);

export async function listTrades(db: pg.Pool, f: TradeFilter, limit: number, cursor: string | undefined): Promise<Page<TradeRow>> {
  if (f.status && RARE_SUBMISSION_STATUS.has(f.status)) return listTradesBySubmission(db, f, limit, cursor);
  const args: unknown[] = [];
  const where = tradeWhere(f, args);
  const after = decodeCursor('trades', cursor, ['number']);
  if (after) where.push(`t.id < $${args.push(after[0])}`);
  const { rows } = await db.query<RawTrade>(
    `SELECT ${TRADE_COLUMNS} FROM trade_current t ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY t.id DESC LIMIT $${args.push(limit + 1)}`, args);
  return pageOf('trades', rows, limit, (r) => [Number(r.id)], toTradeRow);
}

/**
 * Trades with a submission in a rare status (nacked, failed, pending, sent), newest such submission first.
 * Scanning a million trades newest first for a status one in two hundred has, or joining all of them, is what
 * made `status:nacked` slow. The records in such a status are few and reached directly (NACK rows, or the records
 * of the batches in that state); each trade is then looked up by its key, and listed once, at its newest
 * submission in that status.
 */
async function listTradesBySubmission(db: pg.Pool, f: TradeFilter, limit: number, cursor: string | undefined): Promise<Page<TradeRow>> {
  const args: unknown[] = [f.status];
  const where = tradeWhere({ ...f, status: undefined }, args);
  const after = decodeCursor('trades-by-submission', cursor, ['string', 'string']);
  if (after) where.push(`(s.created_at, s.id) < ($${args.push(after[0])}::timestamptz, $${args.push(after[1])})`);
  // The records in that status: NACKs have rows of their own; pending, sent and failed records are those of the
  // few batches in that state.
  const inStatus = f.status === 'nacked'
    ? 'SELECT s.* FROM submission_nack x JOIN submission_state s ON s.id = x.submission_id'
    : 'SELECT s.* FROM submission_batch b JOIN submission_state s ON s.batch_id = b.id WHERE b.status = $1';
  const { rows } = await db.query<RawTrade & { s_at: string; s_id: string }>(
    `WITH r AS MATERIALIZED (${inStatus}),
          newest AS (SELECT DISTINCT ON (trade_key, counterparty1) * FROM r WHERE status = $1 ORDER BY trade_key, counterparty1, created_at DESC, id DESC)
     SELECT ${TRADE_COLUMNS}, to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS s_at, s.id AS s_id
       FROM newest s
       -- LIMIT 1 keeps the planner from flattening this into a hash join over every trade: one key look-up per row.
       CROSS JOIN LATERAL (SELECT * FROM trade_current t WHERE t.trade_key = s.trade_key AND t.counterparty1 = s.counterparty1 LIMIT 1) t
      WHERE true ${where.length ? 'AND ' + where.join(' AND ') : ''}
      ORDER BY s.created_at DESC, s.id DESC LIMIT $${args.push(limit + 1)}`, args);
  return pageOf('trades-by-submission', rows, limit, (r) => [r.s_at, r.s_id], toTradeRow);
}

/** The filter a parsed search query stands for. */
export function filterOfQuery(q: ParsedQuery): TradeFilter {
  const f: TradeFilter = { notional: [] };
  for (const t of q.terms) {
    switch (t.field) {
      case 'status': f.status = t.value as TradeStatus; break;
      case 'cp': f.cp = t.value; break;
      case 'uti': f.uti = t.value; break;
      case 'product': f.product = t.value; break;
      case 'source': f.source = t.value; break;
      case 'since': f.since = parseTime(t.value, 'q'); break;
      case 'until': f.until = parseTime(t.value, 'q'); break;
      case 'notional': f.notional!.push({ op: t.op === ':' ? '=' : (t.op as '>' | '>=' | '<' | '<=' | '='), value: t.value }); break; // exact text: PostgreSQL's numeric reads the same syntax
    }
  }
  return f;
}
