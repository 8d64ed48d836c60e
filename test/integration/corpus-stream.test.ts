import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { loadCorpus, corpusEventSource } from '../../loadtest/corpus-reports.js';
import { projectRoot } from '../../engine/project-root.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';

const TOTAL = 100_000;
const BATCH = 500;
const t = useTestEngine();

describe('the acceptance stream', () => {
  it('acknowledges 100,000 corpus-built events, stores each exactly once, and stores nothing on a resend of the last 10,000', async () => {
    const records = loadCorpus(join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45'));
    expect(records.length).toBe(209);
    const event = corpusEventSource(records, 50, 'ACC');
    const client = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await client.hello('fep1', TEST_SOURCES.fep1)).toBe(0);
    for (let seq = 1; seq <= TOTAL; seq += BATCH) {
      const reports = Array.from({ length: BATCH }, (_, i) => event(seq + i - 1));
      if (!client.sendBatch(seq, reports)) await new Promise((r) => client.socket.once('drain', r));
    }
    await client.waitForAck(TOTAL);
    await client.close();
    const count = () => t.storedCount('fep1');
    expect(await count()).toBe(TOTAL);

    const again = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await again.hello('fep1', TEST_SOURCES.fep1)).toBe(TOTAL);
    for (let seq = TOTAL - 10_000 + 1; seq <= TOTAL; seq += BATCH) again.sendBatch(seq, Array.from({ length: BATCH }, (_, i) => event(seq + i - 1)));
    await again.waitForAck(TOTAL);
    await again.close();
    expect(await count()).toBe(TOTAL);

    // What was stored is the record as sent: spot-check one event byte for byte and decoded.
    const { rows } = await t.db.query<{ report: Buffer; trade_key: string }>("SELECT report, trade_key FROM event_log WHERE source_id = 'fep1' AND seq = 4242");
    expect(Buffer.compare(rows[0]!.report, Buffer.from(event(4241)))).toBe(0);
    expect(SwapReport.decode(rows[0]!.report).uniqueTransactionIdentifier).toBe(rows[0]!.trade_key);
  }, 240_000);
});
