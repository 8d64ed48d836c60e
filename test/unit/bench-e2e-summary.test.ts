import { describe, expect, it } from 'vitest';
import { e2eMedians, markdownTable, type RunFigures } from '../../bench/end-to-end/summary.js';
import { e2eSettings } from '../../bench/end-to-end/settings.js';

const latency = (p99: number) => ({ p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3 });
const run = (rate: number, baseline: number, ceiling: number, p99: number | null): RunFigures => ({
  engine: { sustainedRate: rate, atSustained: p99 === null ? null : { latencyMs: latency(p99), engineCpuCores: rate / 10_000, engineRssMiB: 300 }, enginePeakRssMiB: 400 },
  baseline: { rate: baseline },
  ceiling: { eventsPerSecond: ceiling },
});

describe('end-to-end medians', () => {
  it('takes each run\'s own ratios, and latency only from runs that confirmed a rate', () => {
    const m = e2eMedians([run(20_000, 1_000, 80_000, 40), run(30_000, 2_000, 60_000, 60), run(0, 1_500, 70_000, null)]);
    expect(m.sustainedEventsPerSecond).toBe(20_000);
    expect(m.runsSustained).toBe(2);
    expect(m.baselineEventsPerSecond).toBe(1_500);
    expect(m.copyCeilingEventsPerSecond).toBe(70_000);
    // Ratios per run: 20, 15, 0 → 15 (not 20,000 / 1,500).
    expect(m.ratioToBaseline).toBe(15);
    // 0.25, 0.5, 0 → 0.25.
    expect(m.ratioToCeiling).toBe(0.25);
    expect(m.latencyMs).toEqual({ p50: 12.5, p90: 25, p99: 50, p999: 100, max: 150 });
    expect(m.engineCpuCores).toBe(2.5);
  });

  it('has no latency figures when no run confirmed a rate, and refuses an empty list', () => {
    const m = e2eMedians([run(0, 1_000, 50_000, null)]);
    expect(m.latencyMs).toBeNull();
    expect(m.engineCpuCores).toBeNull();
    expect(() => e2eMedians([])).toThrow(/no runs/);
  });
});

describe('the README table', () => {
  it('shows measured figures and marks the sections not measured', () => {
    const medians = e2eMedians([run(52_000, 4_000, 100_000, 80)]);
    const table = markdownTable({ e2e: { medians, runs: 3, confirmSeconds: 60, maxP99Ms: 100 }, replay: { lines: 1_000_000, linesPerSecond: 61_234, peakRssMiB: 410 } });
    expect(table).toContain('| Engine, rules and scoring on: highest rate held 60 s with p99 ack ≤ 100 ms (median of 3 runs) | 52,000 events/s | ≥ 50,000 events/s |');
    expect(table).toContain('| Engine ÷ baseline | 13.0x | ≥ 10x |');
    expect(table).toContain('| Ack latency at that rate, p50 / p90 / p99 / p99.9 / max | 20.0 / 40.0 / 80.0 / 160.0 / 240.0 ms | p99 ≤ 100 ms |');
    expect(table).toContain('61,234 lines/s / 410 MiB');
    expect(table).toMatch(/live trades: RSS \/ heap after GC \| not measured in this run \|/);
  });
});

describe('settings', () => {
  it('runs the full benchmark by default, a short one with BENCH_QUICK=1, and lets BENCH_* override either', () => {
    const full = e2eSettings({});
    expect(full.sections).toEqual(['e2e', 'memory', 'replay']);
    expect(full.search.confirmSeconds).toBe(60);
    expect(full.search.maxP99Ms).toBe(100);
    expect(full.memoryTrades).toBe(1_000_000);
    expect(full.replayLines).toBe(1_000_000);
    const quick = e2eSettings({ BENCH_QUICK: '1', BENCH_ONLY: 'memory,replay', BENCH_MEMORY_TRADES: '2000' });
    expect(quick.sections).toEqual(['memory', 'replay']);
    expect(quick.search.confirmSeconds).toBeLessThan(full.search.confirmSeconds);
    expect(quick.memoryTrades).toBe(2000);
  });

  it('names a bad setting', () => {
    expect(() => e2eSettings({ BENCH_ONLY: 'e2e,speed' })).toThrow('BENCH_ONLY: "speed" is not one of e2e, memory, replay');
    expect(() => e2eSettings({ BENCH_RUNS: 'three' })).toThrow('BENCH_RUNS: "three" is not a number >= 1');
    expect(() => e2eSettings({ BENCH_INVALID_RATE: '5' })).toThrow(/BENCH_INVALID_RATE/);
  });
});
