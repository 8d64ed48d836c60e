/**
 * Business-day arithmetic in a named time zone, for reporting deadlines ("T+1 business day").
 *
 * Uses the runtime's own time zone database (Intl, full ICU in Node) so New York's daylight saving is right
 * without a dependency; pure apart from that. Results are memoised per local date and per UTC hour:
 * a deadline is computed for every submission, and Intl formatting costs microseconds.
 */
/** Holidays by local date (YYYY-MM-DD): a Set, or a calendar computed by rule for any year (holidays/index.ts). */
export interface HolidayLookup {
  has(date: string): boolean;
}

export interface BusinessCalendar {
  readonly timeZone: string;
  readonly holidays: HolidayLookup;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const offsetCache = new Map<string, number>();

/** The zone's offset from UTC (ms, local minus UTC) at an instant. Zone offsets change on whole hours here. */
export function zoneOffsetMs(timeZone: string, epochMs: number): number {
  const hour = Math.floor(epochMs / 3_600_000);
  const key = `${timeZone}|${hour}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const parts: Record<string, string> = {};
    for (const p of formatter(timeZone).formatToParts(new Date(hour * 3_600_000))) parts[p.type] = p.value;
    const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    off = local - hour * 3_600_000;
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

/** The local calendar date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(timeZone: string, epochMs: number): string {
  return new Date(epochMs + zoneOffsetMs(timeZone, epochMs)).toISOString().slice(0, 10);
}

/** The instant of local midnight starting `date` in the zone. */
export function localMidnight(timeZone: string, date: string): number {
  const naive = Date.parse(`${date}T00:00:00Z`);
  // Two passes settle the offset even on a day whose offset changes (DST changes happen after midnight).
  let t = naive - zoneOffsetMs(timeZone, naive);
  t = naive - zoneOffsetMs(timeZone, t);
  return t;
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function isBusinessDay(cal: BusinessCalendar, date: string): boolean {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow !== 0 && dow !== 6 && !cal.holidays.has(date);
}

/** The `n`-th business day after `date` (n = 0: `date` itself, even when it is not a business day). */
export function businessDayAfter(cal: BusinessCalendar, date: string, n: number): string {
  let day = date;
  for (let k = 0; k < n; ) {
    day = addDays(day, 1);
    if (isBusinessDay(cal, day)) k++;
  }
  return day;
}

/** Memo of endOfBusinessDay per calendar: (local day number * 16 + n) -> due instant. */
const deadlineCache = new WeakMap<BusinessCalendar, Map<number, number>>();
/** Memo of the zone offset per calendar and UTC hour, keyed by number: a string key costs more than the look-up. */
const hourOffsets = new WeakMap<BusinessCalendar, Map<number, number>>();

/**
 * End (exclusive instant) of the `n`-th business day after the local date of `epochMs`: "T+n" where T is
 * the day of the event in the calendar's zone.
 */
export function endOfBusinessDay(cal: BusinessCalendar, epochMs: number, n: number): number {
  let offsets = hourOffsets.get(cal);
  if (!offsets) hourOffsets.set(cal, (offsets = new Map()));
  const hour = Math.floor(epochMs / 3_600_000);
  let off = offsets.get(hour);
  if (off === undefined) {
    off = zoneOffsetMs(cal.timeZone, epochMs);
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(hour, off);
  }
  const day = Math.floor((epochMs + off) / DAY_MS);
  let byDay = deadlineCache.get(cal);
  if (!byDay) deadlineCache.set(cal, (byDay = new Map()));
  const key = day * 16 + n;
  let due = byDay.get(key);
  if (due === undefined) {
    const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    due = localMidnight(cal.timeZone, addDays(businessDayAfter(cal, date, n), 1));
    if (byDay.size > 100_000) byDay.clear();
    byDay.set(key, due);
  }
  return due;
}
