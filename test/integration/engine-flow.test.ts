import { describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { flowFrames } from '../../loadtest/flow-frames.js';
import { loadConfig } from '../../engine/config.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';

// The whole way through a running engine with scoring on: FEP frames of the synthetic flow, rules,
// lifecycle, group commit, then the scoring thread (bootstrap model, features, ONNX pool, scores).
const t = useTestEngine({ scoring: { ...loadConfig({}).scoring, enabled: true, workers: 1 } });

describe('generated flows through the engine', () => {
  it('are accepted by the rulebook, stored as trade versions, and scored', async () => {
    const frames = flowFrames({ seed: 11, batch: 250, counterOffset: 1 });
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    for (let i = 0; i < 8; i++) c.socket.write(frames.frame(from + i * 250, i * 250));
    await c.waitForAck(from + 1999);
    await c.close();
    const statuses = await t.db.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM event_log WHERE source_id = 'fep1' GROUP BY status");
    expect(statuses.rows).toEqual([{ status: 'accepted', n: '2000' }]);
    const versions = await t.db.query<{ n: string }>("SELECT count(*) AS n FROM trade_state WHERE source_id = 'fep1' AND version = 1 AND lifecycle = 'live'");
    expect(Number(versions.rows[0]!.n)).toBe(2000);
    // Scoring follows durability asynchronously (a bootstrap model is trained first, then a sweep catches up).
    const scored = async () => Number((await t.db.query<{ n: string }>("SELECT count(*) AS n FROM event_score WHERE source_id = 'fep1' AND status = 'scored'")).rows[0]!.n);
    await expect.poll(scored, { timeout: 90_000, interval: 1_000 }).toBe(2000);
  }, 120_000);
});
