/**
 * US Federal holidays, any year: the business-day calendar of CFTC Parts 43 and 45.
 *
 * Why this calendar: 17 CFR 45.1(a) (as amended in 2020) defines "business day" as "the twenty-four-hour day, on
 * all days except Saturdays, Sundays, and Federal holidays", and 17 CFR 43.2(a) the same for Part 43; the
 * execution date is "determined by reference to eastern time" (45.1(a), "execution date"), hence New York.
 * Not a market (SIFMA/NYSE) calendar: Good Friday, for one, is a business day here.
 *
 * Federal holidays are the eleven days of 5 U.S.C. 6103(a) (New Year's Day, Birthday of Martin Luther King Jr.,
 * Washington's Birthday, Memorial Day, Juneteenth since 2021, Independence Day, Labor Day, Columbus Day, Veterans
 * Day, Thanksgiving Day, Christmas Day); one falling on a Saturday is observed the Friday before and one on a
 * Sunday the Monday after (5 U.S.C. 6103(b), Executive Order 11582; OPM's "in lieu of" days,
 * https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/). Both the legal date and the observed
 * day are listed; only the observed day is ever a weekday, so only it changes a deadline. New Year's Day of a
 * year starting on a Saturday is observed on 31 December of the year before, and listed in that year.
 * Inauguration Day (6103(c), Washington DC area only) and one-off closures by executive order are not Federal
 * holidays under 6103(a): add them through the calendar configuration if the CFTC treats them as such.
 *
 * Computed by date-holidays' US rules (which cite 5 U.S.C. 6103), with one correction: the library files the
 * observed Veterans Day (11 November on a weekend) as a "bank" holiday rather than a public one, though 6103(b)
 * applies to it like to the others (OPM lists Friday 10 November 2023 as Veterans Day). A substitute day of a
 * Federal holiday is therefore kept whatever its type.
 */
import type HolidaysClass from 'date-holidays';
import { assertSupportedYear, byDate, type Holiday } from './holiday.js';
import { holidaysLibrary } from './library.js';

let us: HolidaysClass | undefined;
const memo = new Map<number, readonly Holiday[]>();

/** The Federal holidays (legal dates and observed days) falling in `year`, sorted. */
export function usFederalHolidays(year: number): readonly Holiday[] {
  assertSupportedYear(year);
  let list = memo.get(year);
  if (list === undefined) {
    us ??= new (holidaysLibrary())('US', { types: ['public', 'bank'] });
    const all = us.getHolidays(year); // in the country's language, en-us: "Labor Day", not "Labour Day"
    const federal = new Set(all.filter((h) => h.type === 'public' && h.substitute !== true).map((h) => h.name));
    list = all
      .filter((h) => h.type === 'public' || (h.substitute === true && federal.has(baseName(h.name))))
      .map((h) => ({ date: h.date.slice(0, 10), name: h.substitute === true ? `${baseName(h.name)} (observed)` : h.name }))
      .sort(byDate);
    memo.set(year, list);
  }
  return list;
}

/** "Veterans Day (substitute day)" -> "Veterans Day": the library's name of an observed day. */
function baseName(name: string): string {
  return name.replace(/ \(substitute day\)$/, '');
}
