/**
 * Regime profiles: the KTFC projection (required fields, POSC, excluded US-only rules, next-Korean-business-
 * day deadline), Part 43 applicability, and the status of an event from its findings.
 */
import { describe, expect, it } from 'vitest';
import { compileRulebook, statusOf, type Finding } from '../../engine/rules/index.js';
import { defaultKoreanHolidays, koreanDeadline, kstDay } from '../../engine/rules/regimes/kst-calendar.js';
import { KTFC_PROFILE, ktfcLateBy } from '../../engine/rules/regimes/ktfc.js';
import { cdsIndex45, collateral45, decode, irSwap43, irSwap45, mutate, valuation45 } from '../fixtures/rules/records.js';

const ktfc = compileRulebook({ regime: 'ktfc', leiCheck: 'error' });
const rules = (fs: readonly Finding[]) => fs.map((f) => f.rule);
const ktfcBase = () => mutate(irSwap45(), { uniqueProductIdentifier: 'QZ3HXD0QWPVZ' });

describe('Korean business days (KST)', () => {
  const holidays = defaultKoreanHolidays();
  const iso = (ms: number) => new Date(ms).toISOString();
  const at = (ts: string) => kstDay(Date.parse(ts));

  it('is the end of the next business day in Korea time', () => {
    // Tuesday 2024-04-02 10:00 KST -> due by the end of Wednesday 04-03 KST = 15:00Z.
    expect(iso(koreanDeadline(at('2024-04-02T01:00:00Z'), 1, holidays))).toBe('2024-04-03T15:00:00.000Z');
  });
  it('skips the weekend and Korean holidays', () => {
    // Friday 2024-05-03; Monday 05-06 is the substitute Children's Day -> Tuesday 05-07.
    expect(iso(koreanDeadline(at('2024-05-03T01:00:00Z'), 1, holidays))).toBe('2024-05-07T15:00:00.000Z');
    // Seollal 2025-01-28..30 (and the 27th): Friday 01-24 -> Friday 01-31.
    expect(iso(koreanDeadline(at('2025-01-24T05:00:00Z'), 1, holidays))).toBe('2025-01-31T15:00:00.000Z');
  });
  it('dates the trade in Korea time (16:00Z is already the next KST day)', () => {
    expect(iso(koreanDeadline(at('2024-04-01T16:00:00Z'), 1, holidays))).toBe('2024-04-03T15:00:00.000Z');
    expect(iso(koreanDeadline(at('2024-04-01T14:59:59Z'), 1, holidays))).toBe('2024-04-02T15:00:00.000Z');
  });
  it('gives a CCP until the end of the execution day', () => {
    expect(ktfcLateBy('2024-04-02T01:00:00Z', '2024-04-02T14:59:59Z', true)).toBeNull();
    expect(ktfcLateBy('2024-04-02T01:00:00Z', '2024-04-02T15:00:00Z', true)).toBe('2024-04-02T15:00:00.000Z');
    expect(ktfcLateBy('2024-04-02T01:00:00Z', 'not a time', false)).toBeNull();
  });
});

describe('KTFC profile', () => {
  it('accepts a complete record', () => {
    expect(ktfc.validate(decode(ktfcBase()))).toEqual([]);
  });
  it('requires its own fields, including the UPI and a notional of some kind', () => {
    const f = ktfc.validate(decode(mutate(ktfcBase(), { uniqueProductIdentifier: undefined, 'leg1.notionalAmount': undefined })));
    expect(f.filter((x) => x.rule === 'REQ-KTFC').map((x) => x.path)).toEqual(['uniqueProductIdentifier', 'leg1.notionalAmount']);
    const quantity = mutate(ktfcBase(), { 'leg1.notionalAmount': undefined, 'leg1.notionalCurrency': undefined, 'leg1.totalNotionalQuantity': '100' });
    expect(rules(ktfc.validate(decode(quantity))).filter((r) => r === 'REQ-KTFC')).toEqual([]);
    const currency = ktfc.validate(decode(mutate(ktfcBase(), { 'leg1.notionalCurrency': undefined })));
    expect(currency.filter((x) => x.rule === 'REQ-KTFC').map((x) => x.path)).toEqual(['leg1.notionalCurrency']);
  });
  it('ignores US-only fields and rules; the asset class comes from the UPI record', () => {
    const usOnly = mutate(ktfcBase(), {
      nonStandardizedTermIndicator: undefined, primeBrokerageTransactionIndicator: undefined, jurisdiction: undefined,
      cftcGuidebook: undefined, allocationIndicator: undefined, counterparty1FinancialEntityIndicator: undefined,
      'nonReportable.postUpiData': { Header: { AssetClass: 'Rates', InstrumentType: 'Swap' } },
    });
    expect(ktfc.validate(decode(usOnly))).toEqual([]);
    for (const n of KTFC_PROFILE.excludedConditions) expect(rules(ktfc.validate(decode(usOnly)))).not.toContain(`KTFC-C${n}`);
  });
  it('takes a USI-only report as incomplete (KRX works with UTIs)', () => {
    const usi = mutate(ktfcBase(), { uniqueTransactionIdentifier: undefined, uniqueSwapIdentifier: '1030000001SWAP0000000001' });
    expect(rules(ktfc.validate(decode(usi)))).toContain('REQ-KTFC');
  });
});

describe('Part 43 regime', () => {
  const p43 = compileRulebook({ regime: 'cftc-part43', leiCheck: 'error' });
  it('flags Part 45-only fields as not disseminated (warning) and requires its own', () => {
    const f = p43.validate(decode(mutate(irSwap43(), { allocationIndicator: 'UNAL', blockTradeElectionIndicator: undefined })));
    expect(f.map((x) => [x.rule, x.path, x.severity])).toEqual([
      ['NA-P43', 'allocationIndicator', 'warning'],
      ['REQ-P43', 'blockTradeElectionIndicator', 'error'],
    ]);
  });
  it('checks the message type per regime', () => {
    const p45 = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
    expect(rules(p45.validate(decode(mutate(irSwap45(), { 'cftcGuidebook.messageType': 'RT' }))))).toEqual(['FMT-CODE']);
    expect(rules(p43.validate(decode(mutate(irSwap43(), { 'cftcGuidebook.messageType': 'Trade State' }))))).toEqual(['FMT-CODE']);
  });
});

describe('message kinds', () => {
  const p45 = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
  it('judges a valuation (VALU) on its valuation data, not on the creation data', () => {
    expect(p45.validate(decode(valuation45()))).toEqual([]);
    expect(rules(p45.validate(decode(mutate(valuation45(), { uniqueTransactionIdentifier: undefined }))))).toEqual(['P45-C84', 'P45-C85']);
    expect(rules(p45.validate(decode(mutate(valuation45(), { eventType: 'TRAD' }))))).toEqual(['P45-C27']);
  });
  it('judges a margin report (MARU) on its collateral data, with no UTI', () => {
    expect(p45.validate(decode(collateral45()))).toEqual([]);
    expect(rules(p45.validate(decode(mutate(collateral45(), { initialMarginCollateralPortfolioCode: undefined }))))).toEqual(['REQ-MARU']);
  });
  it('still checks the format of every field it carries', () => {
    expect(rules(p45.validate(decode(mutate(valuation45(), { valuationCurrency: 'usd', initialMarginPostedPreHaircut: '-1' }))))).toEqual(['FMT-CURRENCY', 'FMT-NONNEG']);
  });
});

describe('UPI data the record does not give', () => {
  const p45 = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
  const found = (json: Parameters<typeof decode>[0]) => rules(p45.validate(decode(json)));
  it('forbids nothing on the strength of an unknown delivery, instrument or underlier type', () => {
    // Settlement currency without any delivery type: not forbidden (known PHYS would forbid it).
    expect(found(mutate(irSwap45(), { 'leg1.settlementCurrency': 'USD' }))).toEqual([]);
    expect(found(mutate(irSwap45(), { 'leg1.settlementCurrency': 'USD', 'cftcGuidebook.settlementType': 'PHYS' }))).toEqual(['P45-C76']);
    expect(found(mutate(irSwap45(), { 'leg1.settlementCurrency': 'USD', 'cftcGuidebook.settlementType': 'CASH' }))).toEqual([]);
    // An interest rate swap whose instrument type is not given: its reset frequency is not forbidden.
    expect(found(mutate(irSwap45(), { 'nonReportable.instrumentType': undefined }))).toEqual([]);
    // Credit without an underlier type: an index factor is not forbidden; for a known single name it is.
    expect(found(mutate(cdsIndex45(), { 'nonReportable.underlyingAssetType': undefined }))).toEqual([]);
    expect(found(mutate(cdsIndex45(), { 'nonReportable.underlyingAssetType': 'Single_Name' }))).toEqual(['P45-C74']);
  });
});

describe('statusOf', () => {
  const w: Finding = { rule: 'LC-LATE', element: '30', path: 'eventTimestamp', severity: 'warning', message: 'late' };
  const e: Finding = { ...w, rule: 'FMT-DATE', severity: 'error' };
  it('accepted, accepted with warnings, rejected', () => {
    expect(statusOf([])).toBe('accepted');
    expect(statusOf([w])).toBe('accepted_with_warnings');
    expect(statusOf([w, e])).toBe('rejected');
  });
});

describe('compiled rulebook', () => {
  it('is reusable and independent per record', () => {
    const book = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
    const bad = decode(mutate(irSwap45(), { cleared: 'Q' }));
    const good = decode(irSwap45());
    const first = book.validate(bad);
    expect(book.validate(good)).toEqual([]);
    expect(book.validate(bad)).toEqual(first);
    expect(first).not.toBe(book.validate(bad)); // a fresh array per call
  });
});
