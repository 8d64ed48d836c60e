/**
 * The console's API with a big database: loads SWAPREP_BENCH_TRADES trades (default 1,000,000) straight into
 * event_log with binary COPY, lets the trade projector build trade_current (its rate is reported), generates the
 * submission path's tables from them in SQL (a submission and a response per trade, NACK exceptions, review
 * items, findings, alerts, audit), then times every page's API calls over real HTTP against the 300 ms goal.
 *
 *   npm run build && SWAPREP_BENCH_TRADES=1000000 npm run bench:console
 *
 * Env: SWAPREP_BENCH_TRADES (trades), SWAPREP_BENCH_CALLS (calls per endpoint per run, default 15),
 * SWAPREP_BENCH_RUNS (runs, default 3), DATABASE_URL (server to use; default the local one or an embedded one).
 */
import pg from 'pg';
import { loadConfig } from '../engine/config.js';
import { listenHttp } from '../engine/http/http-server.js';
import { createMetrics } from '../engine/metrics.js';
import { migrate } from '../engine/store/migrate.js';
import { startConsole } from '../ui/server/console.js';
import { TradeProjector } from '../ui/server/projector.js';
import { benchPostgres } from './support/postgres.js';
import { benchEndpoints, copyEvents, RELATED_STEPS, TRADES } from './support/console-data.js';
import { machine, median, writeResult } from './support/results.js';

const CALLS = Number(process.env.SWAPREP_BENCH_CALLS ?? 15);
const RUNS = Number(process.env.SWAPREP_BENCH_RUNS ?? 3);
const GOAL_MS = 300;

/** The related tables, generated in SQL from the projected trades; returns the milliseconds it took. */
async function fillRelated(db: pg.Pool): Promise<number> {
  const t0 = performance.now();
  for (const sql of RELATED_STEPS) await db.query(sql);
  return performance.now() - t0;
}

interface Timed { name: string; call: () => Promise<string> }

async function main(): Promise<void> {
  const server = await benchPostgres();
  const url = await server.freshDatabase();
  const db = new pg.Pool({ connectionString: url, max: 6 });
  const c = await db.connect();
  await migrate(c);
  c.release();
  const nowMs = Date.now();
  process.stderr.write(`loading ${TRADES} trades into ${server.kind}...\n`);
  const load = await copyEvents(db, nowMs);
  process.stderr.write(`COPY: ${load.events} events in ${(load.ms / 1000).toFixed(1)} s; projecting...\n`);

  const config = { ...loadConfig({}).console, adminPassword: 'bench-password-1', jwtSecret: 'bench-secret-bench-secret-bench-secret!' };
  const ui = await startConsole({ pool: db, config, metrics: createMetrics(), enginePool: db, regime: 'cftc-part45', projector: false });
  const p0 = performance.now();
  const projected = await new TradeProjector(db).catchUp();
  const projectMs = performance.now() - p0;
  process.stderr.write(`projector: ${projected} events in ${(projectMs / 1000).toFixed(1)} s; generating related tables...\n`);
  const relatedMs = await fillRelated(db);
  const http = await listenHttp('127.0.0.1', 0, { metrics: createMetrics(), health: async () => ({ ok: true, detail: {} }), routes: [ui.routes] });
  const base = `http://127.0.0.1:${http.port}`;
  const token = ((await (await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-password-1' }) })).json()) as { accessToken: string }).accessToken;
  const get = async (path: string): Promise<string> => {
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
    return text;
  };

  const { rows: sample } = await db.query<{ trade_key: string; counterparty1: string }>(`SELECT trade_key, counterparty1 FROM trade_current TABLESAMPLE SYSTEM (1) LIMIT 200`);
  const endpoints: Timed[] = benchEndpoints(get, () => ui.dataVersion.bump(), sample, nowMs, true);

  const results: Record<string, { runs: { medianMs: number; p95Ms: number }[]; medianMs: number; p95Ms: number; meetsGoal: boolean }> = {};
  for (const e of endpoints) {
    const runs: { medianMs: number; p95Ms: number }[] = [];
    const all: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const t0 = performance.now();
        await e.call();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      runs.push({ medianMs: median(times), p95Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]! });
      all.push(...times);
    }
    all.sort((a, b) => a - b);
    const p95 = all[Math.min(all.length - 1, Math.floor(all.length * 0.95))]!;
    const med = median(runs.map((x) => x.medianMs));
    results[e.name] = { runs, medianMs: round(med), p95Ms: round(p95), meetsGoal: p95 < GOAL_MS };
    process.stderr.write(`${e.name.padEnd(40)} median ${med.toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms${p95 < GOAL_MS ? '' : '   OVER GOAL'}\n`);
  }
  const { rows: counts } = await db.query<{ trades: string; submissions: string; exceptions: string }>(
    `SELECT (SELECT count(*) FROM trade_current) AS trades, (SELECT count(*) FROM submission) AS submissions, (SELECT count(*) FROM exception) AS exceptions`);
  writeResult('console', {
    machine: machine(), postgres: server.kind, goalMs: GOAL_MS, callsPerRun: CALLS, runs: RUNS,
    data: { trades: Number(counts[0]!.trades), events: load.events, submissions: Number(counts[0]!.submissions), exceptions: Number(counts[0]!.exceptions) },
    load: { copyEventsPerSecond: Math.round(load.events / (load.ms / 1000)), projectorEventsPerSecond: Math.round(projected / (projectMs / 1000)), relatedTablesMs: Math.round(relatedMs) },
    endpoints: results,
    allMeetGoal: Object.values(results).every((x) => x.meetsGoal),
  });
  http.close();
  await ui.stop();
  await db.end();
  // A million trades take gigabytes: the database goes unless SWAPREP_BENCH_KEEP_DB is set.
  if (!process.env.SWAPREP_BENCH_KEEP_DB) {
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)}`);
    await admin.end();
  }
  await server.close();
}

const round = (x: number) => Math.round(x * 10) / 10;

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
