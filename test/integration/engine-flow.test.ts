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
    // The bootstrap model learned the generator's flow: a few of its events are flagged, not a flood.
    const flagged = Number((await t.db.query<{ n: string }>("SELECT count(*) AS n FROM event_score WHERE source_id = 'fep1' AND flagged")).rows[0]!.n);
    expect(flagged).toBeLessThan(100);
    // /metrics reports what the scoring thread counted (it reports about once a second).
    const sample = async (outcome: string) => {
      const text = await (await fetch(`http://127.0.0.1:${t.engine.httpPort}/metrics`)).text();
      return Number(new RegExp(`^swaprep_scored_events_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    await expect.poll(() => sample('scored'), { timeout: 10_000, interval: 500 }).toBe(2000);
    expect((await sample('flagged')) || 0).toBe(flagged); // a series appears with its first count
    const health = (await (await fetch(`http://127.0.0.1:${t.engine.httpPort}/healthz`)).json()) as { scoring: string };
    expect(health.scoring).toMatch(/^model version v\S+; \d+ events queued$/);
  }, 120_000);
});
