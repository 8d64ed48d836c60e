// Features: the fast protobuf reader agrees with the full decoder on every corpus record, rows are
// deterministic and finite, the documentation table matches the code, and the 100x rate error stands out.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { inputFromBytes } from '../../gpu-pool/features/wire.js';
import { emptyInput, inputFromReport, type FeatureInput } from '../../gpu-pool/features/input.js';
import { featurize, FeatureState, productKey } from '../../gpu-pool/features/featurize.js';
import { FEATURE_COUNT, FEATURES, featureIndex } from '../../gpu-pool/features/table.js';
import { DecayedRate, RollingWindow, TradeMemory } from '../../gpu-pool/features/state.js';
import { loadRecords } from '../../gpu-pool/sample/templates.js';
import { plantAnomaly } from '../../gpu-pool/sample/anomalies.js';
import { Rng } from '../../gpu-pool/models/rng.js';
import { syntheticEvents } from '../../gpu-pool/sources.js';
import { topFeatures } from '../../gpu-pool/explain.js';
import { referenceParams } from '../../gpu-pool/train.js';
import { rowsOf, smallVersion } from './scoring-helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/drr-6.10/', import.meta.url));
const corpus = [...loadRecords(fixtures + 'cftc-part45'), ...loadRecords(fixtures + 'cftc-part43')];

/** NaN-aware deep equality of two feature inputs. */
function sameInput(a: FeatureInput, b: FeatureInput): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)) === JSON.stringify(b, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}

describe('feature input', () => {
  it('reads the same values from protobuf bytes as from the decoded record, on all 418 corpus records', () => {
    expect(corpus.length).toBe(418);
    for (const r of corpus) {
      const bytes = SwapReport.encode(r).finish();
      expect(sameInput(inputFromBytes(bytes), inputFromReport(SwapReport.decode(bytes))), r.uniqueTransactionIdentifier).toBe(true);
    }
  });

  it('reads a price, a strike and a spread under their first key in notation order, as the decoded record does', () => {
    const base = corpus.find((r) => r.leg1)!;
    const r: SwapReport = {
      ...base,
      price: { decimal: '0.25', monetary: '101.5' },
      strikePrice: { basis: '12', percentage: '0.031' },
      leg1: { ...base.leg1!, spread: { basis: '25' } },
    };
    const bytes = SwapReport.encode(r).finish();
    const input = inputFromBytes(bytes);
    expect(sameInput(input, inputFromReport(SwapReport.decode(bytes)))).toBe(true);
    expect([input.price, input.priceKey, input.strike, input.strikeKey, input.leg1.spreadKey]).toEqual([101.5, 'monetary', 0.031, 'percentage', 'basis']);
    expect(input.leg1.spread).toBeCloseTo(0.0025, 12);
  });

  it('rejects truncated bytes with an error instead of reading garbage', () => {
    const bytes = SwapReport.encode(corpus[0]!).finish();
    expect(() => inputFromBytes(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
  });
});

describe('feature rows', () => {
  it('are finite for every corpus record', () => {
    const state = new FeatureState();
    const row = new Float32Array(FEATURE_COUNT);
    for (const r of corpus) {
      featurize(state, inputFromReport(r), { sourceId: 's', receivedAtMs: 0, tradeKey: undefined }, row);
      expect(row.every(Number.isFinite)).toBe(true);
    }
  });

  it('are deterministic: the same flow gives the same rows, from records or from bytes', () => {
    const events = syntheticEvents(1500, 21);
    const a = rowsOf(events);
    const b = rowsOf(syntheticEvents(1500, 21));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const state = new FeatureState();
    const c = new Float32Array(events.length * FEATURE_COUNT);
    events.forEach((e, i) =>
      featurize(state, inputFromBytes(SwapReport.encode(e.report).finish()), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, c, i * FEATURE_COUNT),
    );
    expect(Buffer.from(c.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('make the 100x rate error stand out', () => {
    const events = syntheticEvents(4000, 4);
    const state = new FeatureState();
    const row = new Float32Array(FEATURE_COUNT);
    const rateLog = featureIndex('rate_log_vs_product');
    let normalMax = 0;
    let checked = 0;
    const rng = new Rng(1);
    const { version } = smallVersion();
    for (const [i, e] of events.entries()) {
      const ctx = { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey };
      if (i > 2000 && i % 50 === 0) {
        const broken = plantAnomaly('rate_100x', e.report, rng, { hasPrevious: false, otherCounterparty: '' });
        const history = state.products.get(productKey(inputFromReport(e.report)))?.windows.get('rateLog')?.size ?? 0;
        // A product's first 8 events have no median to compare with yet.
        if (broken && history >= 8) {
          featurize(state, inputFromReport(broken), ctx, row, 0, false);
          expect(row[rateLog]).toBeCloseTo(2, 0);
          expect(row[rateLog]!).toBeGreaterThan(5 * normalMax);
          // The explanation names a rate feature first.
          const top = topFeatures(referenceParams(version.models), version.manifest.ensemble, row, 0, 3);
          expect(top[0]!.feature).toMatch(/rate|notation/);
          checked++;
        }
      }
      featurize(state, inputFromReport(e.report), ctx, row);
      if (i > 2000) normalMax = Math.max(normalMax, Math.abs(row[rateLog]!));
    }
    expect(checked).toBeGreaterThan(10);
    expect(normalMax).toBeLessThan(0.3);
  });
});

describe('documentation', () => {
  it('gpu-pool/FEATURES.md lists every feature, in order, with its role and the description in the code', () => {
    const md = readFileSync(fileURLToPath(new URL('../../gpu-pool/FEATURES.md', import.meta.url)), 'utf8');
    const rows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(rows.length).toBe(FEATURES.length);
    rows.forEach((line, i) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      expect(cells.slice(1, 5)).toEqual([String(i), '`' + FEATURES[i]!.name + '`', FEATURES[i]!.role, FEATURES[i]!.description]);
    });
  });
});

describe('rolling state', () => {
  it('keeps the median and quartiles of the last N values', () => {
    const w = new RollingWindow(16);
    const rng = new Rng(3);
    const all: number[] = [];
    for (let i = 0; i < 200; i++) {
      const x = Math.round(rng.normal() * 100);
      w.push(x);
      all.push(x);
      const last = all.slice(-16).sort((a, b) => a - b);
      const q = (p: number) => {
        const pos = p * (last.length - 1);
        const lo = Math.floor(pos);
        return last[lo]! + (last[Math.min(lo + 1, last.length - 1)]! - last[lo]!) * (pos - lo);
      };
      expect(w.median()).toBeCloseTo(q(0.5), 9);
      expect(w.quantile(0.25)).toBeCloseTo(q(0.25), 9);
    }
  });

  const plain = (v: number) => ({ version: v, notional1Log: 1, rate: NaN, price: NaN, counterparty2: '', currency: '', productKey: '', effectiveMs: NaN, expirationMs: NaN });

  it('keeps a bounded number of trades, forgetting first those not rewritten since the hand last passed', () => {
    const m = new TradeMemory(4);
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, plain(1));
    m.set('d', plain(2)); // rewritten: updated in place, referenced
    m.set('a', plain(2)); // rewritten: referenced, so the hand passes it once
    m.set('e', plain(1)); // evicts the first unreferenced trade, b
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => m.get(k)?.version)).toEqual([2, undefined, 1, 2, 1]);
    expect(m.size).toBe(4);
  });

  it('gives back exactly what was written, through growth and slot reuse after eviction', () => {
    const m = new TradeMemory(1500);
    const memo = (i: number) => ({ version: i, notional1Log: i / 7, rate: i % 3 === 0 ? NaN : i * 1e-4, price: -i, counterparty2: `CP${i % 17}`,
      currency: i % 2 ? 'USD' : 'KRW', productKey: `P${i % 5}`, effectiveMs: 1.7e12 + i, expirationMs: i % 4 === 0 ? NaN : 1.8e12 + i });
    for (let i = 0; i < 3000; i++) m.set(`T${i}`, memo(i)); // the first 1,500 are evicted and their slots reused
    expect(m.size).toBe(1500);
    expect(m.get('T0')).toBeUndefined();
    for (const i of [1500, 2222, 2999]) expect(m.get(`T${i}`)).toEqual(memo(i));
  });

  it('when full, evicts in slot order, passing once over trades rewritten since', () => {
    const m = new TradeMemory(100);
    for (let i = 0; i < 100; i++) m.set(`T${i}`, plain(1));
    for (let i = 0; i < 10; i++) m.set(`T${i}`, plain(2)); // referenced: the hand clears their bit and moves on
    for (let i = 100; i < 150; i++) m.set(`T${i}`, plain(1)); // 50 evictions: T10..T59, not the rewritten T0..T9
    expect(m.size).toBe(100);
    expect([0, 9].map((i) => m.get(`T${i}`)?.version)).toEqual([2, 2]);
    expect([10, 59].map((i) => m.get(`T${i}`))).toEqual([undefined, undefined]);
    expect([60, 99, 149].map((i) => m.get(`T${i}`)?.version)).toEqual([1, 1, 1]);
  });

  it('finds every live trade and none of the evicted through a long run of evictions (the index closes its gaps)', () => {
    const m = new TradeMemory(1000);
    // Keys that differ in a character or two, and 50 times as many trades as room: each eviction takes an index
    // entry out of the middle of a probe run, and a lookup that stopped at the gap would lose a live trade.
    for (let i = 0; i < 50_000; i++) m.set(`UTI-2026-${i}`, plain(i));
    expect(m.size).toBe(1000);
    for (let i = 49_000; i < 50_000; i++) expect(m.get(`UTI-2026-${i}`)?.version).toBe(i);
    let found = 0;
    for (let i = 0; i < 49_000; i++) if (m.get(`UTI-2026-${i}`) !== undefined) found++;
    expect(found).toBe(0);
  });

  it('keeps rewriting a few trades for ever in the same slots', () => {
    const m = new TradeMemory(10);
    for (let v = 0; v < 100_000; v++) m.set(`T${v % 4}`, plain(v));
    expect(m.size).toBe(4);
    expect([0, 1, 2, 3].map((i) => m.get(`T${i}`)?.version)).toEqual([99_996, 99_997, 99_998, 99_999]);
  });
});

describe('source rates', () => {
  const steady = (perSecond: number, seconds: number) => Array.from({ length: perSecond * seconds }, (_, i) => 1_700_000_000_000 + Math.round((i * 1000) / perSecond));

  it('read a young source at its rate: a new source is not a burst against its own 10-minute rate', () => {
    const fast = new DecayedRate(10);
    const slow = new DecayedRate(600);
    let f = 0;
    let s = 0;
    for (const ms of steady(50, 60)) {
      f = fast.hit(ms);
      s = slow.hit(ms);
    }
    // One minute into a source sending 50 events/s: both windows read about 50/s, though the 10-minute one has seen a tenth of its span.
    expect(f).toBeGreaterThan(45);
    expect(f).toBeLessThan(55);
    expect(s).toBeGreaterThan(45);
    expect(s).toBeLessThan(55);
  });

  it('do not depend on the order events are counted in, within the window', () => {
    const times = steady(20, 30);
    const inOrder = new DecayedRate(10);
    for (const ms of times) inOrder.hit(ms);
    // Reversed in blocks of 100 (5 s), as counterparty actors hand a source's events over.
    const shuffled = new DecayedRate(10);
    for (let i = 0; i < times.length; i += 100) for (const ms of times.slice(i, i + 100).reverse()) shuffled.hit(ms);
    const end = times[times.length - 1]! + 1;
    expect(shuffled.peek(end)).toBeCloseTo(inOrder.peek(end), 6);
  });

  it("ignore a reporting time later than the event's arrival: one bad record must not stop its source's clock", () => {
    const state = new FeatureState();
    const row = new Float32Array(FEATURE_COUNT);
    const rateLog = featureIndex('source_rate_log');
    const t0 = Date.UTC(2026, 10, 2, 12);
    const event = (i: number, reportingMs = t0 + i * 100) => {
      const x = emptyInput();
      x.reportingMs = reportingMs;
      featurize(state, x, { sourceId: 'fep1', receivedAtMs: t0 + i * 100, tradeKey: undefined }, row);
      return row[rateLog]!;
    };
    for (let i = 0; i < 300; i++) event(i);
    const before = event(300);
    event(301, Date.UTC(2052, 0, 1)); // a typo in the year
    let after = 0;
    for (let i = 302; i < 400; i++) after = event(i);
    expect(before).toBeCloseTo(Math.log10(11), 1); // 10 events/s
    expect(after).toBeCloseTo(before, 1);
  });

  it('see a burst as one', () => {
    const fast = new DecayedRate(10);
    const slow = new DecayedRate(600);
    const quiet = steady(1, 600);
    for (const ms of quiet) { fast.hit(ms); slow.hit(ms); }
    const t = quiet[quiet.length - 1]!;
    let f = 0;
    let s = 0;
    for (let i = 0; i < 500; i++) { f = fast.hit(t + i * 10); s = slow.hit(t + i * 10); }
    expect(Math.log10((1 + f) / (1 + s))).toBeGreaterThan(1);
  });
});

describe('feature positions', () => {
  it('write each value where the table names it', () => {
    const base = loadRecords(fixtures + 'cftc-part45').find((r) => r.uniqueTransactionIdentifier === 'IRIRSFIXEDFLOATEXX01')!;
    const state = new FeatureState();
    const row = new Float32Array(FEATURE_COUNT);
    const at = (name: string) => row[featureIndex(name)];
    const first: SwapReport = { ...base, cleared: 'Y', executionTimestamp: '2026-03-07T12:00:00Z', eventTimestamp: '2026-03-07T12:00:00Z', reportingTimestamp: '2026-03-07T12:01:40Z' };
    featurize(state, inputFromReport(first), { sourceId: 's', receivedAtMs: 0, tradeKey: 'T', version: 1 }, row);
    expect([at('cleared'), at('asset_rates'), at('asset_fx'), at('action_new'), at('weekend'), at('has_rate'), at('has_price')]).toEqual([1, 1, 0, 1, 1, 1, 0]);
    expect(at('report_lag_log')).toBeCloseTo(Math.log10(101), 5);
    expect(at('time_of_day_cos')).toBeCloseTo(-1, 5);
    expect(at('notional1_log')).toBeCloseTo(Math.log10(1 + 1e7), 5);
    expect(at('previous_known')).toBe(0);
    const second: SwapReport = {
      ...first,
      actionType: 'MODI',
      counterparty2: 'OTHERCP0000000000000',
      leg1: { ...first.leg1!, notionalAmount: '5000000', fixedRate: '0.0263' },
      eventTimestamp: '2026-03-08T12:00:00Z',
      reportingTimestamp: '2026-03-08T12:00:10Z',
    };
    featurize(state, inputFromReport(second), { sourceId: 's', receivedAtMs: 1000, tradeKey: 'T', version: 2 }, row);
    expect([at('action_new'), at('action_modify'), at('previous_known'), at('counterparty2_changed'), at('duplicate_new')]).toEqual([0, 1, 1, 1, 0]);
    expect(at('notional_change')).toBeCloseTo(Math.log10(1 + 5e6) - Math.log10(1 + 1e7), 5);
    expect(at('rate_change')).toBeCloseTo(Math.log10(1 + 10), 4); // +10bp
    expect(at('pair_mismatch')).toBe(2); // the legs still name the old counterparty 2
    expect(at('event_age_log')).toBeCloseTo(Math.log10(1 + 86_400), 5);
    // The same version again (a resubmission) is not its own previous version.
    featurize(state, inputFromReport(second), { sourceId: 's', receivedAtMs: 2000, tradeKey: 'T', version: 2 }, row);
    expect(at('previous_known')).toBe(0);
  });
});
