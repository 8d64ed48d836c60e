/** KTFC settings of ktfc.ts (ktfc.md K8, K9): the deadline's hour in KST and the KRW reporting thresholds. */
import { describe, expect, it } from 'vitest';
import { defaultKoreanHolidays, koreanDeadline, kstDay } from '../../engine/rules/regimes/kst-calendar.js';
import { KTFC_PROFILE, ktfcReporterObliged } from '../../engine/rules/regimes/ktfc.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const day = (ts: string): number => kstDay(Date.parse(ts));

describe('KTFC deadline hour (KST)', () => {
  const holidays = defaultKoreanHolidays();
  it('defaults to the end of the next Korean business day', () => {
    expect(KTFC_PROFILE.deadlineHourKst).toBe(24);
    // Tue 2024-04-02 10:00 KST -> end of Wed 2024-04-03 KST = 15:00Z.
    expect(iso(koreanDeadline(day('2024-04-02T01:00:00Z'), 1, holidays))).toBe('2024-04-03T15:00:00.000Z');
  });
  it('an earlier hour moves the instant within the same business day', () => {
    // 18:00 KST on Wed 2024-04-03 = 09:00Z; the CCP case (0 days) at 18:00 KST of the execution day.
    expect(iso(koreanDeadline(day('2024-04-02T01:00:00Z'), 1, holidays, 18))).toBe('2024-04-03T09:00:00.000Z');
    expect(iso(koreanDeadline(day('2024-04-02T01:00:00Z'), 0, holidays, 18))).toBe('2024-04-02T09:00:00.000Z');
  });
});

describe('KTFC reporting thresholds (KRW)', () => {
  it('phases firms in by outstanding notional', () => {
    expect(ktfcReporterObliged('20000000000000', '2021-04-18')).toBe(false); // before the first phase
    expect(ktfcReporterObliged('10000000000000', '2021-04-19')).toBe(true);
    expect(ktfcReporterObliged('9999999999999.99', '2021-04-19')).toBe(false);
    expect(ktfcReporterObliged('1000000000000', '2021-07-19')).toBe(true);
    expect(ktfcReporterObliged('1', '2021-12-31')).toBe(false);
    expect(ktfcReporterObliged('1', '2022-01-17')).toBe(true);
  });
  it('reads thresholds given as configuration', () => {
    expect(ktfcReporterObliged('5', '2030-01-01', [{ from: '2030-01-01', minOutstandingKrw: '10' }])).toBe(false);
  });
});
