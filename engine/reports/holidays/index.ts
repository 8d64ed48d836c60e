/**
 * Holiday calendars per reporting regime, for any year: the rule-based holidays of the regime's country
 * (us-federal.ts for CFTC Parts 43 and 45, korea.ts for KTFC) plus the configured additions, less the configured
 * removals. The configuration is the reports config's `deadlines.calendars.<regime>` (engine/reports/config.ts):
 * `holidays` adds dates, `removedHolidays` takes dates out.
 *
 * A year's list is computed on first use and kept; `has` is the hot path of every deadline.
 */
import type { ReportRegime } from '../types.js';
import { byDate, CalendarConfigError, HolidayLibraryUnavailableError, isIsoDate, isSupportedYear, type Holiday } from './holiday.js';
import { koreanPublicHolidays } from './korea.js';
import { usFederalHolidays } from './us-federal.js';

export { CalendarConfigError, FIRST_YEAR, HolidayLibraryUnavailableError, HolidayRulesError, HolidayYearError, LAST_YEAR, type Holiday } from './holiday.js';
export { KOREAN_DESIGNATED_DAYS, koreanPublicHolidays } from './korea.js';
export { usFederalHolidays } from './us-federal.js';

export type HolidayRules = 'us-federal' | 'korea';

const RULES: Readonly<Record<HolidayRules, (year: number) => readonly Holiday[]>> = {
  'us-federal': usFederalHolidays,
  korea: koreanPublicHolidays,
};

/** Whose holidays each regime's business days skip (see us-federal.ts and korea.ts for the sources). */
export const REGIME_HOLIDAY_RULES: Readonly<Record<ReportRegime, HolidayRules>> = {
  'cftc-part45': 'us-federal',
  'cftc-part43': 'us-federal',
  ktfc: 'korea',
};

export interface HolidayAdjustments {
  readonly add: readonly Holiday[];
  readonly remove: readonly string[];
}

const NONE: HolidayAdjustments = { add: [], remove: [] };

export class HolidayCalendar {
  private readonly years = new Map<number, { readonly list: readonly Holiday[]; readonly dates: ReadonlySet<string> }>();
  private readonly removed: ReadonlySet<string>;

  constructor(readonly rules: HolidayRules, private readonly adjustments: HolidayAdjustments = NONE) {
    this.removed = new Set(adjustments.remove);
  }

  /** The year's holidays, sorted; throws HolidayYearError outside FIRST_YEAR..LAST_YEAR. */
  holidaysIn(year: number): readonly Holiday[] {
    return this.year(year).list;
  }

  /**
   * Whether `date` (YYYY-MM-DD) is a holiday. Never throws: a date in a year the rules do not cover (a mistyped
   * timestamp in year 9999), or that needs the library where there is none (the browser, past 2050 in Korea),
   * has only its configured additions, so its deadline counts weekends alone.
   */
  has(date: string): boolean {
    const y = Number(date.slice(0, 4));
    if (isSupportedYear(y)) {
      try {
        return this.year(y).dates.has(date);
      } catch (err) {
        if (!(err instanceof HolidayLibraryUnavailableError)) throw err;
      }
    }
    return this.adjustments.add.some((h) => h.date === date) && !this.removed.has(date);
  }

  private year(year: number): { readonly list: readonly Holiday[]; readonly dates: ReadonlySet<string> } {
    let entry = this.years.get(year);
    if (entry === undefined) {
      const prefix = `${year}-`;
      const added = this.adjustments.add.filter((h) => h.date.startsWith(prefix));
      const seen = new Set<string>();
      const list = [...RULES[this.rules](year), ...added]
        .filter((h) => !this.removed.has(h.date))
        .filter((h) => {
          const key = `${h.date}|${h.name}`;
          return seen.has(key) ? false : (seen.add(key), true);
        })
        .sort(byDate);
      entry = { list, dates: new Set(list.map((h) => h.date)) };
      this.years.set(year, entry);
    }
    return entry;
  }
}

/** The rule-based calendar without adjustments (shared: each year is computed once per process). */
const plain = new Map<HolidayRules, HolidayCalendar>();
export function rulesCalendar(rules: HolidayRules): HolidayCalendar {
  let cal = plain.get(rules);
  if (!cal) plain.set(rules, (cal = new HolidayCalendar(rules)));
  return cal;
}

/**
 * The holiday calendar of `regime` with the adjustments of its calendar configuration; `setting` names the
 * configuration in errors (e.g. "reports.deadlines.calendars.ktfc"). Throws CalendarConfigError on a bad entry.
 */
export function regimeHolidayCalendar(regime: ReportRegime, config: { readonly holidays?: unknown; readonly removedHolidays?: unknown } = {}, setting = `reports.deadlines.calendars.${regime}`): HolidayCalendar {
  const add = holidayEntries(config.holidays, `${setting}.holidays`);
  const remove = holidayEntries(config.removedHolidays, `${setting}.removedHolidays`).map((h) => h.date);
  if (add.length === 0 && remove.length === 0) return rulesCalendar(REGIME_HOLIDAY_RULES[regime]);
  return new HolidayCalendar(REGIME_HOLIDAY_RULES[regime], { add, remove });
}

/** Entries as configured: "YYYY-MM-DD" or { "date": "YYYY-MM-DD", "name": "..." }; the file is not checked before. */
export function holidayEntries(entries: unknown, setting: string): Holiday[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw new CalendarConfigError(setting, `expected an array of dates, got ${JSON.stringify(entries)}`);
  return entries.map((e: unknown, i): Holiday => {
    const at = `${setting}[${i}]`;
    const date = typeof e === 'string' ? e : typeof e === 'object' && e !== null ? (e as { date?: unknown }).date : undefined;
    const name = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
    if (typeof date !== 'string' || !isIsoDate(date)) throw new CalendarConfigError(at, `expected a date YYYY-MM-DD or { "date": "YYYY-MM-DD", "name": "..." }, got ${JSON.stringify(e)}`);
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new CalendarConfigError(`${at}.name`, `expected a non-empty string, got ${JSON.stringify(name)}`);
    return { date, name: name ?? 'Configured holiday' };
  });
}
