// The SDR's side of 17 CFR part 43: the rule's tables (part43-tables.ts), the public record (public-record.ts:
// anonymous § 43.4(d), rounded § 43.4(f), capped § 43.4(g), delayed § 43.5) and the simulated SDR's tape.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { DEFAULT_PART43 } from '../../engine/reports/config.js';
import { BLOCK_DELAY_MINUTES, CAP_TABLE, LARGE_NOTIONAL_DELAY_MINUTES, LARGE_NOTIONAL_THRESHOLDS, PART43_RULE_TABLES, ROUNDING_TABLE } from '../../engine/reports/part43-tables.js';
import { createPublicRecordWriter } from '../../engine/reports/public-record.js';
import { PublicTape, PublicTapeError, type TapeEntry } from '../../loadtest/sdr-sim/public-tape.js';
import { CLIENT, DEALER, tradeReport } from '../support/trades.js';

const publicRecord = createPublicRecordWriter(DEFAULT_PART43);

/** A one-leg swap of an asset class, tenor in years, executed at 12:00Z, on or off a facility. */
function swap(o: { assetClass: string; years: number; notional: string; sef?: boolean; block?: boolean; large?: boolean; dealer?: boolean }): SwapReport {
  return SwapReport.fromPartial({
    actionType: 'NEWT', eventType: 'TRAD', executionTimestamp: '2024-04-01T12:00:00Z', uniqueTransactionIdentifier: `${DEALER}X`,
    counterparty1: DEALER, counterparty2: CLIENT, reportSubmittingEntityID: DEALER,
    effectiveDate: '2024-04-03', expirationDate: `${2024 + o.years}-04-03`, blockTradeElectionIndicator: o.block ?? false,
    cftcGuidebook: { assetClass: o.assetClass, sefOrDcmIndicator: o.sef ?? false, largeNotionalOffFacilitySwapElectionIndicator: o.large, sdMspIndicatorParty1: o.dealer ?? true, sdMspIndicatorParty2: false },
    leg1: { notionalAmount: o.notional, notionalCurrency: 'USD' },
  });
}
const leg1Of = (r: SwapReport) => String((JSON.parse(publicRecord(r, 0).record) as { leg1: { notionalAmount: unknown } }).leg1.notionalAmount);

describe('the rule tables', () => {
  it('are the defaults the engine and the simulated SDR use', () => {
    expect(DEFAULT_PART43).toMatchObject(PART43_RULE_TABLES);
    expect(ROUNDING_TABLE.map((s) => [s.below, s.unit])).toEqual([
      ['1000', '5'], ['10000', '100'], ['100000', '1000'], ['1000000', '10000'], ['100000000', '1000000'],
      ['500000000', '10000000'], ['1000000000', '50000000'], ['100000000000', '100000000'],
    ]);
    expect(BLOCK_DELAY_MINUTES).toBe(15);
    expect(LARGE_NOTIONAL_DELAY_MINUTES).toEqual({ dealer: 15, other: 120 });
    expect(CAP_TABLE.filter((c) => c.assetClass === 'InterestRate').map((c) => c.cap)).toEqual(['250000000', '100000000', '75000000']);
    expect(LARGE_NOTIONAL_THRESHOLDS.InterestRate).toBe('100000000');
  });
});

describe('the public record', () => {
  it.each([
    // One amount per § 43.4(f) band, under every cap.
    ['3', '5'], ['998', '1000'], ['1250', '1300'], ['12500', '13000'], ['125000', '130000'], ['12500000', '13000000'],
  ])('rounds %s to %s', (amount, shown) => {
    expect(leg1Of(swap({ assetClass: 'Equity', years: 1, notional: amount }))).toBe(shown);
  });

  it.each([
    ['InterestRate', 1, '250000001', '250000000+'], ['InterestRate', 1, '240000000', '240000000'],
    ['InterestRate', 5, '100000001', '100000000+'], ['InterestRate', 30, '80000000', '75000000+'],
    ['Credit', 5, '120000000', '100000000+'], ['Equity', 1, '260000000', '250000000+'],
    ['ForeignExchange', 1, '300000000', '250000000+'], ['Commodity', 1, '100000001', '100000000+'],
  ] as const)('caps %s (%i years) %s as %s (§ 43.4(g))', (assetClass, years, amount, shown) => {
    expect(leg1Of(swap({ assetClass, years, notional: amount }))).toBe(shown);
  });

  it.each([
    ['on-facility block', { sef: true, block: true }, 15, 'block'],
    ['on-facility, no block election', { sef: true }, 0, 'none'],
    ['off-facility under the minimum block size', { notional: '99000000' }, 0, 'none'],
    ['off-facility at the minimum block size, dealer party', { notional: '100000000' }, 15, 'large-notional'],
    ['off-facility at the minimum block size, no dealer party', { notional: '100000000', dealer: false }, 120, 'large-notional'],
    ['off-facility large notional election', { large: true }, 15, 'large-notional'],
  ] as const)('delays: %s', (_name, o, minutes, reason) => {
    const r = publicRecord(swap({ assetClass: 'InterestRate', years: 5, notional: '5000000', ...o }), 0);
    expect(r.delay).toEqual({ minutes, reason });
    expect(new Date(r.disseminateAtMs).toISOString()).toBe(new Date(Date.parse('2024-04-01T12:00:00Z') + minutes * 60_000).toISOString());
  });

  it('withholds identities and transaction identifiers (§ 43.4(d))', () => {
    const out = JSON.parse(publicRecord(tradeReport({ uti: `${DEALER}PUB` }), 0).record) as Record<string, unknown>;
    for (const gone of ['counterparty1', 'counterparty2', 'counterparty2IdentifierSource', 'reportSubmittingEntityID', 'uniqueTransactionIdentifier', 'uniqueSwapIdentifier']) {
      expect(out[gone], gone).toBeUndefined();
    }
    expect(JSON.stringify(out)).not.toContain(DEALER);
    expect(out.actionType).toBe('NEWT');
    expect(out.executionTimestamp).toBeDefined();
  });
});

describe('the simulated SDR public tape', () => {
  afterEach(() => vi.useRealTimers());

  it('publishes after the scaled delay, files the day, and refuses a bad date', () => {
    vi.useFakeTimers();
    const exec = Date.parse('2024-04-01T12:00:00Z');
    vi.setSystemTime(exec + 1_000);
    const dir = join(mkdtempSync(join(tmpdir(), 'swaprep-tape-unit-')), 'public-tape');
    const tape = new PublicTape({ part43: DEFAULT_PART43, dir, delayScale: 0.01 });
    tape.accept(swap({ assetClass: 'InterestRate', years: 5, notional: '150000000' })); // 15 minutes: 9 s at 1/100
    tape.accept(swap({ assetClass: 'InterestRate', years: 5, notional: '2000000' })); // none
    tape.accept(undefined); // a CSV record: counted, not published
    const entries = () => tape.linesOf('2024-04-01').trim().split('\n').filter((l) => l).map((l) => JSON.parse(l) as TapeEntry);
    expect(entries().map((e) => String((e.record.leg1 as Record<string, unknown>).notionalAmount))).toEqual(['2000000']);
    vi.advanceTimersByTime((15 * 60_000 - 1_000) * 0.01 - 10);
    expect(entries()).toHaveLength(1);
    vi.advanceTimersByTime(20);
    const all = entries();
    expect(all.map((e) => String((e.record.leg1 as Record<string, unknown>).notionalAmount))).toEqual(['2000000', '100000000+']);
    expect(all[1]!.delay).toEqual({ minutes: 15, reason: 'large-notional', notBefore: '2024-04-01T12:15:00.000Z' });
    expect(tape.stats).toEqual({ accepted: 3, pending: 0, disseminated: 2, notDisseminable: 1 });
    expect(readFileSync(join(dir, '2024-04-01.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(() => tape.linesOf('2024-4-1')).toThrow(PublicTapeError);
    tape.close();
  });
});
