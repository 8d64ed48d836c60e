import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { flowFrames } from '../../loadtest/flow-frames.js';
import { flowJsonText } from '../../loadtest/flow-files.js';
import { runClosedLoop } from '../../loadtest/closed-loop.js';
import { serveBaseline } from '../../bench/support/http-baseline.js';
import { runHttpLoad } from '../../bench/support/http-load.js';
import { createTestDatabase } from '../support/database.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';

// The end-to-end benchmark's drivers against real parts: the closed-loop FEP driver (memory section)
// against an engine, and the HTTP baseline server with its load client against PostgreSQL.
const t = useTestEngine();

describe('closed-loop FEP driver', () => {
  it('sends exactly the events asked for, each a new trade, and returns once all are acknowledged', async () => {
    const frames = flowFrames({ seed: 5, batch: 100, records: 500, counterOffset: 1 });
    const r = await runClosedLoop({
      port: t.engine.tcpPort, sourceId: 'fep1', token: TEST_SOURCES.fep1, total: 3000, batch: 100, connections: 1, window: 500, frame: frames.frame,
    });
    expect(r).toMatchObject({ sent: 3000, acked: 3000 });
    const stored = await t.db.query<{ n: string; trades: string }>("SELECT count(*) AS n, count(DISTINCT trade_key) AS trades FROM event_log WHERE source_id = 'fep1' AND version = 1");
    expect(stored.rows[0]).toEqual({ n: '3000', trades: '3000' });
  });

  it('refuses a total that is not whole batches, and reports a refused source', async () => {
    const frames = flowFrames({ seed: 5, batch: 100, records: 200 });
    const base = { port: t.engine.tcpPort, sourceId: 'fep2', token: TEST_SOURCES.fep2, batch: 100, connections: 1, window: 500, frame: frames.frame };
    await expect(runClosedLoop({ ...base, total: 150 })).rejects.toThrow('total 150 is not a multiple of the batch size 100');
    await expect(runClosedLoop({ ...base, token: 'wrong', total: 200 })).rejects.toThrow();
  });
});

describe('HTTP baseline', () => {
  let url: string;
  let server: Awaited<ReturnType<typeof serveBaseline>>;
  beforeAll(async () => {
    url = await createTestDatabase('baseline');
    server = await serveBaseline(url);
  });
  afterAll(async () => server?.close());

  it('stores one row per answered POST, the record as sent', async () => {
    const events = flowFrames({ seed: 5, batch: 50, records: 50 }).events;
    const r = await runHttpLoad({ port: server.port, path: '/events', bodies: events.map(flowJsonText), concurrency: 4, durationMs: 500 });
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const rows = await db.query<{ n: string }>('SELECT count(*) AS n FROM baseline_event');
      expect(Number(rows.rows[0]!.n)).toBe(r.requests);
      const first = await db.query<{ uti: string; report: Record<string, unknown> }>('SELECT uti, report FROM baseline_event ORDER BY id LIMIT 1');
      expect(first.rows[0]!.uti).toBe(events[0]!.tradeKey);
      expect(first.rows[0]!.report.counterparty1).toBe(events[0]!.report.counterparty1);
    } finally {
      await db.end();
    }
  });

  it('answers 400 to a body that is not an event', async () => {
    const post = (body: string) => fetch(`http://127.0.0.1:${server.port}/events`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('{not json')).status).toBe(400);
    expect((await post('{"actionType":"NEWT"}')).status).toBe(400);
  });
});
