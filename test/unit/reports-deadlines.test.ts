// Deadlines: T+1/T+2 business days in New York across weekends, holidays and DST; KTFC in Korea time.
import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { DEFAULT_DEADLINES } from '../../engine/reports/config.js';
import { compileDeadlines, counterpartyTypeOf, dueAt } from '../../engine/reports/deadlines.js';
import { localDate, localMidnight } from '../../engine/reports/calendar.js';
import { KTFC_PROFILE } from '../../engine/rules/regimes/ktfc.js';

const d = compileDeadlines(DEFAULT_DEADLINES);
const iso = (ms: number) => new Date(ms).toISOString();
const newt = (executionTimestamp: string, extra: Partial<SwapReport> = {}) =>
  SwapReport.fromPartial({ actionType: 'NEWT', executionTimestamp, eventTimestamp: executionTimestamp, ...extra });

describe('time zone calendar', () => {
  it('finds local dates and midnights across daylight saving', () => {
    expect(localDate('America/New_York', Date.parse('2024-04-05T03:00:00Z'))).toBe('2024-04-04');
    expect(iso(localMidnight('America/New_York', '2024-03-10'))).toBe('2024-03-10T05:00:00.000Z'); // EST midnight
    expect(iso(localMidnight('America/New_York', '2024-03-11'))).toBe('2024-03-11T04:00:00.000Z'); // EDT midnight
    expect(iso(localMidnight('Asia/Seoul', '2024-04-09'))).toBe('2024-04-08T15:00:00.000Z');
  });
});

describe('Part 45 deadlines', () => {
  it.each([
    ['SD, Friday afternoon: end of Monday', '2024-04-05T15:00:00Z', {}, '2024-04-09T04:00:00.000Z'],
    ['SD, Thursday 23:00 New York (Friday UTC): end of Friday', '2024-04-05T03:00:00Z', {}, '2024-04-06T04:00:00.000Z'],
    ['SD, Saturday: end of Monday', '2024-04-06T15:00:00Z', {}, '2024-04-09T04:00:00.000Z'],
    ['SD, before Independence Day: skips the holiday', '2024-07-03T15:00:00Z', {}, '2024-07-06T04:00:00.000Z'],
    ['SD, Friday before DST starts: Monday ends in EDT', '2024-03-08T15:00:00Z', {}, '2024-03-12T04:00:00.000Z'],
    ['SD, Friday before DST ends: Monday ends in EST', '2024-11-01T15:00:00Z', {}, '2024-11-05T05:00:00.000Z'],
    ['other counterparty, Friday: T+2 is Tuesday', '2024-04-05T15:00:00Z', { cftcGuidebook: { sdMspIndicatorParty1: false } }, '2024-04-10T04:00:00.000Z'],
    ['other counterparty, Thanksgiving week', '2024-11-27T15:00:00Z', { cftcGuidebook: { sdMspIndicatorParty1: false } }, '2024-12-03T05:00:00.000Z'],
  ] as const)('%s', (_name, exec, extra, due) => {
    expect(iso(dueAt(d, 'cftc-part45', newt(exec, extra), 0))).toBe(due);
  });

  it('counts continuation data from the event timestamp, not the execution', () => {
    const modi = SwapReport.fromPartial({ actionType: 'MODI', executionTimestamp: '2024-01-02T15:00:00Z', eventTimestamp: '2024-04-05T15:00:00Z' });
    expect(iso(dueAt(d, 'cftc-part45', modi, 0))).toBe('2024-04-09T04:00:00.000Z');
  });

  it('falls back to the receipt time when the record has no usable timestamp', () => {
    const r = SwapReport.fromPartial({ actionType: 'NEWT' });
    expect(iso(dueAt(d, 'cftc-part45', r, Date.parse('2024-04-05T15:00:00Z')))).toBe('2024-04-09T04:00:00.000Z');
  });

  it('derives the counterparty type from the record and configured dealer LEIs', () => {
    expect(counterpartyTypeOf(d, newt('2024-04-05T15:00:00Z'))).toBe('SD'); // default: the user is a swap dealer
    const dco = newt('2024-04-05T15:00:00Z', { cleared: 'Y', centralCounterparty: 'CCP00000000000000001', counterparty1: 'CCP00000000000000001' });
    expect(counterpartyTypeOf(d, dco)).toBe('DCO');
    const other = compileDeadlines({ ...DEFAULT_DEADLINES, defaultCounterpartyType: 'other', dealerLeis: ['DEALER00000000000001'] });
    expect(counterpartyTypeOf(other, newt('2024-04-05T15:00:00Z', { counterparty1: 'X' }))).toBe('other');
    expect(counterpartyTypeOf(other, newt('2024-04-05T15:00:00Z', { counterparty1: 'DEALER00000000000001' }))).toBe('SD');
  });
});

describe('KTFC deadlines (Korea time)', () => {
  it.each([
    ['Friday 16:00 UTC is Saturday in Seoul: end of Monday KST', '2024-04-05T16:00:00Z', {}, '2024-04-08T15:00:00.000Z'],
    ['Friday 14:00 UTC is Friday 23:00 KST: end of Monday KST', '2024-04-05T14:00:00Z', {}, '2024-04-08T15:00:00.000Z'],
    ['Tuesday before the election-day holiday: end of Thursday', '2024-04-09T02:00:00Z', {}, '2024-04-11T15:00:00.000Z'],
    ['Friday before Chuseok (Mon-Wed): end of Thursday', '2024-09-13T02:00:00Z', {}, '2024-09-19T15:00:00.000Z'],
    ['CCP reporting its own cleared trade: end of the same KST day', '2024-04-05T02:00:00Z',
      { cleared: 'Y', centralCounterparty: 'CCP00000000000000001', counterparty1: 'CCP00000000000000001' }, '2024-04-05T15:00:00.000Z'],
  ] as const)('%s', (_name, exec, extra, due) => {
    expect(iso(dueAt(d, 'ktfc', newt(exec, extra), 0))).toBe(due);
  });

  it('honours configured extra holidays', () => {
    const withHoliday = compileDeadlines({ ...DEFAULT_DEADLINES, calendars: { ...DEFAULT_DEADLINES.calendars, ktfc: { timeZone: 'Asia/Seoul', holidays: ['2024-04-08'] } } });
    expect(iso(dueAt(withHoliday, 'ktfc', newt('2024-04-05T02:00:00Z'), 0))).toBe('2024-04-09T15:00:00.000Z');
  });

  it('is due at the profile\'s deadline hour (KST) of the due business day', () => {
    const profile = KTFC_PROFILE as { deadlineHourKst: number };
    const hour = profile.deadlineHourKst;
    try {
      profile.deadlineHourKst = 18; // 18:00 KST = 09:00 UTC of the due day
      expect(iso(dueAt(d, 'ktfc', newt('2024-04-05T02:00:00Z'), 0))).toBe('2024-04-08T09:00:00.000Z');
    } finally {
      profile.deadlineHourKst = hour;
    }
    expect(iso(dueAt(d, 'ktfc', newt('2024-04-05T02:00:00Z'), 0))).toBe('2024-04-08T15:00:00.000Z');
  });
});
