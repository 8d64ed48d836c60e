/**
 * What every holiday calendar shares: the holiday record, the years the rules are computed for, UTC date
 * arithmetic on `YYYY-MM-DD` strings (pure, no time zone: a holiday is a calendar date of its country), and
 * the named errors.
 */

/** One holiday: a calendar date (YYYY-MM-DD, local to the calendar's country) and its name. */
export interface Holiday {
  readonly date: string;
  readonly name: string;
}

/**
 * Years the rules are computed for. The Korean lunar dates come from an astronomical calculation (date-holidays'
 * Korean calendar), checked against KASI's tables to 2050 (test/unit/calendars.test.ts); beyond 2199 nothing is
 * promised, so a year outside the range is refused rather than guessed.
 */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2199;

/** A year outside FIRST_YEAR..LAST_YEAR, or not a whole number. */
export class HolidayYearError extends Error {
  readonly code = 'HOLIDAY_YEAR_OUT_OF_RANGE';
  constructor(readonly year: number) {
    super(`holidays are computed for the years ${FIRST_YEAR} to ${LAST_YEAR}, not ${year}`);
    this.name = 'HolidayYearError';
  }
}

/** A configured addition or removal that is not a calendar date (or a malformed entry). */
export class CalendarConfigError extends Error {
  readonly code = 'CALENDAR_CONFIG';
  constructor(readonly setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'CalendarConfigError';
  }
}

/** The holiday library gave no date for a rule that always has one (a library upgrade changed its data). */
export class HolidayRulesError extends Error {
  readonly code = 'HOLIDAY_RULES';
  constructor(message: string) {
    super(message);
    this.name = 'HolidayRulesError';
  }
}

/** No Node.js here (the console's browser bundle): rules that need the holiday library cannot be computed. */
export class HolidayLibraryUnavailableError extends Error {
  readonly code = 'HOLIDAY_LIBRARY_UNAVAILABLE';
  constructor() {
    super('the holiday library (date-holidays) needs Node.js');
    this.name = 'HolidayLibraryUnavailableError';
  }
}

export function isSupportedYear(year: number): boolean {
  return Number.isInteger(year) && year >= FIRST_YEAR && year <= LAST_YEAR;
}

export function assertSupportedYear(year: number): void {
  if (!isSupportedYear(year)) throw new HolidayYearError(year);
}

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (not 2027-02-30). */
export function isIsoDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === text;
}

export function isoDate(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

export function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Sorted by date, then name: the order `swaprep calendar` prints and the tests compare. */
export function byDate(a: Holiday, b: Holiday): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
