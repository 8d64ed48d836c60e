import { describe, expect, it } from 'vitest';
import { findSustainedRate, judgeProbe, type ProbeOutcome, type SearchOptions } from '../../bench/support/step-search.js';
import { median } from '../../bench/support/results.js';

const fine = (over: Partial<ProbeOutcome> = {}): ProbeOutcome => ({ sent: 1000, acked: 1000, errors: 0, gaveUp: false, latencyMs: { p99: 20 }, ...over });

describe('judgeProbe', () => {
  it('passes a run with every event acknowledged within the p99 bound', () => {
    expect(judgeProbe(fine({ latencyMs: { p99: 100 } }), 100)).toEqual({ ok: true, reason: '' });
  });

  it('fails on latency, lost acks, failed connections, a backlog give-up or an empty run, saying why', () => {
    expect(judgeProbe(fine({ latencyMs: { p99: 100.5 } }), 100)).toEqual({ ok: false, reason: 'p99 100.5 ms > 100 ms' });
    expect(judgeProbe(fine({ acked: 990 }), 100).reason).toBe('10 of 1000 events not acknowledged');
    expect(judgeProbe(fine({ errors: 1 }), 100).reason).toBe('1 connection(s) failed');
    expect(judgeProbe(fine({ gaveUp: true, acked: 400, latencyMs: { p99: 3000 } }), 100).reason).toBe(
      'backlog grew past the limit; 600 of 1000 events not acknowledged; p99 3000.0 ms > 100 ms',
    );
    expect(judgeProbe(fine({ sent: 0, acked: 0 }), 100).ok).toBe(false);
    expect(judgeProbe(fine({ latencyMs: { p99: Number.NaN } }), 100).ok).toBe(false);
  });
});

/** A simulated engine: p99 grows past the bound above `capacity` (lower for long runs, as a slow leak would). */
function engine(capacity: number, longCapacity = capacity) {
  const calls: { rate: number; seconds: number; phase: string }[] = [];
  const probe = async (rate: number, seconds: number, phase: 'probe' | 'confirm') => {
    calls.push({ rate, seconds, phase });
    const limit = phase === 'confirm' ? longCapacity : capacity;
    return fine({ latencyMs: { p99: rate <= limit ? 30 : 500 } });
  };
  return { calls, probe };
}

const options: SearchOptions = {
  startRate: 5000, maxRate: 200_000, minRate: 500, growth: 2, refineSteps: 2, stepDown: 0.8, maxConfirmations: 3,
  probeSeconds: 10, confirmSeconds: 60, maxP99Ms: 100,
};

describe('findSustainedRate', () => {
  it('steps up until a probe fails, bisects, and confirms the best probe for the long duration', async () => {
    const e = engine(13_000);
    const heard: number[] = [];
    const r = await findSustainedRate(options, e.probe, (a) => heard.push(a.rate));
    expect(e.calls).toEqual([
      { rate: 5000, seconds: 10, phase: 'probe' },
      { rate: 10_000, seconds: 10, phase: 'probe' },
      { rate: 20_000, seconds: 10, phase: 'probe' }, // fails
      { rate: 15_000, seconds: 10, phase: 'probe' }, // fails
      { rate: 12_500, seconds: 10, phase: 'probe' }, // passes
      { rate: 12_500, seconds: 60, phase: 'confirm' },
    ]);
    expect(r.sustainedRate).toBe(12_500);
    expect(r.confirmed?.phase).toBe('confirm');
    expect(r.attempts.map((a) => a.ok)).toEqual([true, true, false, false, true, true]);
    expect(heard).toEqual(r.attempts.map((a) => a.rate));
  });

  it('steps down from the best probe while confirmations fail', async () => {
    const e = engine(13_000, 9_000);
    const r = await findSustainedRate(options, e.probe);
    expect(e.calls.filter((c) => c.phase === 'confirm').map((c) => c.rate)).toEqual([12_500, 10_000, 8_000]);
    expect(r.sustainedRate).toBe(8_000);
  });

  it('gives no rate when every confirmation fails', async () => {
    const e = engine(13_000, 1_000);
    const r = await findSustainedRate(options, e.probe);
    expect(e.calls.filter((c) => c.phase === 'confirm')).toHaveLength(3);
    expect(r.sustainedRate).toBeUndefined();
    expect(r.confirmed).toBeUndefined();
  });

  it('steps down from the start when the first probe fails', async () => {
    const e = engine(1_800);
    const r = await findSustainedRate(options, e.probe);
    expect(e.calls.filter((c) => c.phase === 'probe').map((c) => c.rate)).toEqual([5000, 2500, 1300, 1900, 1600]);
    expect(r.sustainedRate).toBe(1600);
  });

  it('stops at the maximum rate, and below the minimum gives up', async () => {
    const fast = engine(1e9);
    expect((await findSustainedRate({ ...options, maxRate: 30_000 }, fast.probe)).sustainedRate).toBe(30_000);
    expect(fast.calls.map((c) => c.rate)).toEqual([5000, 10_000, 20_000, 30_000, 30_000]);
    const dead = engine(0);
    const r = await findSustainedRate(options, dead.probe);
    expect(r.sustainedRate).toBeUndefined();
    expect(dead.calls.map((c) => c.rate)).toEqual([5000, 2500, 1300, 700]);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, without reordering the input', () => {
    const values = [9, 1, 5];
    expect(median(values)).toBe(5);
    expect(values).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
