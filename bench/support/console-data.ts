/**
 * The data of bench:console and bench/console-explain.ts: 1,000,000 trades by default, their events straight into the
 * event log by binary COPY, and the related tables (submissions, exceptions, findings, scores, review items, ...)
 * generated in SQL from the projected trades, so that both benchmarks measure the same database.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { BinaryCopyEncoder } from '../../engine/store/copy-binary.js';

export const TRADES = Number(process.env.SWAPREP_BENCH_TRADES ?? 1_000_000);
export const SOURCES = 4;
export const DAY = 86_400_000;
export const CLASSES = ['InterestRate', 'Credit', 'ForeignExchange', 'Equity', 'Commodity'];

/** Deterministic pseudo-random numbers (mulberry32), so every run loads the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const lei = (i: number) => `5493${String(i).padStart(14, '0')}XX`;
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The events of TRADES trades: one or two versions each (1 in 10 amended), 1 in 100 rejected, four sources. */
export async function copyEvents(db: pg.Pool, nowMs: number): Promise<{ events: number; ms: number }> {
  const r = rng(7);
  const t0 = performance.now();
  const seqs = new Array<number>(SOURCES).fill(0);
  let events = 0;
  const chunk = 50_000;
  for (let start = 0; start < TRADES; start += chunk) {
    const enc = new BinaryCopyEncoder(16 << 20);
    for (let i = start; i < Math.min(TRADES, start + chunk); i++) {
      const src = i % SOURCES;
      const cp1 = lei(Math.floor(r() * r() * 200));
      const uti = `${cp1}T${String(i).padStart(10, '0')}`;
      const exec = nowMs - Math.floor(r() * 90 * DAY);
      const notional = (Math.floor(r() * 1e6) * 1000 * (r() < 0.01 ? 1000 : 1)).toString();
      const rejected = r() < 0.01;
      const versions = rejected ? 1 : r() < 0.1 ? 2 : 1;
      for (let v = 1; v <= versions; v++) {
        const report = SwapReport.encode(SwapReport.fromPartial({
          uniqueTransactionIdentifier: uti, counterparty1: cp1, counterparty2: lei(1000 + Math.floor(r() * 5000)), actionType: v === 1 ? 'NEWT' : 'MODI',
          eventTimestamp: iso(exec + (v - 1) * 3600_000), executionTimestamp: iso(exec), cftcGuidebook: { assetClass: CLASSES[i % CLASSES.length]! },
          leg1: { notionalAmount: notional, notionalCurrency: 'USD' },
        })).finish();
        const seq = ++seqs[src]!;
        enc.row(11).text(`bench-${src}`).int8(seq).timestamptzMs(exec + (v - 1) * 3600_000 + 5000).text(uti).text(cp1).text(v === 1 ? 'NEWT' : 'MODI')
          .text(iso(exec)).text(rejected ? 'rejected' : 'accepted');
        if (rejected) enc.null().null();
        else enc.int4(v).text('live');
        enc.bytea(report);
        events++;
      }
    }
    const client = await db.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = client.query(copyFrom('COPY event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report) FROM STDIN WITH (FORMAT binary)'));
        stream.on('finish', resolve).on('error', reject);
        stream.end(enc.finish());
      });
    } finally {
      client.release();
    }
  }
  for (let s = 0; s < SOURCES; s++) await db.query('INSERT INTO fep_source (source_id, token_hash, durable_seq) VALUES ($1, $2, $3)', [`bench-${s}`, 'x', seqs[s]]);
  return { events, ms: performance.now() - t0 };
}

/** The related tables, one statement a step, to run in order after the projector has caught up. */
export const RELATED_STEPS: readonly string[] = [
    // Submissions as the delivery path stores them (migration 007): batches of 10,000 in trade order, 1 in 100 still
    // pending (due around now), 1 in 500 failed, the rest answered, with 1 trade in 200 NACKed.
    `CREATE UNLOGGED TABLE bench_sub AS
     SELECT 'S' || t.id AS id, t.id / 10000 AS b, (row_number() OVER (PARTITION BY t.id / 10000 ORDER BY t.id) - 1)::int AS ordinal,
            t.source_id, t.seq, t.trade_key, t.counterparty1, t.action_type, t.last_event_at AS created_at, t.id % 200 = 0 AS nacked
       FROM trade_current t WHERE t.version IS NOT NULL`,
    `INSERT INTO submission (id, batch_id, ordinal, regime, source_id, seq, trade_key, counterparty1, action_type, created_at, due_at)
     SELECT id, 'B-bench-' || lpad(b::text, 8, '0'), ordinal, 'cftc-part45', source_id, seq, trade_key, counterparty1, action_type, created_at,
            created_at + interval '1 day' FROM bench_sub`,
    `INSERT INTO submission_batch (id, repository, regime, format, lane, records, body, created_at, status, attempts, next_attempt_at, sent_at,
                                   answered_at, settled_at, answered, nacked, acks, nacks, due_at, last_error)
     SELECT 'B-bench-' || lpad(g.b::text, 8, '0'), 'dtcc', 'cftc-part45', 'json', 0, g.records, g.body, g.created_at, g.status, 1, g.created_at,
            CASE WHEN g.status = 'settled' THEN g.created_at + interval '1 minute' END,
            CASE WHEN g.status = 'settled' THEN g.created_at + interval '2 minutes' END,
            CASE WHEN g.status <> 'pending' THEN g.created_at + interval '2 minutes' END,
            CASE WHEN g.status = 'settled' THEN g.answered ELSE decode(repeat('00', (g.records + 7) / 8), 'hex') END,
            CASE WHEN g.status = 'settled' THEN g.nacked ELSE decode(repeat('00', (g.records + 7) / 8), 'hex') END,
            CASE WHEN g.status = 'settled' THEN g.records - g.nacks ELSE 0 END, CASE WHEN g.status = 'settled' THEN g.nacks ELSE 0 END,
            CASE WHEN g.status = 'pending' THEN now() + (random() * interval '3 hours') - interval '1 hour' ELSE g.created_at + interval '1 day' END,
            CASE WHEN g.status = 'failed' THEN 'HTTP 400: refused' END
       FROM (SELECT s.b, count(*)::int AS records, min(s.created_at) AS created_at,
                    CASE WHEN s.b % 100 = 1 THEN 'pending' WHEN s.b % 500 = 2 THEN 'failed' ELSE 'settled' END AS status,
                    string_agg('{"submissionId":"' || s.id || '","record":{}}' || E'\n', '' ORDER BY s.ordinal) AS body,
                    count(*) FILTER (WHERE s.nacked)::int AS nacks, bits.answered, bits.nacked
               FROM bench_sub s
               -- Ordinals are dense from 0: one byte per eight of them, in order.
               JOIN (SELECT b, decode(string_agg('ff', '' ORDER BY byte), 'hex') AS answered, decode(string_agg(lpad(to_hex(v), 2, '0'), '' ORDER BY byte), 'hex') AS nacked
                       FROM (SELECT b, ordinal / 8 AS byte, COALESCE(sum(1 << (ordinal % 8)) FILTER (WHERE nacked), 0)::int AS v FROM bench_sub GROUP BY 1, 2) y
                      GROUP BY b) bits USING (b)
              GROUP BY s.b, bits.answered, bits.nacked) g`,
    `INSERT INTO submission_nack (submission_id, batch_id, received_at, codes)
     SELECT s.id, 'B-bench-' || lpad(s.b::text, 8, '0'), s.created_at + interval '2 minutes', '[{"code":"E101","message":"notional out of range"}]'
       FROM bench_sub s WHERE s.nacked AND NOT (s.b % 100 = 1 OR s.b % 500 = 2)`,
    `INSERT INTO submission_response (batch_id, repository, received_at, acks, nacks, duplicates)
     SELECT id, repository, answered_at, acks, nacks, 0 FROM submission_batch WHERE status = 'settled'`,
    'DROP TABLE bench_sub',
    `INSERT INTO exception (kind, status, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at, assignee)
     SELECT 'nack', CASE WHEN s.seq % 3 = 0 THEN 'closed' ELSE 'open' END, s.regime, 'dtcc', s.id, s.source_id, s.seq, s.trade_key, s.counterparty1, s.action_type,
            n.codes, '{}', n.received_at, CASE WHEN s.seq % 4 = 0 THEN 'ana' END
       FROM submission_nack n JOIN submission s ON s.id = n.submission_id`,
    `INSERT INTO exception (kind, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at)
     SELECT 'validation', source_id, seq, trade_key, counterparty1, 'NEWT', '[]', '{}', received_at FROM trade_event_ref`,
    `INSERT INTO finding (source_id, seq, rule, element, path, severity, message)
     SELECT source_id, seq, 'P45-C28', '28', 'amendmentIndicator', 'error', 'amendmentIndicator is required when actionType = MODI' FROM trade_event_ref`,
    // Every accepted event scored, in batches as the scoring service writes them (migration 009: a row per run of up
    // to 1,024 seqs of a source, rejected events its holes, ensemble scores only); the latest events of 1 trade in 200 flagged.
    `INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, holes, flagged, scores)
     SELECT source_id, min_seq, max_seq, 'm1',
            NULLIF(ARRAY(SELECT o FROM generate_series(0, (max_seq - min_seq)::int) o EXCEPT SELECT (q - min_seq)::int FROM unnest(seqs) q ORDER BY 1), '{}'),
            (SELECT array_agg((f - min_seq)::int ORDER BY f) FROM unnest(flagged) f), scores
       FROM (SELECT e.source_id, min(e.seq) AS min_seq, max(e.seq) AS max_seq, array_agg(e.seq ORDER BY e.seq) AS seqs,
                    array_agg(e.seq ORDER BY e.seq) FILTER (WHERE t.id IS NOT NULL) AS flagged,
                    array_agg(CASE WHEN t.id IS NOT NULL THEN 3.5 ELSE (e.seq % 997) / 500.0 END::real ORDER BY e.seq) AS scores
               FROM event_log e LEFT JOIN trade_current t ON t.source_id = e.source_id AND t.seq = e.seq AND t.id % 200 = 7
              WHERE e.status <> 'rejected' GROUP BY e.source_id, (e.seq - 1) / 1024) b`,
    `INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, state, created_at)
     SELECT source_id, seq, trade_key, 'm1', 3.5, '[{"feature":"notional_z","value":9.1,"contribution":2.5}]',
            CASE WHEN id % 3 = 0 THEN 'open' WHEN id % 3 = 1 THEN 'confirmed' ELSE 'dismissed' END, last_event_at
       FROM trade_current WHERE id % 200 = 7`,
    `INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at) SELECT 'system', 'exception', id::text, 'open', NULL, '{}', opened_at FROM exception`,
    `INSERT INTO alert (rule, dedup_key, severity, title, first_at, last_at, status)
     SELECT 'deadline', 'deadline:' || i, 'warning', 'deadline at risk ' || i, now(), now(), CASE WHEN i % 2 = 0 THEN 'open' ELSE 'resolved' END FROM generate_series(1, 200) i`,
    `INSERT INTO model_version (version_id, features_version, source, manifest, metrics, active) VALUES ('m1', 1, 'synthetic', '{}', '{"rocAuc":0.9}', true)`,
    `INSERT INTO report_file (kind, report_date, path, format, rows, bytes, sha256, created_by)
     SELECT 'daily-activity', current_date - i, 'reports/daily-' || i || '.csv', 'csv', 1000, 100000, 'x', 'scheduler' FROM generate_series(1, 300) i`,
    'ANALYZE',
];

/** One endpoint of the console's API as the benchmarks call it. */
export interface BenchEndpoint { name: string; call: () => Promise<string> }

/**
 * bench:console's endpoints, called through `get` (a path to the response text) with arguments drawn from `sample`
 * (trades of the database); `bump` makes the next search miss its cache. `cachedSearch`: one search is left to hit
 * its cache (bench:console), or every search misses it (console-explain, which needs their queries).
 */
export function benchEndpoints(get: (path: string) => Promise<string>, bump: () => void, sample: readonly { trade_key: string; counterparty1: string }[],
  nowMs: number, cachedSearch: boolean): BenchEndpoint[] {
  const r = rng(3);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  let cursor: string | null = null;
  const since = new Date(nowMs - 30 * DAY).toISOString().slice(0, 10);
  const until = new Date(nowMs - 20 * DAY).toISOString().slice(0, 10);
  return [
    { name: 'dashboard', call: () => get('/api/dashboard') },
    { name: 'trades (first page)', call: () => get('/api/trades') },
    {
      name: 'trades (next page by cursor)', call: async () => {
        const text = await get(`/api/trades?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
        cursor = (JSON.parse(text) as { nextCursor: string | null }).nextCursor;
        return text;
      },
    },
    { name: 'trades by UTI', call: () => get(`/api/trades?uti=${pick(sample).trade_key}`) },
    { name: 'trades by counterparty', call: () => get(`/api/trades?cp=${pick(sample).counterparty1}`) },
    { name: 'trades by counterparty prefix', call: () => get(`/api/trades?cp=${pick(sample).counterparty1.slice(0, 12)}*`) },
    { name: 'trades by product', call: () => get(`/api/trades?product=${pick(CLASSES)}`) },
    { name: 'trades by status (lifecycle)', call: () => get('/api/trades?status=live') },
    { name: 'trades by status (nacked)', call: () => get('/api/trades?status=nacked') },
    { name: 'trades by status (rejected)', call: () => get('/api/trades?status=rejected') },
    { name: 'trades by date range', call: () => get(`/api/trades?since=${since}&until=${until}`) },
    { name: 'search (uncached)', call: () => { bump(); return get(`/api/search?q=${encodeURIComponent(`status:nacked product:${pick(CLASSES)} notional>1e8`)}`); } },
    { name: 'search notional>1e9 since (uncached)', call: () => { bump(); return get(`/api/search?q=${encodeURIComponent(`notional>1e9 since:${since}`)}`); } },
    cachedSearch
    ? { name: 'search (cached)', call: () => get(`/api/search?q=${encodeURIComponent('status:live product:Credit')}`) }
    : { name: 'search status:live product:Credit (uncached)', call: () => { bump(); return get(`/api/search?q=${encodeURIComponent('status:live product:Credit')}`); } },
    { name: 'trade detail', call: () => { const x = pick(sample); return get(`/api/trades/${encodeURIComponent(x.trade_key)}?cp=${x.counterparty1}`); } },
    { name: 'events (first page)', call: () => get('/api/events') },
    { name: 'events by UTI', call: () => get(`/api/events?uti=${pick(sample).trade_key}`) },
    { name: 'events rejected', call: () => get('/api/events?status=rejected') },
    { name: 'events by source', call: () => get('/api/events?source=bench-2') },
    { name: 'exceptions (open)', call: () => get('/api/exceptions?status=open') },
    { name: 'exceptions by kind and assignee', call: () => get('/api/exceptions?kind=nack&assignee=ana') },
    { name: 'review queue', call: () => get('/api/review') },
    { name: 'corrections', call: () => get('/api/corrections') },
    { name: 'submissions', call: () => get('/api/submissions') },
    { name: 'submissions nacked', call: () => get('/api/submissions?status=nacked') },
    { name: 'submissions by trade', call: () => get(`/api/submissions?tradeKey=${pick(sample).trade_key}`) },
    { name: 'alerts', call: () => get('/api/alerts') },
    { name: 'reports', call: () => get('/api/reports') },
    { name: 'sources', call: () => get('/api/sources') },
    { name: 'models', call: () => get('/api/models') },
    { name: 'users', call: () => get('/api/users') },
    { name: 'audit', call: () => get('/api/audit?entity=exception') },
    { name: 'elements', call: () => get('/api/elements') },
  ];
}
