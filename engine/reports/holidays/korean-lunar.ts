/**
 * The solar dates of the Korean lunar-calendar holidays: 1st day of the 1st month (Seollal), 8th day of the 4th
 * month (Buddha's Birthday), 15th day of the 8th month (Chuseok).
 *
 * 2000-2050: the Korea Astronomy and Space Science Institute's (KASI) dates, as data (KASI computes the Korean
 * calendar officially; taken from npm korean-lunar-calendar 0.4.0, which carries KASI's tables). Other years:
 * date-holidays' Korean calendar (date-chinese's KoreanCalendar, new moons reckoned at 135°E, so it gets the
 * years where Korea and China differ, e.g. Seollal 2027 is 7 February in Korea, 6 February in China).
 *
 * Why KASI's data first, though the library computes every year: (1) the library is wrong once in these years,
 * Chuseok 2033 (the "2033 problem" of where that year's leap month falls: KASI, like China's Purple Mountain
 * Observatory, puts it after the 11th month, leaving Chuseok on 8 September; the library's rule puts it before
 * the 8th month and gets 7 October); (2) the rulebook's KTFC late warning runs in every rules worker and in the
 * console's browser bundle, which then need neither the library nor its 0.4 s load for the years that matter.
 * The test compares the two sources year by year (only 2033 differs) and the table with KASI's dates.
 */
import { HolidayRulesError, isoDate } from './holiday.js';
import { holidaysLibrary } from './library.js';

export interface KoreanLunarDates {
  /** 1/1 of the lunar year starting in this solar year. */
  readonly seollal: string;
  /** 4/8. */
  readonly buddhasBirthday: string;
  /** 8/15. */
  readonly chuseok: string;
}

const KASI_FIRST_YEAR = 2000;
/** Per year from 2000: MMDD of Seollal, Buddha's Birthday and Chuseok (KASI). */
const KASI: readonly string[] = [
  '020505110912', '012405011001', '021205190921', '020105080911', '012205260928', '020905150918', // 2000-2005
  '012905051006', '021805240925', '020705120914', '012605021003', '021405210922', '020305100912', // 2006-2011
  '012305280930', '021005170919', '013105060908', '021905250927', '020805140915', '012805031004', // 2012-2017
  '021605220924', '020505120913', '012504301001', '021205190921', '020105080910', '012205270929', // 2018-2023
  '021005150917', '012905051006', '021705240925', '020705130915', '012705021003', '021305200922', // 2024-2029
  '020305090912', '012305281001', '021105160919', '013105060908', '021905250927', '020805150916', // 2030-2035
  '012805031004', '021505220924', '020405110913', '012404301002', '021205180921', '020105070910', // 2036-2041
  '012205260928', '021005160917', '013005051005', '021705240925', '020605130915', '012605021004', // 2042-2047
  '021405200922', '020205090911', '012305280930', // 2048-2050
];

export function kasiLunarDates(year: number): KoreanLunarDates | undefined {
  const row = KASI[year - KASI_FIRST_YEAR];
  if (row === undefined) return undefined;
  const at = (i: number) => isoDate(year, Number(row.slice(i, i + 2)), Number(row.slice(i + 2, i + 4)));
  return { seollal: at(0), buddhasBirthday: at(4), chuseok: at(8) };
}

const RULES: ReadonlyArray<readonly [rule: string, key: keyof KoreanLunarDates]> = [
  ['korean 01-0-01', 'seollal'],
  ['korean 04-0-08', 'buddhasBirthday'],
  ['korean 08-0-15', 'chuseok'],
];

type Calendar = InstanceType<ReturnType<typeof holidaysLibrary>>;
let calendar: Calendar | undefined;

/** date-holidays' dates for `year` (any year; Node only). */
export function libraryLunarDates(year: number): KoreanLunarDates {
  if (!calendar) {
    // A calendar holding only these three rules: cheaper than the library's whole KR calendar, and its
    // (partly wrong, see korea.ts) spans and substitute days do not come along.
    calendar = new (holidaysLibrary())();
    for (const [rule, key] of RULES) calendar.setHoliday(rule, { name: key, type: 'public' });
  }
  const found = new Map(calendar.getHolidays(year).map((h) => [h.name, h.date.slice(0, 10)]));
  const pick = (key: keyof KoreanLunarDates): string => {
    const date = found.get(key);
    if (date === undefined) throw new HolidayRulesError(`date-holidays gave no ${key} for ${year}`);
    return date;
  };
  return { seollal: pick('seollal'), buddhasBirthday: pick('buddhasBirthday'), chuseok: pick('chuseok') };
}

const memo = new Map<number, KoreanLunarDates>();

/** The lunar holidays' solar dates in `year` (the caller checks the year is supported). */
export function koreanLunarDates(year: number): KoreanLunarDates {
  let dates = memo.get(year);
  if (dates === undefined) {
    dates = kasiLunarDates(year) ?? libraryLunarDates(year);
    memo.set(year, dates);
  }
  return dates;
}
