import { describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { metricValue, useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { DEALER_LEI, makeValidReport } from '../support/reports.js';

// Long enough to read the metric after the ack on a loaded machine.
const t = useTestEngine({ passivateAfterMs: 1_000 });

const metric = (name: string) => metricValue(t.engine, name);

describe('counterparty actors', () => {
  it('are passivated when idle and reload their trades from PostgreSQL when they wake', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    c.sendBatch(from, [makeValidReport({ uti: 'PASSIVE1', actionType: 'NEWT', minute: 1 }), makeValidReport({ uti: 'PASSIVE1', actionType: 'MODI', minute: 2 })]);
    await c.waitForAck(from + 1);
    expect(await metric('swaprep_counterparty_actors')).toBe(1);
    await expect.poll(() => metric('swaprep_counterparty_actors'), { timeout: 10_000, interval: 100 }).toBe(0);

    // The woken actor knows the trade: a second NEWT is a duplicate, a TERM makes version 3.
    c.sendBatch(from + 2, [makeValidReport({ uti: 'PASSIVE1', actionType: 'NEWT', minute: 3 }), makeValidReport({ uti: 'PASSIVE1', actionType: 'TERM', minute: 4 })]);
    await c.waitForAck(from + 3);
    const { rows } = await t.db.query<{ version: number; lifecycle: string }>(
      'SELECT version, lifecycle FROM trade_state WHERE trade_key = $1', [DEALER_LEI + 'PASSIVE1']);
    expect(rows).toEqual([{ version: 3, lifecycle: 'terminated' }]);
    const dup = await t.db.query<{ rule: string }>('SELECT rule FROM finding WHERE source_id = $1 AND seq = $2', ['fep1', from + 2]);
    expect(dup.rows.map((r) => r.rule)).toEqual(['LC-DUP-NEWT']);
    await c.close();
  });
});
