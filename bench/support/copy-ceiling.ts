import { readFileSync } from 'node:fs';
import pg from 'pg';
import { BinaryCopyEncoder, copyBinary } from '../../engine/store/copy-binary.js';
import { EVENT_COLUMNS } from '../../engine/store/group-commit.js';
import { migrate } from '../../engine/store/migrate.js';
import { scanClientFrame } from '../../engine/ingest/frame-scan.js';
import { processStats } from './process-stats.js';

export interface CeilingRows {
  reports: Uint8Array[];
  keys: { cp: string; uti: string }[];
}

/**
 * The rows for the ceiling from the very frames a driver sends (`frame` as for runOpenLoop, `batch` events
 * each): the reports as the engine stores them, with their counterparty 1 and UTI.
 */
export function ceilingRows(frame: (firstSeq: number, firstEvent: number) => Buffer, batch: number, count: number): CeilingRows {
  const rows: CeilingRows = { reports: [], keys: [] };
  for (let i = 0; i < count; i += batch) {
    const scanned = scanClientFrame(frame(i + 1, i).subarray(4));
    if (scanned.kind !== 'batch') throw new Error('expected a batch frame');
    for (const e of scanned.events) {
      rows.reports.push(e.report);
      rows.keys.push({ cp: e.counterparty1 ?? '', uti: e.tradeKey ?? '' });
    }
  }
  return rows;
}

/**
 * PostgreSQL's own COPY rate for the rows the engine writes per event (one event_log row), serialized
 * before the clock starts and sent in groups of `groupRows` per transaction: the ceiling no engine on
 * this database can beat.
 */
export async function copyCeiling(url: string, reports: readonly Uint8Array[], keys: readonly { cp: string; uti: string }[], groupRows = 10_000) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await migrate(client);
  const groups: Buffer[] = [];
  const now = Date.now();
  for (let g = 0; g < reports.length; g += groupRows) {
    const ev = new BinaryCopyEncoder(groupRows * 1500);
    for (let i = g; i < Math.min(reports.length, g + groupRows); i++) {
      const k = keys[i]!;
      ev.row(11).text('ceiling').int8(i + 1).timestamptzMs(now).text(k.uti).text(k.cp).text('NEWT').text('2024-01-01T00:00:00Z')
        .text('accepted').int4(1).text('live').bytea(reports[i]!);
    }
    groups.push(ev.finish());
  }
  const backend = await backendCpu(client);
  const started = performance.now();
  for (const g of groups) {
    await client.query('BEGIN');
    await copyBinary(client, 'event_log', EVENT_COLUMNS, g);
    await client.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  const backendCpuSeconds = backend.spent();
  await client.end();
  return {
    events: reports.length, seconds, eventsPerSecond: reports.length / seconds,
    /** The CPU its PostgreSQL backend spent per event (µs): the least any engine's events cost the database here. */
    postgresUsPerEvent: backendCpuSeconds === undefined ? undefined : Number(((backendCpuSeconds * 1e6) / reports.length).toFixed(2)),
  };
}

/**
 * Measures the CPU time of the client's backend process, when the server runs on this machine: the backend's pid
 * names a local process called postgres (a server elsewhere has pids of its own, which may name anything here).
 */
async function backendCpu(client: pg.Client): Promise<{ spent: () => number | undefined }> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  const local = (() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false;
    }
  })();
  if (!local) return { spent: () => undefined };
  const before = processStats(pid).cpuSeconds;
  return { spent: () => processStats(pid).cpuSeconds - before };
}
