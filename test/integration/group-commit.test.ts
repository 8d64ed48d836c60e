import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { GroupCommitWriter, defaultGroupCommitOptions } from '../../engine/store/group-commit.js';
import { advanceDurableSeqsSql, upsertSource } from '../../engine/store/sources.js';
import type { StoredEvent } from '../../engine/store/stored-event.js';
import { createMetrics } from '../../engine/metrics.js';
import { createPool } from '../../engine/store/database.js';
import { migratedTestDatabase } from '../support/database.js';

let pool: pg.Pool;
let url: string;
// A quote in the id: the watermark SQL travels as literals with the COMMIT, so it must be quoted right.
const SOURCE = "fep-o'brien";

function event(seq: number, findings = 0): StoredEvent {
  return {
    sourceId: SOURCE, seq, receivedAtMs: Date.now(), tradeKey: `UTI-${seq}`, counterparty1: 'CP-1', actionType: 'NEWT',
    eventTimestamp: '2026-01-01T00:00:00Z', status: findings > 0 ? 'accepted_with_warnings' : 'accepted', version: 1, lifecycle: 'live',
    report: Buffer.from([seq & 0xff]),
    findings: Array.from({ length: findings }, (_, i) => ({ rule: `R${i}`, element: '1', path: 'p', severity: 'warning' as const, message: `finding ${i} of ${seq}` })),
    receipt: undefined,
  };
}

/** A writer whose watermark statement records `seq` for SOURCE; returns the groups it reported durable. */
function writer(watermark: () => number) {
  const durable: number[][] = [];
  const w = new GroupCommitWriter(pool, { ...defaultGroupCommitOptions, maxWaitMs: 1 }, (g) => durable.push(g.map((e) => e.seq)), createMetrics(),
    (client) => advanceDurableSeqsSql(client, [SOURCE], [watermark()]));
  return { w, durable };
}

async function stored(): Promise<{ events: number[]; findings: number; durableSeq: number }> {
  const events = (await pool.query<{ seq: string }>('SELECT seq FROM event_log WHERE source_id = $1 ORDER BY seq', [SOURCE])).rows.map((r) => Number(r.seq));
  const findings = Number((await pool.query<{ n: string }>('SELECT count(*) n FROM finding WHERE source_id = $1', [SOURCE])).rows[0]!.n);
  const durableSeq = Number((await pool.query<{ d: string }>('SELECT durable_seq d FROM fep_source WHERE source_id = $1', [SOURCE])).rows[0]!.d);
  return { events, findings, durableSeq };
}

beforeAll(async () => {
  url = await migratedTestDatabase('groupcommit');
  pool = new pg.Pool({ connectionString: url, max: 4 });
  await upsertSource(pool, SOURCE, 'token');
});

afterAll(async () => {
  await pool.end();
});

describe('GroupCommitWriter', () => {
  it('stores events and their findings, runs the watermark statement in the same transaction, and reports each group once durable', async () => {
    const { w, durable } = writer(() => 3);
    w.write([event(1), event(2, 2), event(3, 1)]);
    await w.drain();
    expect(durable.flat()).toEqual([1, 2, 3]);
    expect(await stored()).toEqual({ events: [1, 2, 3], findings: 3, durableSeq: 3 });
  });

  it('retries a group that failed (a COMMIT whose reply was lost had stored it) without storing any event or finding twice', async () => {
    // Events 4 and 5 are already in the log, as after a COMMIT that succeeded but whose reply never came: the
    // first attempt's COPY hits their keys, and the retry must store 6 and its findings alone.
    const first = writer(() => 5);
    first.w.write([event(4, 1), event(5, 1)]);
    await first.w.drain();

    const { w, durable } = writer(() => 6);
    w.write([event(4, 1), event(5, 1), event(6, 2)]);
    await w.drain();
    expect(durable.flat()).toEqual([4, 5, 6]);
    expect(await stored()).toEqual({ events: [1, 2, 3, 4, 5, 6], findings: 3 + 2 + 2, durableSeq: 6 });
  });

  it('commits groups in the order they were formed: a later group waits for an earlier one that is slow to commit', async () => {
    // The first group's COMMIT message sleeps 0.4 s in the database; the second group, formed meanwhile, has its COPY
    // done long before. Were it to commit first, a crash in between would leave a trade's later version without its
    // earlier one (a hole a resend would then fill out of order).
    let calls = 0;
    const durable: number[][] = [];
    const w = new GroupCommitWriter(pool, { ...defaultGroupCommitOptions, maxWaitMs: 1, maxInFlight: 2 }, (g) => durable.push(g.map((e) => e.seq)), createMetrics(),
      (client) => (calls++ === 0 ? 'SELECT pg_sleep(0.4);\n' : '') + advanceDurableSeqsSql(client, [SOURCE], [0]));
    w.write([event(20)]);
    await expect.poll(() => calls).toBe(1);
    w.write([event(21)]);
    // While the first group sleeps inside its COMMIT, the second one is not visible either.
    const seen: number[][] = [];
    while (durable.length === 0) {
      seen.push((await pool.query<{ seq: string }>('SELECT seq FROM event_log WHERE source_id = $1 AND seq IN (20, 21) ORDER BY seq', [SOURCE])).rows.map((r) => Number(r.seq)));
    }
    await w.drain();
    expect(durable).toEqual([[20], [21]]);
    expect(seen.some((s) => s.length === 0)).toBe(true);
    expect(seen.filter((s) => s.includes(21) && !s.includes(20))).toEqual([]);
  });

  it('does not skip a conflict other than the event key: the group waits, reported blocked, until the conflict is gone', async () => {
    // Event 30 makes trade UTI-X version 1, which another writer has already stored under (other-source, 1).
    await upsertSource(pool, 'other-source', 'token');
    await pool.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report)
      VALUES ('other-source', 1, now(), 'UTI-X', 'CP-1', 'NEWT', '2026-01-01T00:00:00Z', 'accepted', 1, 'live', '\\x00')`);
    const { w, durable } = writer(() => 0);
    w.write([{ ...event(30), tradeKey: 'UTI-X' }]);
    await expect.poll(() => w.blockedBy, { timeout: 10_000 }).toMatch(/event_log_trade_version/);
    expect(durable).toEqual([]);
    expect((await stored()).events).not.toContain(30);
    // The operator removes the other writer's row: the retry commits, and the group is reported durable once.
    await pool.query(`DELETE FROM event_log WHERE source_id = 'other-source'`);
    await w.drain();
    expect(durable).toEqual([[30]]);
    expect(w.blockedBy).toBeUndefined();
    expect((await stored()).events).toContain(30);
  });

  it('never lowers a durable watermark', async () => {
    const { w } = writer(() => 2);
    w.write([event(7)]);
    await w.drain();
    expect((await stored()).durableSeq).toBe(6);
  });
});

describe('createPool', () => {
  it("asks PostgreSQL to write back the pages its connections write every 256 kB (the server's default waits for the kernel)", async () => {
    const engine = createPool(url, 2);
    try {
      const [a, b] = await Promise.all([engine.connect(), engine.connect()]);
      const settings = await Promise.all([a!, b!].map(async (c) => (await c.query<{ backend_flush_after: string }>('SHOW backend_flush_after')).rows[0]!.backend_flush_after));
      a!.release();
      b!.release();
      expect(settings).toEqual(['256kB', '256kB']);
      expect((await pool.query<{ backend_flush_after: string }>('SHOW backend_flush_after')).rows[0]!.backend_flush_after).not.toBe('256kB');
    } finally {
      await engine.end();
    }
  });
});
