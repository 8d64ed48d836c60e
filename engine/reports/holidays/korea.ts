/**
 * Korean public holidays, any year: the business-day calendar of the KTFC deadline (engine/rules/regimes/ktfc.md,
 * assumption 5).
 *
 * The rules are those of 관공서의 공휴일에 관한 규정 (Regulation on Public Holidays of Government Offices), which the
 * 공휴일에 관한 법률 (Act on Public Holidays, 2021) extends beyond government offices:
 *   제2조 공휴일: Sundays; the national days 3·1절, 광복절, 개천절, 한글날; 1 January; 설날 (the day before, the day
 *     of and the day after lunar 1/1); 부처님오신날 (lunar 4/8); 어린이날 (5 May); 현충일 (6 June); 추석 (lunar 8/14-16);
 *     기독탄신일 (25 December); election days of elections held at the end of a term (공직선거법 제34조); days the
 *     government designates (임시공휴일).
 *   제3조 대체공휴일 (substitute holidays), each "the first day after it that is not a holiday" (never a Saturday):
 *     - 설날 and 추석 when a day of the three overlaps a Sunday or another holiday (since the 2013 amendment, first
 *       applied at Chuseok 2014); a Saturday does not count;
 *     - 어린이날 on a Saturday, Sunday or another holiday (same amendment);
 *     - 3·1절, 광복절, 개천절 and 한글날 likewise (since the Act of 2021, first applied to 광복절 2021);
 *     - 부처님오신날 and 기독탄신일 likewise (amendment of 4 May 2023).
 *     1 January and 현충일 get none. Where two holidays share a weekday one day is lost and one substitute is
 *     given (5 May 2025: Children's Day and Buddha's Birthday, substitute 6 May); in general a date owes as many
 *     substitutes as days were lost on it, counting only holidays entitled to one.
 *   제헌절 (17 July) is a public holiday again from 2026, with substitutes like the other national days: taken
 *     from date-holidays (3.26.11, "Constitution Day becomes public holiday from 2026"), not from the text of the
 *     regulation; an operator who finds otherwise removes the dates through the calendar configuration.
 *
 * Election days and designated days cannot be computed (an early presidential election, a temporary holiday);
 * those announced so far are data below, and later ones are added through the calendar configuration.
 *
 * Why not date-holidays' own KR calendar: its Seollal spans lunar 1/1 to 1/3 instead of 12/30 to 1/2 (28-30
 * January 2025 becomes 29-31 January), its substitutes for overlapping holidays are a hand-made list that ends in
 * 2050 (and puts the substitute for Buddha's Birthday 2036 on Children's Day), and it has no election days. Only
 * its lunar conversion is used, past KASI's dates (korean-lunar.ts); the test compares the two calendars.
 * Years before 2014 follow today's list of holidays without substitutes: not a historical record.
 */
import { assertSupportedYear, byDate, isoDate, shiftDate, weekday, type Holiday } from './holiday.js';
import { koreanLunarDates } from './korean-lunar.js';

/** Which days make a holiday owe a substitute (제3조), from when. */
type Substitute = { readonly when: 'weekend' | 'sunday'; readonly since: string } | null;

interface Occurrence extends Holiday {
  readonly substitute: Substitute;
  /** The name its substitute day carries: the festival's, for each of 설날's and 추석's three days. */
  readonly festival?: string;
}

const SEOLLAL_AND_CHUSEOK: Substitute = { when: 'sunday', since: '2013-11-05' };
const CHILDRENS_DAY: Substitute = { when: 'weekend', since: '2013-11-05' };
const NATIONAL_DAYS: Substitute = { when: 'weekend', since: '2021-07-07' };
const BUDDHA_AND_CHRISTMAS: Substitute = { when: 'weekend', since: '2023-05-04' };

/** Solar-date holidays: month, day, name, substitute rule, first year. */
const SOLAR: ReadonlyArray<readonly [month: number, day: number, name: string, substitute: Substitute, since?: number]> = [
  [1, 1, "New Year's Day (1월 1일)", null],
  [3, 1, 'Independence Movement Day (3·1절)', NATIONAL_DAYS],
  [5, 5, "Children's Day (어린이날)", CHILDRENS_DAY],
  [6, 6, 'Memorial Day (현충일)', null],
  [7, 17, 'Constitution Day (제헌절)', { when: 'weekend', since: '2026-01-01' }, 2026],
  [8, 15, 'Liberation Day (광복절)', NATIONAL_DAYS],
  [10, 3, 'National Foundation Day (개천절)', NATIONAL_DAYS],
  [10, 9, 'Hangul Day (한글날)', NATIONAL_DAYS, 2013],
  [12, 25, 'Christmas Day (기독탄신일)', BUDDHA_AND_CHRISTMAS],
];

/**
 * Election days (제2조: term-end elections under 공직선거법 제34조; early presidential elections were designated)
 * and temporary holidays designated by the government, as announced. Add later ones through the configuration.
 */
export const KOREAN_DESIGNATED_DAYS: readonly Holiday[] = [
  { date: '2014-06-04', name: 'Local elections (제6회 전국동시지방선거)' },
  { date: '2015-08-14', name: 'Temporary holiday (임시공휴일)' },
  { date: '2016-04-13', name: 'National Assembly election (제20대 국회의원선거)' },
  { date: '2016-05-06', name: 'Temporary holiday (임시공휴일)' },
  { date: '2017-05-09', name: 'Presidential election (제19대 대통령선거)' },
  { date: '2017-10-02', name: 'Temporary holiday (임시공휴일)' },
  { date: '2018-06-13', name: 'Local elections (제7회 전국동시지방선거)' },
  { date: '2020-04-15', name: 'National Assembly election (제21대 국회의원선거)' },
  { date: '2020-08-17', name: 'Temporary holiday (임시공휴일)' },
  { date: '2022-03-09', name: 'Presidential election (제20대 대통령선거)' },
  { date: '2022-06-01', name: 'Local elections (제8회 전국동시지방선거)' },
  { date: '2023-10-02', name: 'Temporary holiday (임시공휴일)' },
  { date: '2024-04-10', name: 'National Assembly election (제22대 국회의원선거)' },
  { date: '2024-10-01', name: 'Armed Forces Day, temporary holiday (국군의 날 임시공휴일)' },
  { date: '2025-01-27', name: 'Temporary holiday (임시공휴일)' },
  { date: '2025-06-03', name: 'Presidential election (제21대 대통령선거)' },
  { date: '2026-06-03', name: 'Local elections (제9회 전국동시지방선거)' },
  // Term-end election: the first Wednesday from the 50th day before the Assembly's term ends on 29 May 2028
  // (공직선거법 제34조); not yet announced.
  { date: '2028-04-12', name: 'National Assembly election (제23대 국회의원선거)' },
];

const memo = new Map<number, readonly Holiday[]>();

/** The public holidays falling in `year` (every holiday of a shared date listed), sorted by date. */
export function koreanPublicHolidays(year: number): readonly Holiday[] {
  assertSupportedYear(year);
  let list = memo.get(year);
  if (list === undefined) {
    const occurrences = baseHolidays(year);
    list = [...occurrences.map(({ date, name }) => ({ date, name })), ...substitutes(occurrences)].sort(byDate);
    memo.set(year, list);
  }
  return list;
}

function baseHolidays(year: number): Occurrence[] {
  const out: Occurrence[] = [];
  for (const [month, day, name, substitute, since] of SOLAR) {
    if (since === undefined || year >= since) out.push({ date: isoDate(year, month, day), name, substitute });
  }
  const lunar = koreanLunarDates(year);
  const threeDays = (date: string, name: string, before: string, after: string) => {
    out.push({ date: shiftDate(date, -1), name: before, substitute: SEOLLAL_AND_CHUSEOK, festival: name });
    out.push({ date, name, substitute: SEOLLAL_AND_CHUSEOK, festival: name });
    out.push({ date: shiftDate(date, 1), name: after, substitute: SEOLLAL_AND_CHUSEOK, festival: name });
  };
  threeDays(lunar.seollal, 'Seollal (설날)', 'Seollal holiday (설날 전날)', 'Seollal holiday (설날 다음날)');
  out.push({ date: lunar.buddhasBirthday, name: "Buddha's Birthday (부처님오신날)", substitute: BUDDHA_AND_CHRISTMAS });
  threeDays(lunar.chuseok, 'Chuseok (추석)', 'Chuseok holiday (추석 전날)', 'Chuseok holiday (추석 다음날)');
  const prefix = `${year}-`;
  for (const d of KOREAN_DESIGNATED_DAYS) if (d.date.startsWith(prefix)) out.push({ ...d, substitute: null });
  return out;
}

/** 제3조: the substitute days the holidays of one year owe, placed in date order on the first free weekday. */
function substitutes(occurrences: readonly Occurrence[]): Holiday[] {
  const byDay = new Map<string, Occurrence[]>();
  for (const o of occurrences) byDay.set(o.date, [...(byDay.get(o.date) ?? []), o]);
  const taken = new Set(byDay.keys());
  const out: Holiday[] = [];
  for (const date of [...byDay.keys()].sort()) {
    const here = byDay.get(date)!;
    const entitled = here.filter((o) => o.substitute !== null && date >= o.substitute.since);
    if (entitled.length === 0) continue;
    const dow = weekday(date);
    // The weekend day itself takes the date first: Sunday for every entitled holiday, Saturday only for
    // those entitled on weekends (not 설날/추석).
    const weekendTakes = dow === 0 || (dow === 6 && entitled.some((o) => o.substitute!.when === 'weekend')) ? 1 : 0;
    const owed = Math.min(entitled.length, here.length + weekendTakes - 1);
    for (let k = 0; k < owed; k++) {
      let day = shiftDate(date, 1);
      while (weekday(day) === 0 || weekday(day) === 6 || taken.has(day)) day = shiftDate(day, 1);
      taken.add(day);
      const names = entitled.map((o) => o.festival ?? o.name);
      const of = owed === 1 ? [...new Set(names)].join(' / ') : names[k]!;
      out.push({ date: day, name: `Substitute holiday (대체공휴일) for ${of}` });
    }
  }
  return out;
}
