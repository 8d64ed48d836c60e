import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { FlowGenerator, type FlowConfig } from '../../loadtest/generator.js';
import { Random, Zipf } from '../../loadtest/generator/random.js';

/** A digest of a flow: every record's bytes and every label, in order. */
function digest(config: Partial<FlowConfig> & { seed: number }, count: number): string {
  const h = createHash('sha256');
  for (const e of new FlowGenerator(config).take(count)) {
    h.update(SwapReport.encode(e.report).finish());
    h.update(JSON.stringify([e.n, e.tradeKey, e.actionType, e.eventType, e.invalid ?? null, e.anomaly ?? null]));
  }
  return h.digest('hex');
}

describe('synthetic flow determinism', () => {
  it('same seed and configuration, same flow (records and labels)', () => {
    const config = { seed: 42, invalidRate: 0.05, anomalyRate: 0.05 };
    expect(digest(config, 3000)).toBe(digest(config, 3000));
  });

  it('another seed or configuration gives another flow', () => {
    const a = digest({ seed: 42 }, 500);
    expect(digest({ seed: 43 }, 500)).not.toBe(a);
    expect(digest({ seed: 42, mix: { InterestRate: 0, Credit: 1, ForeignExchange: 0, Equity: 0, Commodity: 0 } }, 500)).not.toBe(a);
  });

  it('a flow is a prefix of a longer flow of the same seed', () => {
    const short = [...new FlowGenerator({ seed: 9 }).take(200)].map((e) => e.tradeKey + e.actionType);
    const long = [...new FlowGenerator({ seed: 9 }).take(400)].map((e) => e.tradeKey + e.actionType);
    expect(long.slice(0, 200)).toEqual(short);
  });

  it('the random source is seeded and roughly uniform; Zipf ranks are skewed', () => {
    const a = new Random(1);
    const b = new Random(1);
    const xs = Array.from({ length: 10_000 }, () => a.float());
    expect(Array.from({ length: 10_000 }, () => b.float())).toEqual(xs);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const z = new Zipf(1000, 1.1);
    const r = new Random(3);
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 50_000; i++) counts[z.sample(r)]!++;
    // Rank 1 about twice rank 2 (2^1.1), and the top 1% of ranks take well over 10% of draws.
    expect(counts[0]! / counts[1]!).toBeGreaterThan(1.7);
    expect(counts[0]! / counts[1]!).toBeLessThan(2.6);
    expect(counts.slice(0, 10).reduce((s, c) => s + c, 0) / 50_000).toBeGreaterThan(0.3);
  });
});
