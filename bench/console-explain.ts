/**
 * Which indexes the console's queries use, and what the projection costs to write: loads SWAPREP_BENCH_TRADES
 * trades (default 1,000,000) the way bench:console does (events by binary COPY, the trade projector's catch-up,
 * the related tables in SQL), measures the catch-up (PostgreSQL backends' and this process's CPU per event, from
 * /proc), then calls each of bench:console's endpoints over HTTP with the console's pool recording its queries, and
 * runs each recorded query again under EXPLAIN (ANALYZE, BUFFERS). Prints, per endpoint, the HTTP time, the
 * queries' execution times and the indexes (and sequential scans) in their plans; then, per index of trade_current,
 * the endpoints that used it, with its size. Results go to bench/results.json under "consoleExplain".
 *
 *   npm run build && node dist/bench/console-explain.js
 *
 * Env: SWAPREP_BENCH_TRADES, SWAPREP_EXPLAIN_PICKS (calls per endpoint, each with other random arguments; default 3),
 * DATABASE_URL (server; default the local one, else an embedded one), BENCH_KEEP_DATABASES=1 keeps the database.
 * A step of the related tables that fails (a table being redesigned) is reported and skipped; scores go to
 * score_batch (migration 009), or to event_score, one row per event, on a schema without it.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SwapReport } from '../proto/gen/swap_report.js';
import { loadConfig } from '../engine/config.js';
import { listenHttp } from '../engine/http/http-server.js';
import { createMetrics } from '../engine/metrics.js';
import { migrate } from '../engine/store/migrate.js';
import { BinaryCopyEncoder } from '../engine/store/copy-binary.js';
import { startConsole } from '../ui/server/console.js';
import { TradeProjector } from '../ui/server/projector.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { machine, writeResult } from './support/results.js';

const TRADES = Number(process.env.SWAPREP_BENCH_TRADES ?? 1_000_000);
const PICKS = Number(process.env.SWAPREP_EXPLAIN_PICKS ?? 3);
const SOURCES = 4;
const DAY = 86_400_000;
const CLASSES = ['InterestRate', 'Credit', 'ForeignExchange', 'Equity', 'Commodity'];
const say = (m: string) => process.stderr.write(m + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Deterministic pseudo-random numbers (mulberry32): the same data as bench:console. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const lei = (i: number) => `5493${String(i).padStart(14, '0')}XX`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** bench:console's events: one or two versions per trade (1 in 10 amended), 1 in 100 rejected, four sources. */
async function copyEvents(db: pg.Pool, nowMs: number): Promise<number> {
  const r = rng(7);
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
  return events;
}

/** bench:console's related tables (submissions, exceptions, findings, scores, review items, ...), step by step. */
const RELATED: [string, string, string?][] = [
  ['submissions', `INSERT INTO submission (id, regime, repository, source_id, seq, trade_key, counterparty1, action_type, format, status, created_at, sent_at, settled_at, due_at)
     SELECT 'S' || t.id, 'cftc-part45', 'dtcc', t.source_id, t.seq, t.trade_key, t.counterparty1, t.action_type, 'json',
            CASE WHEN t.id % 200 = 0 THEN 'nacked' WHEN t.id % 100 = 1 THEN 'pending' WHEN t.id % 500 = 2 THEN 'failed' ELSE 'acked' END,
            t.last_event_at, t.last_event_at + interval '1 minute', t.last_event_at + interval '2 minutes', t.last_event_at + interval '1 day'
       FROM trade_current t WHERE t.version IS NOT NULL`],
  ['pending submissions', `UPDATE submission SET sent_at = NULL, settled_at = NULL, due_at = now() + (random() * interval '3 hours') - interval '1 hour' WHERE status = 'pending'`],
  ['submission responses', `INSERT INTO submission_response (submission_id, received_at, outcome, codes)
     SELECT id, settled_at, CASE WHEN status = 'nacked' THEN 'NACK' ELSE 'ACK' END,
            CASE WHEN status = 'nacked' THEN '[{"code":"E101","message":"notional out of range"}]'::jsonb ELSE '[]'::jsonb END
       FROM submission WHERE status IN ('acked', 'nacked')`],
  ['NACK exceptions', `INSERT INTO exception (kind, status, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at, assignee)
     SELECT 'nack', CASE WHEN seq % 3 = 0 THEN 'closed' ELSE 'open' END, regime, repository, id, source_id, seq, trade_key, counterparty1, action_type,
            '[{"code":"E101","message":"notional out of range"}]', '{}', settled_at, CASE WHEN seq % 4 = 0 THEN 'ana' END
       FROM submission WHERE status = 'nacked'`],
  ['validation exceptions', `INSERT INTO exception (kind, source_id, seq, trade_key, counterparty1, action_type, codes, record, opened_at)
     SELECT 'validation', source_id, seq, trade_key, counterparty1, 'NEWT', '[]', '{}', received_at FROM trade_event_ref`],
  ['findings', `INSERT INTO finding (source_id, seq, rule, element, path, severity, message)
     SELECT source_id, seq, 'P45-C28', '28', 'amendmentIndicator', 'error', 'amendmentIndicator is required when actionType = MODI' FROM trade_event_ref`],
  ['scores', `INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, holes, flagged, scores)
     SELECT source_id, min_seq, max_seq, 'm1',
            NULLIF(ARRAY(SELECT o FROM generate_series(0, (max_seq - min_seq)::int) o EXCEPT SELECT (q - min_seq)::int FROM unnest(seqs) q ORDER BY 1), '{}'),
            (SELECT array_agg((f - min_seq)::int ORDER BY f) FROM unnest(flagged) f), scores
       FROM (SELECT e.source_id, min(e.seq) AS min_seq, max(e.seq) AS max_seq, array_agg(e.seq ORDER BY e.seq) AS seqs,
                    array_agg(e.seq ORDER BY e.seq) FILTER (WHERE t.id IS NOT NULL) AS flagged,
                    array_agg(CASE WHEN t.id IS NOT NULL THEN 3.5 ELSE (e.seq % 997) / 500.0 END::real ORDER BY e.seq) AS scores
               FROM event_log e LEFT JOIN trade_current t ON t.source_id = e.source_id AND t.seq = e.seq AND t.id % 200 = 7
              WHERE e.status <> 'rejected' GROUP BY e.source_id, (e.seq - 1) / 1024) b`, `SELECT to_regclass('score_batch') IS NOT NULL AS ok`],
  ['scores (one row per event: the schema before migration 009)', `INSERT INTO event_score (source_id, seq, status, version_id, score, flagged)
     SELECT e.source_id, e.seq, 'scored', 'm1', CASE WHEN t.id IS NOT NULL THEN 3.5 ELSE (e.seq % 997) / 500.0 END, t.id IS NOT NULL
       FROM event_log e LEFT JOIN trade_current t ON t.source_id = e.source_id AND t.seq = e.seq AND t.id % 200 = 7
      WHERE e.status <> 'rejected'`, `SELECT to_regclass('score_batch') IS NULL AS ok`],
  ['review items', `INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, state, created_at)
     SELECT source_id, seq, trade_key, 'm1', 3.5, '[{"feature":"notional_z","value":9.1,"contribution":2.5}]',
            CASE WHEN id % 3 = 0 THEN 'open' WHEN id % 3 = 1 THEN 'confirmed' ELSE 'dismissed' END, last_event_at
       FROM trade_current WHERE id % 200 = 7`],
  ['audit', `INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at) SELECT 'system', 'exception', id::text, 'open', NULL, '{}', opened_at FROM exception`],
  ['alerts', `INSERT INTO alert (rule, dedup_key, severity, title, first_at, last_at, status)
     SELECT 'deadline', 'deadline:' || i, 'warning', 'deadline at risk ' || i, now(), now(), CASE WHEN i % 2 = 0 THEN 'open' ELSE 'resolved' END FROM generate_series(1, 200) i`],
  ['models', `INSERT INTO model_version (version_id, features_version, source, manifest, metrics, active) VALUES ('m1', 1, 'synthetic', '{}', '{"rocAuc":0.9}', true)`],
  ['reports', `INSERT INTO report_file (kind, report_date, path, format, rows, bytes, sha256, created_by)
     SELECT 'daily-activity', current_date - i, 'reports/daily-' || i || '.csv', 'csv', 1000, 100000, 'x', 'scheduler' FROM generate_series(1, 300) i`],
  ['analyze', 'ANALYZE'],
];

function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of each backend serving database `name`. */
async function backends(admin: pg.Client, name: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  return new Map(rows.map((r) => [r.pid, processCpu(r.pid)]));
}

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] }

/** The indexes a plan reads ("index (node type)") and the tables it scans whole ("seq scan table"). */
function accessPaths(node: PlanNode, out = new Set<string>()): Set<string> {
  if (node['Index Name']) out.add(`${node['Index Name']} (${node['Node Type']})`);
  else if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) out.add(`seq scan ${node['Relation Name']}`);
  for (const p of node.Plans ?? []) accessPaths(p, out);
  return out;
}

interface Recorded { text: string; values: unknown[] }

async function main(): Promise<void> {
  const server = await benchPostgres();
  const url = await server.freshDatabase();
  const dbName = new URL(url).pathname.slice(1);
  const db = new pg.Pool({ connectionString: url, max: 6 });
  const plain = new pg.Pool({ connectionString: url, max: 2 });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    const c = await db.connect();
    await migrate(c);
    c.release();
    const nowMs = Date.now();
    say(`loading ${TRADES} trades into ${server.kind}...`);
    let t0 = performance.now();
    const events = await copyEvents(db, nowMs);
    say(`COPY: ${events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s; projecting...`);

    // The projector's catch-up: wall time, and CPU of this process and of the database's backends.
    const pg0 = await backends(admin, dbName);
    const me0 = process.cpuUsage();
    t0 = performance.now();
    const projected = await new TradeProjector(db).catchUp();
    const projectS = (performance.now() - t0) / 1000;
    const me = process.cpuUsage(me0);
    let pgS = 0;
    for (const [pid, cpu] of await backends(admin, dbName)) pgS += cpu - (pg0.get(pid) ?? 0);
    const { rows: [size] } = await db.query<{ heap: string; indexes: string }>(
      `SELECT pg_relation_size('trade_current') AS heap, pg_indexes_size('trade_current') AS indexes`);
    const projection = {
      events: projected, seconds: round(projectS), eventsPerSecond: Math.round(projected / projectS),
      postgresUsPerEvent: round((pgS * 1e6) / projected, 2), projectorUsPerEvent: round(((me.user + me.system) / projected), 2),
      tradeCurrentHeapMiB: round(Number(size!.heap) / 2 ** 20), tradeCurrentIndexesMiB: round(Number(size!.indexes) / 2 ** 20),
    };
    say(`projector: ${JSON.stringify(projection)}`);

    const skipped: Record<string, string> = {};
    for (const [name, sql, when] of RELATED) {
      try {
        if (when && !(await db.query<{ ok: boolean }>(when)).rows[0]!.ok) continue;
        await db.query(sql);
      } catch (err) {
        skipped[name] = (err as Error).message;
        say(`related table step "${name}" failed and was skipped: ${(err as Error).message}`);
      }
    }

    // The console, its pool recording every query while `log` is set.
    let log: Recorded[] | undefined;
    const query = db.query.bind(db) as (...args: unknown[]) => unknown;
    (db as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (log && typeof args[0] === 'string') log.push({ text: args[0], values: Array.isArray(args[1]) ? args[1] : [] });
      return query(...args);
    };
    const config = { ...loadConfig({}).console, adminPassword: 'bench-password-1', jwtSecret: 'bench-secret-bench-secret-bench-secret!' };
    // No live-state ticks while measuring: their queries would be recorded as the endpoint's.
    const ui = await startConsole({ pool: db, config, metrics: createMetrics(), enginePool: db, regime: 'cftc-part45', projector: false, tickMs: 3_600_000 });
    const http = await listenHttp('127.0.0.1', 0, { metrics: createMetrics(), health: async () => ({ ok: true, detail: {} }), routes: [ui.routes] });
    const base = `http://127.0.0.1:${http.port}`;
    const token = ((await (await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-password-1' }) })).json()) as { accessToken: string }).accessToken;
    const get = async (path: string): Promise<string> => {
      const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
      return text;
    };

    const { rows: sample } = await plain.query<{ trade_key: string; counterparty1: string }>(`SELECT trade_key, counterparty1 FROM trade_current TABLESAMPLE SYSTEM (1) LIMIT 200`);
    const r = rng(3);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    let cursor: string | null = null;
    const since = new Date(nowMs - 30 * DAY).toISOString().slice(0, 10);
    const until = new Date(nowMs - 20 * DAY).toISOString().slice(0, 10);
    // bench:console's endpoints; every search uncached here (the cached one runs no query).
    const endpoints: { name: string; call: () => Promise<string> }[] = [
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
      { name: 'search (uncached)', call: () => { ui.dataVersion.bump(); return get(`/api/search?q=${encodeURIComponent(`status:nacked product:${pick(CLASSES)} notional>1e8`)}`); } },
      { name: 'search notional>1e9 since (uncached)', call: () => { ui.dataVersion.bump(); return get(`/api/search?q=${encodeURIComponent(`notional>1e9 since:${since}`)}`); } },
      { name: 'search status:live product:Credit (uncached)', call: () => { ui.dataVersion.bump(); return get(`/api/search?q=${encodeURIComponent('status:live product:Credit')}`); } },
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

    const results: Record<string, { httpMs: number[]; queries: { executionMs: number; planningMs: number; paths: string[] }[]; error?: string }> = {};
    const usedBy = new Map<string, Set<string>>();
    for (const e of endpoints) {
      const out: (typeof results)[string] = { httpMs: [], queries: [] };
      results[e.name] = out;
      for (let i = 0; i < PICKS; i++) {
        log = [];
        const t = performance.now();
        try {
          await e.call();
        } catch (err) {
          out.error = (err as Error).message.slice(0, 300);
        }
        out.httpMs.push(round(performance.now() - t));
        const recorded = log;
        log = undefined;
        for (const q of recorded) {
          if (!/^\s*(SELECT|WITH)\b/i.test(q.text)) continue;
          try {
            const { rows } = await plain.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }] }>(
              `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.text}`, q.values);
            const plan = rows[0]!['QUERY PLAN'][0];
            const paths = [...accessPaths(plan.Plan)].sort();
            out.queries.push({ executionMs: round(plan['Execution Time'], 2), planningMs: round(plan['Planning Time'], 2), paths });
            for (const p of paths) {
              const index = p.split(' (')[0]!;
              if (!usedBy.has(index)) usedBy.set(index, new Set());
              usedBy.get(index)!.add(e.name);
            }
          } catch (err) {
            out.queries.push({ executionMs: NaN, planningMs: NaN, paths: [`EXPLAIN failed: ${(err as Error).message.slice(0, 200)}`] });
          }
        }
      }
      const paths = [...new Set(out.queries.flatMap((q) => q.paths))].sort();
      const slowest = Math.max(0, ...out.queries.map((q) => q.executionMs).filter(Number.isFinite));
      say(`${e.name.padEnd(44)} http ${out.httpMs.join('/').padStart(18)} ms  slowest query ${slowest.toFixed(1).padStart(7)} ms  ${out.error ? `ERROR ${out.error.slice(0, 80)}  ` : ''}${paths.join(', ')}`);
    }

    const { rows: indexes } = await plain.query<{ name: string; def: string; bytes: string }>(
      `SELECT indexrelname AS name, pg_get_indexdef(indexrelid) AS def, pg_relation_size(indexrelid) AS bytes FROM pg_stat_user_indexes
        WHERE relname = 'trade_current' ORDER BY indexrelname`);
    const tradeCurrentIndexes = indexes.map((i) => ({
      index: i.name, definition: i.def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING btree /, ''), mib: round(Number(i.bytes) / 2 ** 20),
      usedBy: [...(usedBy.get(i.name) ?? [])],
    }));
    say('\ntrade_current indexes (the projector writes each; the primary key is also its ON CONFLICT arbiter):');
    for (const i of tradeCurrentIndexes) say(`  ${i.index.padEnd(28)} ${String(i.mib).padStart(6)} MiB  ${i.usedBy.length ? 'used by ' + i.usedBy.join('; ') : 'UNUSED by the console'}`);
    writeResult('consoleExplain', {
      machine: machine(), postgres: { server: server.kind, version: await serverVersion(server.adminUrl).catch(() => 'unknown') },
      trades: TRADES, events, picksPerEndpoint: PICKS, projection, relatedStepsSkipped: skipped, tradeCurrentIndexes, endpoints: results,
    });
    http.close();
    await ui.stop();
  } finally {
    await admin.end();
    await db.end();
    await plain.end();
    await server.close();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
