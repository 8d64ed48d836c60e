import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { runCli } from '../support/cli.js';

let engine: RunningEngine;
let db: pg.Pool;

beforeAll(async () => {
  engine = await startTestEngine();
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
});
afterAll(async () => {
  await db?.end();
  await engine?.stop();
});

interface Summary {
  sent: number;
  acked: number;
  errors: number;
  achievedRate: number;
  sustained: boolean;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
}

describe('swaprep loadtest', () => {
  it('drives a real engine over TCP with created sources and prints the JSON summary', async () => {
    const r = await runCli(['loadtest', '--to', `tcp://127.0.0.1:${engine.tcpPort}`, '--rate', '1000', '--duration', '2s', '--connections', '2', '--batch', '50', '--database-url', engine.databaseUrl]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s).toMatchObject({ sent: 2000, acked: 2000, errors: 0 });
    for (const k of ['p50', 'p90', 'p99', 'p999', 'max'] as const) expect(s.latencyMs[k]).toBeGreaterThan(0);
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM event_log WHERE source_id LIKE 'loadtest-%'`);
    expect(Number(rows[0]!.n)).toBe(2000);
  }, 60_000);

  it('drives it over gRPC as an existing source', async () => {
    const r = await runCli(['loadtest', '--to', `grpc://127.0.0.1:${engine.grpcPort}`, '--rate', '1000', '--duration', '1s', '--batch', '50', '--source', 'fep1', '--token', TEST_SOURCES.fep1]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sent: 1000, acked: 1000, errors: 0 });
  }, 60_000);

  it('refuses bad usage with a message', async () => {
    const r = await runCli(['loadtest', '--to', 'http://x:1', '--rate', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected tcp:\/\/HOST:PORT or grpc:\/\/HOST:PORT/);
  });
});
