import { afterEach, describe, expect, it } from 'vitest';
import { runOpenLoop } from '../../loadtest/open-loop.js';
import { flowFrames } from '../../loadtest/flow-frames.js';
import { startFakeFep, type FakeFep } from '../support/fake-fep.js';

let fake: FakeFep | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const frames = flowFrames({ seed: 3, batch: 20, records: 200 });
const drive = (transport: 'tcp' | 'grpc', port: number, extra: { rate?: number; durationMs?: number; drainMs?: number } = {}) =>
  runOpenLoop({
    transport, port, sourceId: 'fake', token: 't', rate: extra.rate ?? 2000, durationMs: extra.durationMs ?? 1500, batch: 20, connections: 2,
    frame: frames.frame, ...(extra.drainMs !== undefined ? { drainMs: extra.drainMs } : {}),
  });

describe('open-loop driver latency accounting', () => {
  for (const transport of ['tcp', 'grpc'] as const) {
    it(`measures a known ack delay (${transport})`, async () => {
      fake = await startFakeFep(() => 40);
      const r = await drive(transport, transport === 'tcp' ? fake.tcpPort : fake.grpcPort);
      expect(r.sent).toBe(3000);
      expect(r.acked).toBe(3000);
      expect(r.errors).toBe(0);
      expect(r.sustained).toBe(true);
      // 40 ms of engine delay plus timer and loopback slack, never less than the delay. The upper bound only rules
      // out a wrong origin (from the run's start, p50 would be about 750 ms): a loaded 2-core machine added up to
      // 57 ms of slack in a clean-clone run.
      expect(r.latencyMs.p50).toBeGreaterThanOrEqual(39);
      expect(r.latencyMs.p50).toBeLessThan(200);
      expect(r.achievedRate).toBeGreaterThan(1500);
    }, 30_000);
  }

  it('charges a stall to every event due during it (no coordinated omission)', async () => {
    // Acks are held back for events sent in a 400 ms window: an open-loop driver keeps sending on
    // schedule, so every event due in that window waits for the stall's end, not just the first one.
    let stallStart = 0;
    fake = await startFakeFep((now) => {
      stallStart ||= now + 500;
      return now >= stallStart && now < stallStart + 400 ? stallStart + 400 - now : 5;
    });
    const r = await drive('tcp', fake.tcpPort);
    expect(r.acked).toBe(3000);
    // About 800 of 3000 events (400 ms at 2000/s) waited 0-400 ms: p90 sits in the stall, max near 400 ms.
    expect(r.latencyMs.max).toBeGreaterThan(350);
    expect(r.latencyMs.p90).toBeGreaterThan(100);
    expect(r.latencyMs.p50).toBeLessThan(150); // far below the stall, above a loaded machine's slack (up to 57 ms seen)
    // The timeline puts the stall where it happened: only the seconds around it had acks later than 100 ms,
    // and they hold every event so delayed (about 600 of the 800 due in the stall waited over 100 ms).
    const late = r.timeline.filter((t) => t.over100ms > 0);
    expect(late.length).toBeGreaterThanOrEqual(1);
    expect(late.length).toBeLessThanOrEqual(2);
    expect(late.reduce((a, t) => a + t.over100ms, 0)).toBeGreaterThan(400);
    expect(Math.max(...r.timeline.map((t) => t.maxMs))).toBeCloseTo(r.latencyMs.max, -1);
    // The run's last half second was due after the stall (it covers about 0.5 to 0.9 s of the 1.5 s window).
    expect(r.timeline.at(-1)!.second).toBe(1);
    expect(r.timeline.at(-1)!.maxMs).toBeLessThan(150);
  }, 30_000);

  it('counts events never acknowledged with the latency they reached', async () => {
    let first = 0;
    fake = await startFakeFep((now) => {
      first ||= now;
      return now - first > 700 ? 60_000 : 5; // stops acknowledging after 0.7 s
    });
    const r = await drive('tcp', fake.tcpPort, { drainMs: 300 });
    expect(r.sustained).toBe(false);
    expect(r.acked).toBeLessThan(r.sent);
    // The last unacknowledged events were due up to ~1 s before the end of the drain.
    expect(r.latencyMs.max).toBeGreaterThan(250);
    expect(r.latencyMs.p99).toBeGreaterThan(250);
  }, 30_000);
});
