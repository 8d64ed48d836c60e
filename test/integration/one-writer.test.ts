import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { startTestEngine, TEST_SOURCES, useTestEngine } from '../support/engine.js';
import { makeReports } from '../support/reports.js';
import { WriterLockHeldError } from '../../engine/store/writer-lock.js';

const t = useTestEngine();

async function healthz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('one writer per database', () => {
  it('a second engine on the same database refuses to start and names the holder; the first goes on', async () => {
    const error = await startTestEngine({ databaseUrl: t.engine.databaseUrl }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(WriterLockHeldError);
    expect((error as WriterLockHeldError).code).toBe('WRITER_LOCK_HELD');
    expect((error as Error).message).toMatch(new RegExp(`swaprep engine on .* pid ${process.pid}`));
    const client = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await client.hello('fep1', TEST_SOURCES.fep1)) + 1;
    client.sendBatch(from, makeReports(1_000, 10));
    await client.waitForAck(from + 9);
    await client.close();
  });

  it('an engine that loses the lock to another process acknowledges nothing until it takes it back, and loses nothing', async () => {
    const other = new pg.Client({ connectionString: t.engine.databaseUrl });
    await other.connect();
    try {
      const client = await FepTcpClient.connect(t.engine.tcpPort);
      const from = (await client.hello('fep2', TEST_SOURCES.fep2)) + 1;
      // The engine's lock connection is cut (as by a network fault) and another process takes the lock at once.
      await other.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'swaprep engine on %'`);
      await other.query('SELECT pg_advisory_lock(1398231122, 1)');
      client.sendBatch(from, makeReports(2_000, 20));
      await expect.poll(async () => (await healthz(t.engine.httpPort)).status, { timeout: 10_000 }).toBe(503);
      expect((await healthz(t.engine.httpPort)).body).toMatchObject({ writerLock: expect.stringMatching(/lost/) });
      expect(client.lastAck).toBeLessThan(from);
      expect(await t.storedCount('fep2')).toBe(from - 1);
      // The other process lets go: the engine takes the lock back and its group commits go through, once each.
      await other.query('SELECT pg_advisory_unlock(1398231122, 1)');
      await client.waitForAck(from + 19);
      expect(await t.storedCount('fep2')).toBe(from + 19);
      await expect.poll(async () => (await healthz(t.engine.httpPort)).status, { timeout: 10_000 }).toBe(200);
      await client.close();
    } finally {
      await other.end();
    }
  });
});

describe('resends', () => {
  it('a resend that Welcome already covered is acknowledged, and its Results carry the stored verdicts', async () => {
    const first = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await first.hello('fep1', TEST_SOURCES.fep1, true)) + 1;
    first.sendBatch(from, makeReports(3_000, 5));
    await first.waitForAck(from + 4);
    await expect.poll(() => first.results.length).toBe(5);
    const original = [...first.results].sort((a, b) => a.seq - b.seq);
    await first.close();

    const acks: number[] = [];
    const second = await FepTcpClient.connect(t.engine.tcpPort, '127.0.0.1', { onAck: (seq) => acks.push(seq) });
    const welcome = await second.hello('fep1', TEST_SOURCES.fep1, true);
    expect(welcome).toBe(from + 4);
    // All five again, then two new ones in a later frame: an Ack covers the resend, the new ones follow in order.
    second.sendBatch(from, makeReports(3_000, 5));
    second.sendBatch(from + 5, makeReports(3_005, 2));
    await expect.poll(() => acks.at(-1)).toBe(from + 6);
    expect(acks[0]).toBe(from + 4);
    await expect.poll(() => second.results.length).toBe(7);
    const resent = second.results.slice(0, 5);
    expect(resent.map((r) => r.seq)).toEqual(original.map((r) => r.seq));
    expect(resent.map((r) => ({ status: r.status, findings: r.findings.map((f) => f.rule).sort() })))
      .toEqual(original.map((r) => ({ status: r.status, findings: r.findings.map((f) => f.rule).sort() })));
    expect(original.some((r) => r.findings.length > 0)).toBe(true);
    expect(await t.storedCount('fep1')).toBe(from + 6);
    await second.close();
  });
});
