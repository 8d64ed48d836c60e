import { describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReport } from '../support/reports.js';

const t = useTestEngine({ passivateAfterMs: 200 });

const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${t.engine.httpPort}/metrics`)).text();
  return Number(text.split('\n').find((l) => l.startsWith(name + ' '))?.split(' ').pop());
};

describe('counterparty actors', () => {
  it('are passivated when idle and reload their trades from PostgreSQL when they wake', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    const cp = 'CPPASSIVE00000000001';
    c.sendBatch(from, [makeReport(1, { uti: 'PASSIVEUTI1', counterparty1: cp, actionType: 'NEWT' }), makeReport(2, { uti: 'PASSIVEUTI1', counterparty1: cp, actionType: 'MODI' })]);
    await c.waitForAck(from + 1);
    expect(await metric('swaprep_counterparty_actors')).toBe(1);
    await expect.poll(() => metric('swaprep_counterparty_actors'), { timeout: 5_000, interval: 100 }).toBe(0);

    // The woken actor knows the trade is at version 2 and live.
    c.sendBatch(from + 2, [makeReport(3, { uti: 'PASSIVEUTI1', counterparty1: cp, actionType: 'TERM' })]);
    await c.waitForAck(from + 2);
    const { rows } = await t.db.query<{ version: number; lifecycle: string }>(
      "SELECT version, lifecycle FROM trade_state WHERE trade_key = 'PASSIVEUTI1'");
    expect(rows).toEqual([{ version: 3, lifecycle: 'terminated' }]);
    await c.close();
  });
});
