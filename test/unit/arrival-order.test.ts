// Durable events leave the scoring thread's reorder buffer in the order their source sent them, once the
// source's durable watermark passes them, or after waiting too long.
import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../gpu-pool/arrival-order.js';
import type { ScoringEvent } from '../../gpu-pool/pipeline.js';

const ev = (sourceId: string, seq: number): ScoringEvent => ({ sourceId, seq, report: new Uint8Array(), receivedAtMs: 0, tradeKey: undefined, version: undefined });
const seqs = (events: ScoringEvent[]) => events.map((e) => `${e.sourceId}${e.seq}`);

describe('arrival order', () => {
  it('holds events above the watermark and releases them in seq order when it passes them', () => {
    const order = new ArrivalOrder();
    // Two actors' events of one group: counterparty B's first, then A's; seq 3 (rejected, never scored) is missing.
    expect(seqs(order.take([ev('s', 5), ev('s', 6), ev('s', 1), ev('s', 2)], new Map([['s', 2]]), 0))).toEqual(['s1', 's2']);
    expect(order.size).toBe(2);
    expect(seqs(order.take([ev('s', 4), ev('s', 8)], new Map([['s', 6]]), 10))).toEqual(['s4', 's5', 's6']);
    expect(seqs(order.take([ev('s', 7)], new Map([['s', 8]]), 20))).toEqual(['s7', 's8']);
    expect(order.size).toBe(0);
  });

  it('keeps sources apart and passes through a source without a watermark', () => {
    const order = new ArrivalOrder();
    const out = order.take([ev('a', 2), ev('b', 9), ev('a', 1), ev('b', 8)], new Map([['a', 1]]), 0);
    expect(seqs(out)).toEqual(['a1', 'b8', 'b9']);
    expect(seqs(order.drain())).toEqual(['a2']);
  });

  it('releases what waited longer than maxHoldMs, in seq order', () => {
    const order = new ArrivalOrder(1000);
    expect(order.take([ev('s', 12), ev('s', 11)], new Map([['s', 10]]), 0)).toEqual([]);
    expect(order.take([], new Map([['s', 10]]), 999)).toEqual([]);
    expect(seqs(order.take([], new Map([['s', 10]]), 1000))).toEqual(['s11', 's12']);
  });

  it('does not count a stalled engine as waiting: a hole filled after the stall still comes out in order', () => {
    const order = new ArrivalOrder(2000);
    // Seqs 3 and 4 are durable; 1 and 2 are in a group commit the engine has not heard back from when it stalls.
    expect(order.take([ev('s', 3), ev('s', 4)], new Map([['s', 0]]), 0)).toEqual([]);
    // 5 s of silence: the timer's checks see at most 1 s of the engine's clock pass.
    for (let t = 500; t <= 5000; t += 500) expect(order.expire(new Map([['s', 0]]), t)).toEqual([]);
    // The engine resumes: a delivery of other sources' events, then the group that fills the hole.
    expect(seqs(order.take([ev('x', 1)], new Map([['s', 0]]), 5010))).toEqual(['x1']);
    expect(seqs(order.take([ev('s', 1), ev('s', 2)], new Map([['s', 4]]), 5020))).toEqual(['s1', 's2', 's3', 's4']);
  });

  it('releases held events once the engine has been delivering for maxHoldMs, or after a long quiet', () => {
    const busy = new ArrivalOrder(2000);
    expect(busy.take([ev('s', 3)], new Map([['s', 1]]), 0)).toEqual([]);
    let t = 0;
    let out: ScoringEvent[] = [];
    while (out.length === 0 && t < 10_000) out = busy.take([], new Map([['s', 1]]), (t += 100));
    expect(seqs(out)).toEqual(['s3']);
    expect(t).toBe(2000);

    const quiet = new ArrivalOrder(2000);
    expect(quiet.take([ev('s', 3)], new Map([['s', 1]]), 0)).toEqual([]);
    expect(quiet.expire(new Map([['s', 1]]), 29_999)).toEqual([]);
    expect(seqs(quiet.expire(new Map([['s', 1]]), 30_000))).toEqual(['s3']);
  });
});
