import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadTrades, TradeLoader } from '../../actors/trade-loader.js';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { migratedTestDatabase } from '../support/database.js';

let pool: pg.Pool;
let queries = 0;

interface Row { cp: string; key: string; version: number; lifecycle: string; action: string; eventTs: string; execTs?: string }

// Two counterparties sharing a trade key, versions out of insertion order, a late event, and one errored trade.
const ROWS: Row[] = [
  { cp: 'CP-A', key: 'UTI-1', version: 2, lifecycle: 'live', action: 'MODI', eventTs: '2026-01-02T00:00:00Z' },
  { cp: 'CP-A', key: 'UTI-1', version: 1, lifecycle: 'live', action: 'NEWT', eventTs: '2026-01-01T00:00:00Z', execTs: '2025-12-31T10:00:00Z' },
  { cp: 'CP-A', key: 'UTI-1', version: 3, lifecycle: 'live', action: 'VALU', eventTs: '2026-01-01T12:00:00Z' },
  { cp: 'CP-A', key: 'UTI-2', version: 1, lifecycle: 'errored', action: 'EROR', eventTs: '2026-02-01T00:00:00Z', execTs: '2026-01-31T09:00:00.123Z' },
  { cp: 'CP-B', key: 'UTI-1', version: 1, lifecycle: 'terminated', action: 'TERM', eventTs: '2026-03-01T00:00:00Z', execTs: '2026-02-28T08:00:00Z' },
];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('loader'), max: 2 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
    queries++;
    return query(...args);
  };
  for (const [i, r] of ROWS.entries()) {
    const report = Buffer.from(SwapReport.encode(SwapReport.fromPartial({ executionTimestamp: r.execTs ?? '1999-01-01T00:00:00Z' })).finish());
    await pool.query(
      `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report)
       VALUES ('s', $1, now(), $2, $3, $4, $5, 'accepted', $6, $7, $8)`,
      [i + 1, r.key, r.cp, r.action, r.eventTs, r.version, r.lifecycle, report]);
  }
});

afterAll(async () => {
  await pool.end();
});

describe('TradeLoader', () => {
  it('loads many starting counterparties in a few queries, each with its own trades as the judge keeps them', async () => {
    const loader = new TradeLoader(pool);
    const others = Array.from({ length: 1_200 }, (_, i) => `CP-EMPTY-${i}`);
    queries = 0;
    const [a, b, ...empty] = await Promise.all(['CP-A', 'CP-B', ...others].map((cp) => loader.load(cp)));
    // 1,202 counterparties, at most 500 a query: 3 queries instead of 1,202.
    expect(queries).toBe(3);
    expect(empty.every((t) => t.size === 0)).toBe(true);
    expect(new Set(empty).size).toBe(empty.length);

    expect(a!.size).toBe(2);
    expect(a!.get('UTI-1')).toMatchObject({ counterparty1: 'CP-A', version: 3, status: 'live', lastActionType: 'VALU', executionTimestamp: '2025-12-31T10:00:00Z', lastEventTimestamp: '2026-01-02T00:00:00Z' });
    expect(a!.get('UTI-2')).toMatchObject({ version: 1, status: 'errored', lastActionType: 'EROR', executionTimestamp: '2026-01-31T09:00:00.123Z' });
    expect(b!.size).toBe(1);
    expect(b!.get('UTI-1')).toMatchObject({ counterparty1: 'CP-B', version: 1, status: 'terminated', executionTimestamp: '2026-02-28T08:00:00Z' });
  });

  it('gives a second request for the same counterparty a table of its own', async () => {
    const loader = new TradeLoader(pool);
    const [first, second] = await Promise.all([loader.load('CP-A'), loader.load('CP-A')]);
    expect(first).not.toBe(second);
    expect(second!.get('UTI-1')).toEqual(first!.get('UTI-1'));
  });

  it('fails every request of a query that fails, and serves the next ones', async () => {
    const broken = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 2_000 });
    const loader = new TradeLoader(broken);
    const results = await Promise.allSettled([loader.load('CP-A'), loader.load('CP-B')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await broken.end();
    expect((await loadTrades(pool, ['CP-B'])).get('CP-B')!.size).toBe(1);
  });
});
