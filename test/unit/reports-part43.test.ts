// Part 43 public dissemination (the SDR's, 17 CFR 43.4(f)-(h), 43.5; engine/reports/part43-tables.ts): rounding table,
// caps with "+", dissemination delays, which events owe one.
import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { DEFAULT_PART43 } from '../../engine/reports/config.js';
import { formatScaled, parseScaled } from '../../engine/reports/decimal.js';
import { capFor, capOf, compilePart43, disseminationDelay, owesPart43, publicNotional, UNKNOWN_AMOUNT } from '../../engine/reports/part43.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG } from '../../engine/reports/index.js';

const p = compilePart43(DEFAULT_PART43);
const NO_CAP = capOf('1000000000000000000000');

describe('exact decimals', () => {
  it.each([
    ['0', '0'], ['12.5', '12.5'], ['115000000', '115000000'], ['1.15E8', '115000000'], ['2.5e-3', '0.0025'],
    ['99999999999999999999.99999', '99999999999999999999.99999'], ['-42.10', '-42.1'],
  ])('%s parses and formats back as %s', (text, back) => {
    expect(formatScaled(parseScaled(text)!)).toBe(back);
  });
  it('rejects text that is not a decimal', () => {
    expect(parseScaled('12,5')).toBeUndefined();
    expect(parseScaled('abc')).toBeUndefined();
    expect(parseScaled('1e999')).toBeUndefined();
  });
});

describe('Part 43 rounding (§ 43.4(f) table)', () => {
  it.each([
    ['0', '0'],
    ['2', '5'], // § 43.4(f)(1): "in no case" less than five
    ['0.01', '5'],
    ['3', '5'],
    ['7.4', '5'],
    ['7.5', '10'],
    ['997.5', '1000'], // nearest 5 below 1,000
    ['999', '1000'],
    ['1049', '1000'], // nearest 100 below 10,000
    ['1050', '1100'],
    ['9949.99', '9900'],
    ['12499', '12000'], // nearest 1,000 below 100,000
    ['12500', '13000'],
    ['99499', '99000'],
    ['123456', '120000'], // nearest 10,000 below 1 million
    ['995000', '1000000'],
    ['1499999', '1000000'], // nearest 1 million below 100 million
    ['15500000', '16000000'],
    ['99400000', '99000000'],
    ['104999999', '100000000'], // nearest 10 million below 500 million
    ['115000000', '120000000'],
    ['499999999', '500000000'],
    ['524999999', '500000000'], // nearest 50 million below 1 billion
    ['525000000', '550000000'],
    ['1049999999', '1000000000'], // nearest 100 million below 100 billion
    ['12345678901', '12300000000'],
    ['124999999999', '100000000000'], // nearest 50 billion at or above 100 billion
    ['125000000000', '150000000000'],
    ['12345678901234567890.12345', '12345678900000000000'],
  ])('%s rounds to %s', (amount, expected) => {
    expect(publicNotional(p, amount, NO_CAP)).toBe(expected);
  });

  it('gives the same result on the integer fast path and the exact decimal path', () => {
    for (let i = 0; i < 2000; i++) {
      const a = String(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
      expect(publicNotional(p, a, NO_CAP), a).toBe(publicNotional(p, a + '.0', NO_CAP));
    }
  });

  it('passes the "unknown" all-9s value and non-numbers through', () => {
    expect(publicNotional(p, UNKNOWN_AMOUNT, NO_CAP)).toBe(UNKNOWN_AMOUNT);
    expect(publicNotional(p, 'n/a', NO_CAP)).toBe('n/a');
  });
});

describe('Part 43 caps (§ 43.4(g))', () => {
  const rec = (assetClass: string, effectiveDate: string, expirationDate: string) =>
    SwapReport.fromPartial({ cftcGuidebook: { assetClass }, effectiveDate, expirationDate });

  it.each([
    ['InterestRate', '2024-01-10', '2025-01-10', '250000000'],
    ['InterestRate', '2024-01-10', '2030-01-10', '100000000'],
    ['InterestRate', '2024-01-10', '2054-01-10', '75000000'],
    ['Credit', '2024-01-10', '2029-01-10', '100000000'],
    ['Equity', '2024-01-10', '2025-01-10', '250000000'],
    ['ForeignExchange', '2024-01-10', '2024-04-10', '250000000'],
    ['Commodity', '2024-01-10', '2025-01-10', '100000000'],
    ['Unknown', '2024-01-10', '2025-01-10', '250000000'],
  ])('%s %s..%s is capped at %s', (assetClass, eff, exp, cap) => {
    expect(formatScaled(capFor(p, rec(assetClass, eff, exp)).scaled)).toBe(cap);
  });

  it.each([
    ['250000000', '250000000'],
    ['250000001', '250000000+'],
    ['1000000000', '250000000+'],
    ['249999999', '250000000'], // rounds up to the cap without exceeding it: no "+"
  ])('against a 250 million cap, %s is shown as %s', (amount, shown) => {
    expect(publicNotional(p, amount, capOf('250000000'))).toBe(shown);
  });

  it('compares in USD when rates are configured', () => {
    const withRates = compilePart43({ ...DEFAULT_PART43, usdRates: { KRW: 0.00075 } });
    // 400 billion KRW = 300 million USD > 250 million USD cap
    expect(publicNotional(withRates, '400000000000', capOf('250000000'), 'KRW')).toBe('250000000+');
    expect(publicNotional(withRates, '300000000000', capOf('250000000'), 'KRW')).toBe('300000000000');
  });
});

describe('Part 43 dissemination delay (§ 43.5, § 43.6)', () => {
  const base = { leg1: { notionalAmount: '1000000', notionalCurrency: 'USD' } };
  it.each([
    ['on-facility, not a block', { ...base, blockTradeElectionIndicator: false, cftcGuidebook: { sefOrDcmIndicator: true, assetClass: 'InterestRate' } }, true, 0, 'none'],
    ['on-facility block', { ...base, blockTradeElectionIndicator: true, cftcGuidebook: { sefOrDcmIndicator: true, assetClass: 'InterestRate' } }, true, 15, 'block'],
    ['off-facility small', { ...base, cftcGuidebook: { sefOrDcmIndicator: false, assetClass: 'InterestRate' } }, true, 0, 'none'],
    ['off-facility large election, dealer', { ...base, cftcGuidebook: { sefOrDcmIndicator: false, largeNotionalOffFacilitySwapElectionIndicator: true } }, true, 15, 'large-notional'],
    ['off-facility large election, no dealer', { ...base, cftcGuidebook: { sefOrDcmIndicator: false, largeNotionalOffFacilitySwapElectionIndicator: true } }, false, 120, 'large-notional'],
    ['off-facility over the threshold', { leg1: { notionalAmount: '150000000' }, cftcGuidebook: { sefOrDcmIndicator: false, assetClass: 'InterestRate' } }, false, 120, 'large-notional'],
    ['off-facility just under the threshold', { leg1: { notionalAmount: '99999999.99' }, cftcGuidebook: { sefOrDcmIndicator: false, assetClass: 'InterestRate' } }, false, 0, 'none'],
  ] as const)('%s', (_name, partial, dealer, minutes, reason) => {
    expect(disseminationDelay(p, SwapReport.fromPartial(partial), dealer)).toEqual({ minutes, reason });
  });

  it('owes Part 43 only for public actions and event types', () => {
    expect(owesPart43(p, SwapReport.fromPartial({ actionType: 'NEWT', eventType: 'TRAD' }))).toBe(true);
    expect(owesPart43(p, SwapReport.fromPartial({ actionType: 'NEWT', eventType: 'CLRG' }))).toBe(false);
    expect(owesPart43(p, SwapReport.fromPartial({ actionType: 'NEWT', eventType: 'ALOC' }))).toBe(false);
    expect(owesPart43(p, SwapReport.fromPartial({ actionType: 'VALU' }))).toBe(false);
    expect(owesPart43(p, SwapReport.fromPartial({ actionType: 'CORR' }))).toBe(true);
  });

  it('sets the dissemination time and deadline of a built Part 43 report from the delay', () => {
    const b = createReportBuilder(DEFAULT_REPORTS_CONFIG);
    const r = SwapReport.fromPartial({
      actionType: 'NEWT', eventType: 'TRAD', executionTimestamp: '2024-04-01T12:00:00Z', blockTradeElectionIndicator: true,
      cftcGuidebook: { sefOrDcmIndicator: true, assetClass: 'InterestRate' }, leg1: { notionalAmount: '5000000', notionalCurrency: 'USD' },
    });
    const built = b.build('cftc-part43', r, 0, 'json');
    expect(new Date(built.disseminateAtMs!).toISOString()).toBe('2024-04-01T12:15:00.000Z');
    expect(new Date(built.dueAtMs).toISOString()).toBe('2024-04-01T12:30:00.000Z');
  });
});
