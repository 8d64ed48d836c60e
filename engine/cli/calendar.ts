import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CalendarConfigError, FIRST_YEAR, HolidayYearError, LAST_YEAR, regimeHolidayCalendar } from '../reports/holidays/index.js';
import { REPORT_REGIMES, type ReportRegime } from '../reports/types.js';

const HELP = `usage: swaprep calendar --regime ${REPORT_REGIMES.join('|')} [--year YYYY] [--config FILE]

Prints the holidays a regime's reporting deadlines skip in one year (default: this year), one JSON line each:
{"date":"YYYY-MM-DD","name":"..."}, sorted by date (two holidays on one date are two lines).

  cftc-part45, cftc-part43  US Federal holidays (17 CFR 45.1 / 43.2 "business day"; 5 U.S.C. 6103), with the
                            Saturday/Sunday holiday observed on the Friday before / Monday after also listed
  ktfc                      Korean public holidays (관공서의 공휴일에 관한 규정): Seollal and Chuseok (3 days each),
                            Buddha's Birthday, substitute holidays (대체공휴일), announced election and designated days

Computed by rule for the years ${FIRST_YEAR}-${LAST_YEAR}, plus the additions and less the removals configured in the
engine's configuration file (--config, else SWAPREP_CONFIG) under
reports.deadlines.calendars.<regime>.holidays and .removedHolidays.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, regime: { type: 'string' }, year: { type: 'string' }, config: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const regime = values.regime as ReportRegime | undefined;
  if (!regime || !REPORT_REGIMES.includes(regime)) {
    process.stderr.write(`swaprep calendar: ${regime ? `unknown regime "${regime}"` : '--regime is required'}\n\n${HELP}`);
    return 2;
  }
  const year = values.year === undefined ? new Date().getUTCFullYear() : Number(values.year);
  if (values.year !== undefined && !/^\d{4}$/.test(values.year)) {
    process.stderr.write(`swaprep calendar: --year "${values.year}" is not a year YYYY\n`);
    return 2;
  }
  try {
    const calendar = regimeHolidayCalendar(regime, configuredCalendar(values.config ?? process.env.SWAPREP_CONFIG, regime));
    const lines = calendar.holidaysIn(year).map((h) => JSON.stringify({ date: h.date, name: h.name }));
    process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
    return 0;
  } catch (err) {
    if (err instanceof HolidayYearError || err instanceof CalendarConfigError) {
      process.stderr.write(`swaprep calendar: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The regime's calendar keys in the configuration file (checked by regimeHolidayCalendar), or none. */
function configuredCalendar(file: string | undefined, regime: ReportRegime): { holidays?: unknown; removedHolidays?: unknown } {
  if (!file) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CalendarConfigError(`SWAPREP_CONFIG ${file}`, `cannot read it as JSON: ${(err as Error).message}`);
  }
  const at = (o: unknown, key: string): unknown => (typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined);
  const c = at(at(at(at(raw, 'reports'), 'deadlines'), 'calendars'), regime);
  return { holidays: at(c, 'holidays'), removedHolidays: at(c, 'removedHolidays') };
}
