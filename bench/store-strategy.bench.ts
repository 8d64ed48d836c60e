/**
 * npm run bench:store — how the spine keeps trade state, decided by measurement (engine/store/group-commit.ts):
 *   append-only   every event_log row carries the trade version it made; current state is a view
 *   upsert        event_log plus a current-state table, written through a staging table and
 *                 INSERT ... ON CONFLICT DO UPDATE (one row per trade)
 * and, for the append-only layout, key columns in the "C" collation versus the database default.
 * The same pre-serialized rows (corpus records, half new trades and half updates of earlier ones) go in
 * groups of 2,000 per transaction, as the engine's group commits do. Medians of BENCH_RUNS (3) runs.
 */
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { BinaryCopyEncoder } from '../engine/store/copy-binary.js';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus, corpusEventSource } from '../loadtest/corpus-reports.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const GROUP = 2_000;

interface Row { cp: string; uti: string; version: number; seq: number; report: Uint8Array }

const EVENT_LOG = (coll: string, withVersion: boolean) => `CREATE TABLE event_log (
  source_id text ${coll} NOT NULL, seq bigint NOT NULL, received_at timestamptz NOT NULL, trade_key text ${coll},
  counterparty1 text ${coll}, action_type text, event_timestamp text, status text NOT NULL,
  ${withVersion ? 'version integer, lifecycle text,' : ''} report bytea NOT NULL, PRIMARY KEY (source_id, seq));
  ${withVersion ? `CREATE UNIQUE INDEX ON event_log (counterparty1, trade_key, version) WHERE version IS NOT NULL;` : ''}`;

const LAYOUTS = {
  appendOnlyC: { ddl: EVENT_LOG('COLLATE "C"', true), upsert: false },
  appendOnlyDefaultCollation: { ddl: EVENT_LOG('', true), upsert: false },
  stagingUpsertC: {
    ddl: EVENT_LOG('COLLATE "C"', false) + `
      CREATE TABLE trade_current (counterparty1 text COLLATE "C" NOT NULL, trade_key text COLLATE "C" NOT NULL, version integer NOT NULL,
        lifecycle text NOT NULL, source_id text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (counterparty1, trade_key));`,
    upsert: true,
  },
} as const;

async function trial(url: string, layout: (typeof LAYOUTS)[keyof typeof LAYOUTS], rows: readonly Row[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(layout.ddl);
  if (layout.upsert) await c.query('CREATE UNLOGGED TABLE stage (LIKE trade_current)');
  const now = Date.now();
  const groups: { events: Buffer; states: Buffer }[] = [];
  for (let g = 0; g < rows.length; g += GROUP) {
    const ev = new BinaryCopyEncoder(GROUP * 1500);
    const st = new BinaryCopyEncoder(GROUP * 120);
    for (const r of rows.slice(g, g + GROUP)) {
      ev.row(layout.upsert ? 9 : 11).text('bench').int8(r.seq).timestamptzMs(now).text(r.uti).text(r.cp).text('NEWT').text('2024-01-01T00:00:00Z').text('accepted');
      if (!layout.upsert) ev.int4(r.version).text('live');
      ev.bytea(r.report);
      st.row(6).text(r.cp).text(r.uti).int4(r.version).text('live').text('bench').int8(r.seq);
    }
    groups.push({ events: ev.finish(), states: st.finish() });
  }
  const copy = (table: string, data: Buffer) => pipeline(Readable.from([data]), c.query(copyStreams.from(`COPY ${table} FROM STDIN WITH (FORMAT binary)`)));
  const started = performance.now();
  for (const g of groups) {
    await c.query('BEGIN');
    await copy('event_log', g.events);
    if (layout.upsert) {
      await c.query('TRUNCATE stage');
      await copy('stage', g.states);
      // A group may touch a trade twice: keep its highest version.
      await c.query(`INSERT INTO trade_current SELECT DISTINCT ON (counterparty1, trade_key) * FROM stage ORDER BY counterparty1, trade_key, version DESC
        ON CONFLICT (counterparty1, trade_key) DO UPDATE SET version = EXCLUDED.version, lifecycle = EXCLUDED.lifecycle,
          source_id = EXCLUDED.source_id, seq = EXCLUDED.seq WHERE trade_current.version < EXCLUDED.version`);
    }
    await c.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  await c.end();
  return rows.length / seconds;
}

async function main() {
  const records = loadCorpus(join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45'));
  const event = corpusEventSource(records, 200, 'STORE');
  // Half the events open a trade, half update one opened earlier.
  const rows: Row[] = [];
  const versions = new Map<number, number>();
  let seed = 0x2545f491;
  const random = () => {
    // xorshift32: deterministic, so every run and layout sees the same rows.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < EVENTS; i++) {
    const trade = i % 2 === 0 || i < 1000 ? i : 2 * Math.floor((random() * i) / 2);
    const version = (versions.get(trade) ?? 0) + 1;
    versions.set(trade, version);
    rows.push({ cp: `5493${String(trade % 200).padStart(14, '0')}00`, uti: `STOREUTI${trade}`, version, seq: i + 1, report: event(i) });
  }
  const server = await benchPostgres();
  const results: Record<string, number[]> = {};
  for (let run = 0; run < RUNS; run++) {
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      const rate = await trial(await server.freshDatabase(), layout, rows);
      (results[name] ??= []).push(Math.round(rate));
      process.stderr.write(`run ${run + 1} ${name}: ${Math.round(rate)} events/s\n`);
    }
  }
  const medians = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  writeResult('storeStrategy', {
    machine: machine(), postgres: { server: server.kind, version: await serverVersion(server.adminUrl) },
    settings: { runs: RUNS, events: EVENTS, groupRows: GROUP, mix: 'half new trades, half updates' },
    medianEventsPerSecond: medians, runs: results,
    winner: Object.entries(medians).sort((a, b) => b[1] - a[1])[0]![0],
  });
  process.stdout.write(JSON.stringify(medians, null, 2) + '\n');
  await server.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:store failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
