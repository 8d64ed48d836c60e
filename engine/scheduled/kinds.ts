/**
 * The report kinds (what a repository's end-of-day reports cover, DOMAIN.md): each is a query over the store
 * for one UTC day D, producing a header and rows for a CSV file.
 *   daily-activity     events received on D by action and status; submissions made on D by regime and status;
 *                      responses received on D by repository and outcome; exceptions opened and closed on D
 *   open-trades        every live trade's latest state at the end of D
 *   exceptions         exceptions opened on D or still active at the end of D
 *   stale-valuations   live trades whose valuation (VALU) or margin (MARU) is missing or older than 14 days at the end of D
 *   abnormal-notionals events accepted on D whose leg 1 notional is abnormal for its asset class and currency
 *                      (robust z-score of log10 notional > 3.5 against all live trades of the group), zero or over 10^11
 *   cumulative         every live trade at the end of D with its latest state, once per regime it owes (the report
 *                      builder's owed() on that state, over the configured regimes), ordered by regime
 *   anomalies          events received on D that the scoring flagged or an analyst labelled: score, flag, model
 *                      version, each model's raw score, the top contributing features, the review state and the
 *                      latest verdict (internal: the anomaly model's output for review, not a regulatory report)
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, REPORT_REGIMES, type ReportRegime, type ReportsConfig } from '../reports/index.js';

export type ReportKind = 'daily-activity' | 'open-trades' | 'exceptions' | 'stale-valuations' | 'abnormal-notionals' | 'cumulative' | 'anomalies';
export const REPORT_KINDS: readonly ReportKind[] = ['daily-activity', 'open-trades', 'exceptions', 'stale-valuations', 'abnormal-notionals', 'cumulative', 'anomalies'];

/** What a kind may need beyond the store: the reports configuration (cumulative: which regimes a trade owes). */
export interface BuildOptions {
  reports?: ReportsConfig;
}

export interface ReportTable {
  header: string[];
  rows: (string | number | null)[][];
}

export const STALE_AFTER_DAYS = 14;
const ABNORMAL_Z = 3.5;
const ABSURD_NOTIONAL = 1e11;

/** [start, end) of UTC day D. */
export function dayBounds(date: string): [string, string] {
  const start = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(start) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date: ${date} (YYYY-MM-DD)`);
  return [new Date(start).toISOString(), new Date(start + 86_400_000).toISOString()];
}

export async function buildReport(db: pg.Pool | pg.ClientBase, kind: ReportKind, date: string, opts: BuildOptions = {}): Promise<ReportTable> {
  const [start, end] = dayBounds(date);
  switch (kind) {
    case 'daily-activity': {
      const q = async (sql: string) => (await db.query<{ a: string; b: string; c: string; n: string }>(sql, [start, end])).rows;
      const rows: ReportTable['rows'] = [];
      for (const r of await q(`SELECT 'events' AS a, COALESCE(action_type, '') AS b, status AS c, count(*) AS n FROM event_log
                                WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz GROUP BY 2, 3 ORDER BY 2, 3`)) rows.push([r.a, r.b, r.c, Number(r.n)]);
      for (const r of await q(`SELECT 'submissions' AS a, regime AS b, status AS c, count(*) AS n FROM submission_state
                                WHERE created_at >= $1 AND created_at < $2 GROUP BY 2, 3 ORDER BY 2, 3`)) rows.push([r.a, r.b, r.c, Number(r.n)]);
      for (const r of await q(`SELECT 'responses' AS a, repository AS b, o.outcome AS c, sum(o.n) AS n
                                 FROM submission_response CROSS JOIN LATERAL (VALUES ('ACK', acks), ('NACK', nacks)) AS o(outcome, n)
                                WHERE received_at >= $1 AND received_at < $2 AND o.n > 0 GROUP BY 2, 3 ORDER BY 2, 3`)) rows.push([r.a, r.b, r.c, Number(r.n)]);
      for (const r of await q(`SELECT 'exceptions' AS a, kind AS b, 'opened' AS c, count(*) AS n FROM exception
                                WHERE opened_at >= $1 AND opened_at < $2 GROUP BY 2 ORDER BY 2`)) rows.push([r.a, r.b, r.c, Number(r.n)]);
      for (const r of await q(`SELECT 'exceptions' AS a, kind AS b, 'closed' AS c, count(*) AS n FROM exception
                                WHERE closed_at >= $1 AND closed_at < $2 GROUP BY 2 ORDER BY 2`)) rows.push([r.a, r.b, r.c, Number(r.n)]);
      return { header: ['category', 'name', 'status', 'count'], rows };
    }
    case 'open-trades': {
      const { rows } = await db.query<{ counterparty1: string; trade_key: string; version: number; action_type: string | null; event_timestamp: string | null; source_id: string; seq: string; report: Buffer }>(
        `SELECT DISTINCT ON (counterparty1, trade_key) counterparty1, trade_key, version, lifecycle, action_type, event_timestamp, source_id, seq, report
           FROM event_log WHERE version IS NOT NULL AND received_at < $1::timestamptz
          ORDER BY counterparty1, trade_key, version DESC`, [end]);
      const out: ReportTable['rows'] = [];
      for (const r of rows as (typeof rows[number] & { lifecycle: string })[]) {
        if (r.lifecycle !== 'live') continue;
        const rep = SwapReport.decode(r.report);
        out.push([r.trade_key, r.counterparty1, r.version, r.action_type, r.event_timestamp, rep.cftcGuidebook?.assetClass ?? null,
          rep.leg1?.notionalAmount ?? null, rep.leg1?.notionalCurrency ?? null, rep.expirationDate ?? null, r.source_id, Number(r.seq)]);
      }
      return { header: ['trade_key', 'counterparty1', 'version', 'last_action', 'last_event_timestamp', 'asset_class', 'notional_leg1', 'currency_leg1', 'expiration_date', 'source_id', 'seq'], rows: out };
    }
    case 'exceptions': {
      const { rows } = await db.query<{ id: string; kind: string; status: string; regime: string | null; trade_key: string | null; counterparty1: string | null; codes: { code?: string; rule?: string }[]; opened_at: Date; closed_at: Date | null }>(
        `SELECT id, kind, status, regime, trade_key, counterparty1, codes, opened_at, closed_at FROM exception
          WHERE opened_at < $2 AND (opened_at >= $1 OR closed_at IS NULL OR closed_at >= $2) ORDER BY id`, [start, end]);
      return {
        header: ['id', 'kind', 'status_end_of_day', 'regime', 'trade_key', 'counterparty1', 'codes', 'opened_at', 'closed_at'],
        rows: rows.map((r) => [Number(r.id), r.kind, r.closed_at && r.closed_at.toISOString() < end ? 'closed' : r.closed_at ? 'open' : r.status, r.regime, r.trade_key, r.counterparty1,
          r.codes.map((c) => c.code ?? c.rule ?? '?').join(';'), r.opened_at.toISOString(), r.closed_at ? r.closed_at.toISOString() : null]),
      };
    }
    case 'stale-valuations': {
      const { rows } = await db.query<{ trade_key: string; counterparty1: string; last_valu: string | null; last_maru: string | null }>(
        `WITH live AS (
           SELECT DISTINCT ON (counterparty1, trade_key) counterparty1, trade_key, lifecycle FROM event_log
            WHERE version IS NOT NULL AND received_at < $1::timestamptz ORDER BY counterparty1, trade_key, version DESC)
         SELECT l.trade_key, l.counterparty1,
                (SELECT max(event_timestamp) FROM event_log e WHERE e.counterparty1 = l.counterparty1 AND e.trade_key = l.trade_key AND e.action_type = 'VALU' AND e.status <> 'rejected' AND e.received_at < $1::timestamptz) AS last_valu,
                (SELECT max(event_timestamp) FROM event_log e WHERE e.counterparty1 = l.counterparty1 AND e.trade_key = l.trade_key AND e.action_type = 'MARU' AND e.status <> 'rejected' AND e.received_at < $1::timestamptz) AS last_maru
           FROM live l WHERE l.lifecycle = 'live' ORDER BY l.trade_key`, [end]);
      const endMs = Date.parse(end);
      const out: ReportTable['rows'] = [];
      for (const r of rows) {
        for (const [what, last] of [['valuation', r.last_valu], ['margin', r.last_maru]] as const) {
          const age = last ? (endMs - Date.parse(last)) / 86_400_000 : undefined;
          if (age === undefined || Number.isNaN(age)) out.push([r.trade_key, r.counterparty1, what, null, 'missing']);
          else if (age > STALE_AFTER_DAYS) out.push([r.trade_key, r.counterparty1, what, last, Math.floor(age)]);
        }
      }
      return { header: ['trade_key', 'counterparty1', 'kind', 'last_at', 'age_days'], rows: out };
    }
    case 'abnormal-notionals': {
      // Reference distribution: the latest version of every live trade; candidates: events accepted on D.
      const { rows: all } = await db.query<{ report: Buffer; lifecycle: string }>(
        `SELECT DISTINCT ON (counterparty1, trade_key) report, lifecycle FROM event_log WHERE version IS NOT NULL AND received_at < $1::timestamptz
          ORDER BY counterparty1, trade_key, version DESC`, [end]);
      const groups = new Map<string, number[]>();
      const groupOf = (r: SwapReport) => `${r.cftcGuidebook?.assetClass ?? '?'}|${r.leg1?.notionalCurrency ?? '?'}`;
      for (const x of all) {
        if (x.lifecycle !== 'live') continue;
        const r = SwapReport.decode(x.report);
        const n = Number(r.leg1?.notionalAmount);
        if (n > 0 && Number.isFinite(n)) (groups.get(groupOf(r)) ?? groups.set(groupOf(r), []).get(groupOf(r))!).push(Math.log10(n));
      }
      const stats = new Map<string, { median: number; mad: number }>();
      for (const [k, v] of groups) {
        if (v.length < 5) continue;
        const med = median(v);
        stats.set(k, { median: med, mad: median(v.map((x) => Math.abs(x - med))) });
      }
      const { rows: today } = await db.query<{ source_id: string; seq: string; trade_key: string | null; report: Buffer }>(
        `SELECT source_id, seq, trade_key, report FROM event_log WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz AND status <> 'rejected' ORDER BY received_at, source_id, seq`, [start, end]);
      const out: ReportTable['rows'] = [];
      for (const e of today) {
        const r = SwapReport.decode(e.report);
        const text = r.leg1?.notionalAmount;
        if (text === undefined) continue;
        const n = Number(text);
        if (!Number.isFinite(n)) continue;
        let reason: string | undefined;
        let score: number | null = null;
        if (n === 0) reason = 'zero notional';
        else if (n > ABSURD_NOTIONAL) reason = 'notional over 10^11';
        else {
          const s = stats.get(groupOf(r));
          if (s && s.mad > 0) {
            score = Math.abs(Math.log10(n) - s.median) / (1.4826 * s.mad);
            if (score > ABNORMAL_Z) reason = `robust z-score ${score.toFixed(1)} in ${groupOf(r)}`;
          }
        }
        if (reason) out.push([e.source_id, Number(e.seq), e.trade_key, r.cftcGuidebook?.assetClass ?? null, r.leg1?.notionalCurrency ?? null, text, score === null ? null : Math.round(score * 10) / 10, reason]);
      }
      return { header: ['source_id', 'seq', 'trade_key', 'asset_class', 'currency', 'notional_leg1', 'score', 'reason'], rows: out };
    }
    case 'cumulative':
      return cumulative(db, end, opts.reports ?? DEFAULT_REPORTS_CONFIG);
    case 'anomalies':
      return anomalies(db, start, end);
  }
}

/** One query for every trade's latest version at `end`; the regimes each owes are computed from that state. */
async function cumulative(db: pg.Pool | pg.ClientBase, end: string, config: ReportsConfig): Promise<ReportTable> {
  const builder = createReportBuilder(config);
  const { rows } = await db.query<{ counterparty1: string; trade_key: string; version: number; lifecycle: string; action_type: string | null; event_timestamp: string | null; received_at: Date; source_id: string; seq: string; report: Buffer }>(
    `SELECT DISTINCT ON (counterparty1, trade_key) counterparty1, trade_key, version, lifecycle, action_type, event_timestamp, received_at, source_id, seq, report
       FROM event_log WHERE version IS NOT NULL AND received_at < $1::timestamptz
      ORDER BY counterparty1, trade_key, version DESC`, [end]);
  // Per regime, in the regimes' canonical order; within one, the query's (counterparty1, trade_key) order.
  const byRegime = new Map<ReportRegime, ReportTable['rows']>(REPORT_REGIMES.map((r) => [r, []]));
  for (const r of rows) {
    if (r.lifecycle !== 'live') continue;
    const rep = SwapReport.decode(r.report);
    for (const regime of builder.owed(rep)) {
      byRegime.get(regime)!.push([regime, r.trade_key, r.counterparty1, rep.counterparty2 ?? null, rep.uniqueProductIdentifier ?? null,
        rep.cftcGuidebook?.assetClass ?? null, r.version, r.action_type, r.event_timestamp, rep.executionTimestamp ?? null, rep.effectiveDate ?? null,
        rep.expirationDate ?? null, rep.cleared ?? null, rep.leg1?.notionalAmount ?? null, rep.leg1?.notionalCurrency ?? null,
        rep.leg2?.notionalAmount ?? null, rep.leg2?.notionalCurrency ?? null, r.received_at.toISOString(), r.source_id, Number(r.seq)]);
    }
  }
  return {
    header: ['regime', 'trade_key', 'counterparty1', 'counterparty2', 'upi', 'asset_class', 'version', 'last_action', 'last_event_timestamp',
      'execution_timestamp', 'effective_date', 'expiration_date', 'cleared', 'notional_leg1', 'currency_leg1', 'notional_leg2', 'currency_leg2',
      'last_received_at', 'source_id', 'seq'],
    rows: [...byRegime.values()].flat(),
  };
}

interface TopFeature {
  feature?: string;
  value?: unknown;
  contribution?: number;
}

/**
 * The events worth reviewing are the few with a review item (every flagged event has one) or a label: start from
 * those (small tables) and reach the event log by its key, rather than scoring-lookup every event of the day.
 */
async function anomalies(db: pg.Pool | pg.ClientBase, start: string, end: string): Promise<ReportTable> {
  const { rows } = await db.query<{
    source_id: string; seq: string; received_at: Date; trade_key: string | null; counterparty1: string | null; action_type: string | null;
    score_status: string | null; version_id: string | null; score: number | null; flagged: boolean | null; iforest: number | null; autoencoder: number | null; zscore: number | null;
    top_features: TopFeature[] | null; review_state: string | null; verdict: string | null; analyst: string | null; note: string | null; labelled_at: Date | null;
  }>(
    `WITH c AS (SELECT source_id, seq FROM review_item UNION SELECT source_id, seq FROM review_label)
     SELECT e.source_id, e.seq, e.received_at, e.trade_key, e.counterparty1, e.action_type,
            s.status AS score_status, COALESCE(s.version_id, ri.version_id) AS version_id, COALESCE(s.score, ri.score) AS score, s.flagged,
            COALESCE(s.iforest, ri.iforest) AS iforest, COALESCE(s.autoencoder, ri.autoencoder) AS autoencoder, COALESCE(s.zscore, ri.zscore) AS zscore,
            ri.top_features, ri.state AS review_state, l.verdict, l.analyst, l.note, l.labelled_at
       FROM c JOIN event_log e ON e.source_id = c.source_id AND e.seq = c.seq
       LEFT JOIN review_item ri ON ri.source_id = c.source_id AND ri.seq = c.seq
       LEFT JOIN LATERAL event_score_of(c.source_id, c.seq) s ON true
       LEFT JOIN LATERAL (SELECT verdict, analyst, note, labelled_at FROM review_label rl
                           WHERE rl.source_id = c.source_id AND rl.seq = c.seq ORDER BY labelled_at DESC, id DESC LIMIT 1) l ON true
      WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz
      ORDER BY e.received_at, e.source_id, e.seq`, [start, end]);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    header: ['source_id', 'seq', 'received_at', 'trade_key', 'counterparty1', 'action_type', 'score_status', 'model_version', 'score', 'flagged',
      'iforest', 'autoencoder', 'zscore', 'top_features', 'review_state', 'verdict', 'analyst', 'verdict_note', 'labelled_at'],
    rows: rows.map((r) => [r.source_id, Number(r.seq), r.received_at.toISOString(), r.trade_key, r.counterparty1, r.action_type, r.score_status,
      r.version_id, round(r.score), r.flagged === null ? null : r.flagged ? 'Y' : 'N', round(r.iforest), round(r.autoencoder), round(r.zscore),
      topFeatures(r.top_features), r.review_state, r.verdict, r.analyst, r.note, r.labelled_at ? r.labelled_at.toISOString() : null]),
  };
}

/** `feature=value (contribution)` of each stored top feature, in stored order (the scorer keeps the largest first). */
function topFeatures(v: TopFeature[] | null): string | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.map((f) => `${f.feature ?? '?'}=${f.value === undefined ? '' : String(f.value)}${typeof f.contribution === 'number' ? ` (${Math.round(f.contribution * 1000) / 1000})` : ''}`).join('; ');
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
