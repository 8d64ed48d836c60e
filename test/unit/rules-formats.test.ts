/**
 * Field formats (engine/rules/formats.ts, decimal.ts), the ISO code lists, and the element table against
 * the canonical record's schema.
 */
import { describe, expect, it } from 'vitest';
import * as fmt from '../../engine/rules/formats.js';
import { compareDecimal, parseDecimal } from '../../engine/rules/decimal.js';
import { ISO4217, ISO4217_CURRENT, ISO4217_RECENTLY_WITHDRAWN } from '../../engine/rules/codes/iso4217.js';
import { ISO3166_ALPHA2_LIST } from '../../engine/rules/codes/iso3166.js';
import { ELEMENTS } from '../../engine/rules/elements.js';
import { REPEATED_FIELDS } from '../../engine/rules/gen.js';
import { buildSchema, type MessageSpec } from '../../engine/record/schema.js';

describe('LEI (ISO 17442, check digits ISO 7064 MOD 97-10)', () => {
  it('accepts registered LEIs and computed check digits', () => {
    for (const lei of ['5493001RKR55V4X61F71', '549300O5MFEP1XJ40B46', '7LTWFZYICNSX8D621K86', '529900T8BM49AURSDO55']) {
      expect(fmt.leiShape(lei), lei).toBeNull();
      expect(fmt.leiChecksumOk(lei), lei).toBe(true);
      expect(fmt.leiStatus(lei, 0), lei).toBe(0);
    }
  });
  it('rejects wrong check digits, including the corpus dummies', () => {
    for (const lei of ['5493001RKR55V4X61F72', 'DUMMY0000000000LEI01', 'TESTLEIINFBS00000002', '987654321ZZABCDEFG12']) {
      expect(fmt.leiChecksumOk(lei), lei).toBe(false);
      expect(fmt.leiStatus(lei, 0), lei).toBe(2);
    }
    // "987654321ZZABCDEFG11" passes by chance (corpus README).
    expect(fmt.leiChecksumOk('987654321ZZABCDEFG11')).toBe(true);
  });
  it('rejects the wrong shape', () => {
    for (const v of ['5493001RKR55V4X61F7', '5493001rkr55v4x61f71', '5493001RKR55V4X61FA1', '5493001RKR55V4X61F711', '']) {
      expect(fmt.leiShape(v), v).not.toBeNull();
    }
    expect(fmt.leiStatus('5493001RKR55V4X61FA1', 0)).toBe(1);
  });
});

describe('UTI and USI', () => {
  it('UTI: 21..52 upper-case alphanumerics starting with an LEI', () => {
    expect(fmt.utiShape('5493001RKR55V4X61F71TRADE1')).toBeNull();
    expect(fmt.utiShape(`5493001RKR55V4X61F71${'A'.repeat(32)}`)).toBeNull();
    expect(fmt.utiShape(`5493001RKR55V4X61F71${'A'.repeat(33)}`)).toMatch(/at most 52/);
    expect(fmt.utiShape('5493001RKR55V4X61F71')).toMatch(/at least one/);
    expect(fmt.utiShape('5493001RKR55V4X61F71trade')).toMatch(/upper case/);
    expect(fmt.utiShape('5493001RKR55V4X61F71-1')).toMatch(/letters and digits/);
    expect(fmt.utiShape('EXAMPLESUBMISSIONX01X')).toBeNull(); // LEI-shaped prefix; check digits are checked apart
    expect(fmt.utiShape('LEI3RPT0003CCCXXXXXXXXX')).toMatch(/does not start with an LEI/);
  });
  it('UTI one-pass status agrees with the shape and the prefix check digits', () => {
    expect(fmt.utiStatus('5493001RKR55V4X61F71TRADE1')).toBe(0);
    expect(fmt.utiStatus('5493001RKR55V4X61F72TRADE1')).toBe(2);
    for (const bad of ['5493001RKR55V4X61F71', '5493001RKR55V4X61F71trade', 'LEI3RPT0003CCCXXXXXXXXX', `5493001RKR55V4X61F71${'A'.repeat(33)}`]) {
      expect(fmt.utiStatus(bad), bad).toBe(1);
      expect(fmt.utiShape(bad), bad).not.toBeNull();
    }
  });
  it('USI: 11..42 alphanumerics', () => {
    expect(fmt.usiShape('1030000001SWAP0000000001')).toBeNull();
    expect(fmt.usiShape('DTD1370814201')).toBeNull();
    expect(fmt.usiShape('SHORT')).not.toBeNull();
    expect(fmt.usiShape('A'.repeat(43))).not.toBeNull();
    expect(fmt.usiShape('1030000001SWAP-1')).not.toBeNull();
  });
});

describe('decimals from the string form (no float)', () => {
  it('counts digits and decimals exactly', () => {
    expect(fmt.decimal('1234567890123456789012345', 25, 5)).toBeNull(); // 25 digits
    expect(fmt.decimal('12345678901234567890123456', 25, 5)).toMatch(/26 digits/);
    expect(fmt.decimal('99999999999999999999.99999', 25, 5)).toBeNull(); // the spec's "unknown" default
    expect(fmt.decimal('0.123456', 25, 5)).toMatch(/6 decimals/);
    expect(fmt.decimal('0.12345', 25, 5)).toBeNull();
    expect(fmt.decimal('1.500000', 25, 5)).toBeNull(); // trailing zeros carry no digit
    expect(fmt.decimal('000123.45', 25, 5)).toBeNull(); // nor do leading zeros
    expect(fmt.decimal('-0.0015', 11, 10)).toBeNull();
    expect(fmt.decimal('1E+7', 25, 5)).toBeNull();
    expect(fmt.decimal('1.5E-6', 25, 5)).toMatch(/7 decimals/);
    for (const bad of ['', '.5', '5.', '1,000', '0x10', 'NaN', '1e', '--1']) expect(fmt.decimal(bad, 25, 5), bad).not.toBeNull();
  });
  it('reads digits a double would lose', () => {
    // As doubles these are equal; as decimals they are not.
    expect(compareDecimal('10000000000000000000.00001', '10000000000000000000.00002')).toBe(-1);
    expect(compareDecimal('0.3', '0.30')).toBe(0);
    expect(compareDecimal('-1', '0')).toBe(-1);
    expect(compareDecimal('2', '10')).toBe(-1);
    expect(compareDecimal('abc', '1')).toBeNaN();
    expect(parseDecimal('-000.000')).toEqual({ neg: false, int: '', frac: '' });
  });
  it('never negative where it must not be', () => {
    expect(fmt.nonNegative('-0.01')).not.toBeNull();
    expect(fmt.nonNegative('-0')).toBeNull();
    expect(fmt.nonNegative('0')).toBeNull();
  });
  it('whole numbers with at most N digits', () => {
    expect(fmt.integer(6, 3)).toBeNull();
    expect(fmt.integer(999, 3)).toBeNull();
    expect(fmt.integer(1000, 3)).not.toBeNull();
    expect(fmt.integer(-1, 3)).not.toBeNull();
    expect(fmt.integer(1.5, 3)).not.toBeNull();
  });
});

describe('timestamps and dates', () => {
  it('UTC timestamps YYYY-MM-DDThh:mm:ssZ with optional fractional seconds', () => {
    for (const ok of ['2024-04-01T14:15:36Z', '2024-04-01T14:15:36.1Z', '2024-04-01T14:15:36.123456789Z', '2024-02-29T23:59:59Z']) {
      expect(fmt.timestamp(ok), ok).toBeNull();
    }
    for (const bad of ['2024-04-01T14:15:36', '2024-04-01 14:15:36Z', '2024-04-01T14:15:36+00:00', '2024-04-01T14:15Z', '2024-04-01T24:00:00Z',
      '2024-04-01T14:60:00Z', '2024-04-01T14:15:36.Z', '2024-04-01T14:15:36.1234567890Z', '2023-02-29T00:00:00Z', '2024-4-1T14:15:36Z']) {
      expect(fmt.timestamp(bad), bad).not.toBeNull();
    }
  });
  it('real calendar dates only', () => {
    for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '2024-04-30']) expect(fmt.date(ok), ok).toBeNull();
    for (const bad of ['2024-02-30', '1900-02-29', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '20240101', '2024-1-01']) {
      expect(fmt.date(bad), bad).not.toBeNull();
    }
  });
  it('orders timestamps to the fraction and dates', () => {
    expect(fmt.compareTimestamps('2024-04-01T14:15:36Z', '2024-04-01T14:15:36.000Z')).toBe(0);
    expect(fmt.compareTimestamps('2024-04-01T14:15:36.5Z', '2024-04-01T14:15:36.49Z')).toBe(1);
    expect(fmt.compareTimestamps('2024-04-01T14:15:35.999Z', '2024-04-01T14:15:36Z')).toBe(-1);
    expect(fmt.compareTimestamps('yesterday', '2024-04-01T14:15:36Z')).toBeNaN();
    expect(fmt.compareDates('2024-04-02', '2024-04-01')).toBe(1);
  });
});

describe('ISO code lists', () => {
  const sorted = (xs: readonly string[]) => [...xs].sort();
  it('ISO 4217: current codes (sorted, unique) plus recently withdrawn ones; no XTS/XXX', () => {
    expect(ISO4217_CURRENT).toEqual(sorted(ISO4217_CURRENT));
    expect(new Set(ISO4217_CURRENT).size).toBe(ISO4217_CURRENT.length);
    expect(ISO4217_CURRENT.length).toBeGreaterThanOrEqual(175);
    for (const c of [...ISO4217_CURRENT, ...ISO4217_RECENTLY_WITHDRAWN]) expect(c).toMatch(/^[A-Z]{3}$/);
    for (const c of ['USD', 'EUR', 'JPY', 'KRW', 'CNY', 'GBP', 'CHF', 'XAU', 'CLF']) expect(ISO4217.has(c), c).toBe(true);
    for (const c of ['XTS', 'XXX', 'USX', 'usd', 'EURO']) expect(ISO4217.has(c), c).toBe(false);
    expect(fmt.currency('HRK')).toBeNull();
  });
  it('ISO 3166-1 alpha-2: all 249 assigned codes', () => {
    expect(ISO3166_ALPHA2_LIST).toHaveLength(249);
    expect(ISO3166_ALPHA2_LIST).toEqual(sorted(ISO3166_ALPHA2_LIST));
    expect(fmt.country('KR')).toBeNull();
    expect(fmt.country('UK')).not.toBeNull(); // GB is the code
    expect(fmt.country('XK')).not.toBeNull(); // user-assigned, not ISO
  });
  it('currency pairs and MIC', () => {
    expect(fmt.currencyPair('USD/KRW')).toBeNull();
    expect(fmt.currencyPair('USDKRW')).not.toBeNull();
    expect(fmt.currencyPair('USD/ABC')).not.toBeNull();
    expect(fmt.currencyOrPair('JPY')).toBeNull();
    expect(fmt.platform('BILT')).toBeNull();
    expect(fmt.platform('XNYS')).toBeNull();
    expect(fmt.platform('xnys')).not.toBeNull();
    expect(fmt.platform('XNYSE')).not.toBeNull();
  });
});

describe('element table against the canonical record', () => {
  const leaves: string[] = [];
  const repeated = new Set<string>();
  const walk = (m: MessageSpec, prefix: string, seen: Set<MessageSpec>) => {
    for (const f of m.fields) {
      if (f.repeated) repeated.add(f.prop);
      const p = `${prefix}${f.prop}${f.repeated ? '[]' : ''}`;
      if (f.kind === 'message' && f.message && !seen.has(f.message)) {
        // A PriceFormat is one element (its four notation keys are checked together).
        if (f.message.typeName.endsWith('PriceFormat')) leaves.push(p);
        else walk(f.message, `${p}.`, new Set([...seen, f.message]));
      } else leaves.push(p);
    }
  };
  walk(buildSchema(), '', new Set());
  const tablePaths = new Set(ELEMENTS.flatMap((e) => e.paths));

  it('checks every field of the record', () => {
    expect(leaves.filter((p) => !tablePaths.has(p))).toEqual([]);
  });
  it('names only fields the record has', () => {
    expect([...tablePaths].filter((p) => !leaves.includes(p))).toEqual([]);
  });
  it('knows the repeated fields the generated presence tests rely on', () => {
    expect([...REPEATED_FIELDS].sort()).toEqual([...repeated].sort());
  });
  it('numbers the 128 CFTC data elements', () => {
    const numbers = ELEMENTS.flatMap((e) => (typeof e.de === 'number' ? [e.de] : []));
    expect(numbers).toEqual(Array.from({ length: 128 }, (_, i) => i + 1));
  });
});
