import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { createTestDatabase } from '../support/database.js';
import { startChildEngine, type ChildEngine } from '../../loadtest/engine-process.js';
import { makeReports } from '../support/reports.js';

const TOTAL = 30_000;
const BATCH = 200;
let databaseUrl: string;
let db: pg.Pool;
const env = () => ({ DATABASE_URL: databaseUrl, SWAPREP_SOURCES: 'crashfep=crash-token' });

beforeAll(async () => {
  databaseUrl = await createTestDatabase('crash');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
});
afterAll(async () => {
  await db?.end();
});

/** Streams seqs [from, TOTAL] as fast as the socket takes them until `stopAt` acks arrive (or all do). */
async function streamUntil(engine: ChildEngine, stopAtAck: number): Promise<{ welcome: number; lastAck: number; client: FepTcpClient }> {
  const client = await FepTcpClient.connect(engine.tcpPort);
  const welcome = await client.hello('crashfep', 'crash-token');
  for (let seq = welcome + 1; seq <= TOTAL; seq += BATCH) {
    const n = Math.min(BATCH, TOTAL - seq + 1);
    if (!client.sendBatch(seq, makeReports(seq, n))) await new Promise((r) => client.socket.once('drain', r));
    if (client.lastAck >= stopAtAck || client.error) break;
  }
  await client.waitForAck(Math.min(stopAtAck, TOTAL)).catch(() => {});
  return { welcome, lastAck: client.lastAck, client };
}

describe('crash safety', () => {
  it('after kill -9 mid-stream and a restart, resending from Welcome stores everything exactly once', async () => {
    const acked: number[] = [];
    for (const killAt of [4_000, 15_000]) {
      const engine = await startChildEngine(env());
      const { welcome, client } = await streamUntil(engine, killAt);
      expect(welcome).toBeGreaterThanOrEqual(acked.at(-1) ?? 0);
      // Kill while batches are still in flight: acknowledged events must survive, the rest is resent.
      engine.process.kill('SIGKILL');
      await engine.exited;
      await client.closed();
      acked.push(client.lastAck);
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id = $1 AND seq <= $2', ['crashfep', client.lastAck]);
      expect(Number(rows[0]!.n)).toBe(client.lastAck);
    }
    // Final run: resume from Welcome and finish the stream, then stop gracefully.
    const engine = await startChildEngine(env());
    const { welcome, client } = await streamUntil(engine, TOTAL);
    expect(welcome).toBeGreaterThanOrEqual(acked.at(-1)!);
    expect(client.lastAck).toBe(TOTAL);
    await client.close();
    engine.process.kill('SIGTERM');
    expect(await engine.exited).toBe(0);

    const { rows } = await db.query<{ n: string; distinct_seq: string; min: string; max: string }>(
      'SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq, min(seq) AS min, max(seq) AS max FROM event_log WHERE source_id = $1', ['crashfep']);
    expect(rows[0]).toEqual({ n: String(TOTAL), distinct_seq: String(TOTAL), min: '1', max: String(TOTAL) });
    // Every stored event was judged exactly once (these bare reports fail the rulebook: one REQ-P45 set each).
    const judged = await db.query<{ n: string; with_findings: string }>(
      "SELECT count(*) FILTER (WHERE status = 'rejected') AS n, (SELECT count(DISTINCT seq) FROM finding WHERE source_id = 'crashfep') AS with_findings FROM event_log WHERE source_id = 'crashfep'");
    expect(judged.rows[0]).toEqual({ n: String(TOTAL), with_findings: String(TOTAL) });
    const cleared = await db.query<{ n: string }>("SELECT count(*) AS n FROM finding WHERE source_id = 'crashfep' AND rule = 'REQ-P45' AND path = 'cleared'");
    expect(Number(cleared.rows[0]!.n)).toBe(TOTAL);
  });
});
