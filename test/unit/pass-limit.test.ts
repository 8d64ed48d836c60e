// PassLimit: how a cursor follower of the event log finds the one event that makes its passes fail (bisection),
// sets it aside and goes on, instead of retrying the same pass forever.
import { describe, expect, it } from 'vitest';
import { PassLimit } from '../../engine/store/dead-letters.js';

/**
 * A follower over events 1..n (a pass reads at most `limit` events after its cursor and fails when any of them is
 * bad, as one transaction would), run until its cursor reaches n.
 */
function follow(n: number, bad: ReadonlySet<number>, max: number) {
  const limit = new PassLimit(max);
  const committed: number[] = [];
  const setAside: number[] = [];
  const passesToIsolate: number[] = [];
  let cursor = 0;
  let passes = 0;
  /** Passes since the first failure of the current search (the failing pass, the bisection, the isolation). */
  let searchPasses = 0;
  while (cursor < n) {
    if (++passes > 10 * n + 100) throw new Error('the follower does not progress');
    const read = Math.min(limit.limit, n - cursor);
    const window = Array.from({ length: read }, (_, i) => cursor + 1 + i);
    const fails = window.some((seq) => bad.has(seq));
    if (fails || limit.searching) searchPasses++;
    if (fails) {
      if (limit.failed(read) === 'isolated') {
        setAside.push(window[0]!);
        cursor = window[0]!;
        passesToIsolate.push(searchPasses);
        searchPasses = 0;
      }
    } else {
      committed.push(...window);
      cursor += read;
      limit.succeeded(read);
    }
  }
  return { committed, setAside, passes, passesToIsolate, limit };
}

describe('PassLimit', () => {
  it('starts at the batch size, halves on a failure and says "isolated" when a pass of one event fails', () => {
    const limit = new PassLimit(8);
    expect(limit.limit).toBe(8);
    expect(limit.searching).toBe(false);
    expect(limit.failed()).toBe('retry');
    expect(limit.limit).toBe(4);
    expect(limit.searching).toBe(true);
    expect(limit.failed()).toBe('retry');
    expect(limit.failed()).toBe('retry');
    expect(limit.limit).toBe(1);
    expect(limit.failed()).toBe('isolated');
    // Back to full passes after the event is set aside.
    expect(limit.limit).toBe(8);
    expect(limit.searching).toBe(false);
  });

  it('a failed pass that read a single event (all there was) isolates it at once', () => {
    const limit = new PassLimit(5_000);
    expect(limit.failed(1)).toBe('isolated');
    expect(limit.limit).toBe(5_000);
  });

  it('halves what the failed pass read, not the limit, when it read fewer events than it could', () => {
    const limit = new PassLimit(5_000);
    expect(limit.failed(6)).toBe('retry');
    expect(limit.limit).toBe(3);
  });

  it('once the suspects are all read without a failure, doubles back towards the batch size, never above it', () => {
    const limit = new PassLimit(100);
    limit.failed(100);
    expect(limit.limit).toBe(50);
    // Every later pass succeeds (e.g. two events that fail only together, now in different passes).
    let passes = 0;
    while (limit.searching) {
      limit.succeeded(limit.limit);
      passes++;
    }
    expect(passes).toBeLessThanOrEqual(9);
    expect(limit.limit).toBe(2);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      limit.succeeded();
      seen.push(limit.limit);
    }
    expect(seen).toEqual([4, 8, 16, 32, 64, 100, 100, 100]);
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => new PassLimit(0)).toThrow(RangeError);
    expect(() => new PassLimit(2.5)).toThrow(RangeError);
  });

  it('finds one bad event among 10,000 in about 14 passes, wherever it is, committing every other event once', () => {
    for (const badSeq of [1, 2, 777, 4_999, 5_000, 5_001, 9_999, 10_000]) {
      const r = follow(10_000, new Set([badSeq]), 10_000);
      expect(r.setAside).toEqual([badSeq]);
      expect(r.committed).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1).filter((s) => s !== badSeq));
      // The failing pass, one pass per halving (at most ⌈log2 10,000⌉ = 14), and the pass of the bad event alone.
      expect(r.passesToIsolate[0]).toBeLessThanOrEqual(16);
      expect(r.limit.limit).toBe(10_000);
    }
  });

  it('sets aside several bad events, adjacent ones too, and the last event of the stream', () => {
    const bad = new Set([3, 4, 2_500, 2_501, 2_502, 4_000]);
    const r = follow(4_000, bad, 1_000);
    expect(r.setAside).toEqual([...bad].sort((a, b) => a - b));
    expect(r.committed.length).toBe(4_000 - bad.size);
    expect(new Set(r.committed).size).toBe(r.committed.length);
    for (const n of r.passesToIsolate) expect(n).toBeLessThanOrEqual(12); // ⌈log2 1,000⌉ = 10, the failing pass and the isolating one
  });

  it('with every event bad, still moves one event per pass', () => {
    const r = follow(50, new Set(Array.from({ length: 50 }, (_, i) => i + 1)), 1);
    expect(r.setAside.length).toBe(50);
    expect(r.passes).toBe(50);
  });
});
