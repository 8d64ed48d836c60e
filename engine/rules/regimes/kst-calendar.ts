/**
 * Korean business days for the KTFC reporting deadline: Monday to Friday in Korea Standard Time
 * (UTC+9, no daylight saving), minus Korean public holidays.
 *
 * The holidays are computed by rule for any year (engine/reports/holidays/korea.ts: 관공서의 공휴일에 관한 규정,
 * lunar dates, substitute holidays, announced election and designated days), the same calendar the KTFC report
 * deadline uses. Callers can pass their own holiday set (day numbers).
 */
import { rulesCalendar } from '../../reports/holidays/index.js';

export const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

const DAY_MS = 86_400_000;

/** Day number (days since 1970-01-01) of a `YYYY-MM-DD` calendar date. */
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Holidays by KST day number: a Set of day numbers, or the rule-based calendar below. */
export interface DayHolidays {
  has(day: number): boolean;
}

/** Korean public holidays as KST day numbers, for any year (computed per year on first use). */
export function defaultKoreanHolidays(): DayHolidays {
  const korea = rulesCalendar('korea');
  return { has: (day) => korea.has(new Date(day * DAY_MS).toISOString().slice(0, 10)) };
}

/** The KST day number of an instant. */
export function kstDay(epochMs: number): number {
  return Math.floor((epochMs + KST_OFFSET_MS) / DAY_MS);
}

function isBusinessDay(day: number, holidays: DayHolidays): boolean {
  const dow = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
  return dow !== 0 && dow !== 6 && !holidays.has(day);
}

/**
 * The first instant (epoch ms UTC) at which a report of a trade executed on KST day `executionDay` is late:
 * `hourKst` o'clock KST (24 = the end of the day) of the `businessDays`-th Korean business day after that day
 * (0 = the execution day itself, for CCP-cleared reports).
 */
export function koreanDeadline(executionDay: number, businessDays: number, holidays: DayHolidays, hourKst = 24): number {
  let day = executionDay;
  for (let n = 0; n < businessDays; ) {
    day++;
    if (isBusinessDay(day, holidays)) n++;
  }
  // That KST day's midnight plus the hour, in UTC (24: the next KST midnight).
  return day * DAY_MS + hourKst * 3_600_000 - KST_OFFSET_MS;
}
