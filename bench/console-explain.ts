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
 * The data is bench:console's (bench/support/console-data.ts); a step of the related tables that fails is reported
 * and skipped.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { loadConfig } from '../engine/config.js';
import { listenHttp } from '../engine/http/http-server.js';
import { createMetrics } from '../engine/metrics.js';
import { migrate } from '../engine/store/migrate.js';
import { startConsole } from '../ui/server/console.js';
import { TradeProjector } from '../ui/server/projector.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { benchEndpoints, copyEvents, RELATED_STEPS, TRADES } from './support/console-data.js';
import { machine, writeResult } from './support/results.js';

const PICKS = Number(process.env.SWAPREP_EXPLAIN_PICKS ?? 3);
const say = (m: string) => process.stderr.write(m + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

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
    const { events } = await copyEvents(db, nowMs);
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
    for (const [i, sql] of RELATED_STEPS.entries()) {
      try {
        await db.query(sql);
      } catch (err) {
        skipped[`step ${i + 1}`] = (err as Error).message;
        say(`related table step ${i + 1} failed and was skipped: ${(err as Error).message}`);
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
    // bench:console's endpoints; every search uncached here (the cached one runs no query).
    const endpoints = benchEndpoints(get, () => ui.dataVersion.bump(), sample, nowMs, false);

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
