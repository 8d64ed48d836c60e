/**
 * Korean business days for the KTFC reporting deadline: Monday to Friday in Korea Standard Time
 * (UTC+9, no daylight saving), minus Korean public holidays.
 *
 * ASSUMPTION (see ktfc.md): the holiday list below is the fixed-date public holidays plus the lunar and
 * substitute holidays for 2024-2026 as announced; verify it against the KRX market calendar before relying
 * on the deadline warning, and extend it yearly. Callers can pass their own holiday set.
 */
export const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

const FIXED_HOLIDAYS_MMDD = ['01-01', '03-01', '05-05', '06-06', '08-15', '10-03', '10-09', '12-25'];

/** Lunar-calendar, election and substitute holidays by year (YYYY-MM-DD, KST). */
const MOVABLE_HOLIDAYS: readonly string[] = [
  // 2024: Seollal, election day, substitute Children's Day, Buddha's Birthday, Chuseok, Armed Forces Day
  '2024-02-09', '2024-02-12', '2024-04-10', '2024-05-06', '2024-05-15', '2024-09-16', '2024-09-17', '2024-09-18', '2024-10-01',
  // 2025: Seollal (+ temporary holiday 27 Jan), substitute 1 March, substitute Buddha's Birthday, election day, Chuseok (+ substitute)
  '2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-03-03', '2025-05-06', '2025-06-03', '2025-10-05', '2025-10-06', '2025-10-07', '2025-10-08',
  // 2026: Seollal, substitute 1 March, Buddha's Birthday substitute, local elections, substitute Liberation Day, Chuseok, substitute Foundation Day
  '2026-02-16', '2026-02-17', '2026-02-18', '2026-03-02', '2026-05-25', '2026-06-03', '2026-08-17', '2026-09-24', '2026-09-25', '2026-09-26', '2026-10-05',
];

const DAY_MS = 86_400_000;

/** Day number (days since 1970-01-01) of a `YYYY-MM-DD` calendar date. */
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Holidays as KST day numbers. */
export function defaultKoreanHolidays(): Set<number> {
  const set = new Set(MOVABLE_HOLIDAYS.map(dayNumber));
  for (let y = 2015; y <= 2035; y++) for (const md of FIXED_HOLIDAYS_MMDD) set.add(dayNumber(`${y}-${md}`));
  return set;
}

/** The KST day number of an instant. */
export function kstDay(epochMs: number): number {
  return Math.floor((epochMs + KST_OFFSET_MS) / DAY_MS);
}

function isBusinessDay(day: number, holidays: ReadonlySet<number>): boolean {
  const dow = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
  return dow !== 0 && dow !== 6 && !holidays.has(day);
}

/**
 * The first instant (epoch ms UTC) at which a report of a trade executed on KST day `executionDay` is late:
 * the end of the `businessDays`-th Korean business day after that day (0 = the end of the execution day
 * itself, for CCP-cleared reports).
 */
export function koreanDeadline(executionDay: number, businessDays: number, holidays: ReadonlySet<number>): number {
  let day = executionDay;
  for (let n = 0; n < businessDays; ) {
    day++;
    if (isBusinessDay(day, holidays)) n++;
  }
  // End of that KST day = the next KST midnight, in UTC.
  return (day + 1) * DAY_MS - KST_OFFSET_MS;
}
