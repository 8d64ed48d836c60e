/**
 * Every threshold the report builders use, in one object, with documented defaults.
 *
 * The defaults follow shared/spec/DOMAIN.md. Where it marks a fact "(unverified)" (the rounding table,
 * cap sizes, block and large-notional thresholds), so does this file: they are defaults that
 * an operator overrides, not law. Amounts are decimal text in whole units of the notional currency: no FX
 * conversion is done (a `usdRates` table can be given when caps must be compared in USD).
 */
import { PART43_RULE_TABLES } from './part43-tables.js';
import type { ReportRegime } from './types.js';

export interface RoundingStep {
  /** Amounts strictly below this use `unit`. */
  readonly below: string;
  readonly unit: string;
}

export interface CapRule {
  /** cftcGuidebook.assetClass value; undefined matches any. */
  readonly assetClass?: string;
  /** Tenor (effective date to expiration date) at most this many years; undefined matches any. */
  readonly maxTenorYears?: number;
  readonly cap: string;
}

export interface Part43Config {
  /** § 43.4(f) rounding table (part43-tables.ts): amounts below `below` round to the nearest `unit`. */
  readonly rounding: readonly RoundingStep[];
  /** Unit for amounts at or above the last step's `below`. */
  readonly roundingAbove: string;
  /** Smallest amount disseminated for a positive notional (§ 43.4(f)(1): "in no case ... less than five"); absent: none. */
  readonly roundingMinimum?: string;
  /** § 43.4(g)/(h) cap sizes per asset class and tenor (part43-tables.ts); the first matching rule wins. */
  readonly caps: readonly CapRule[];
  /** Cap when no rule matches. */
  readonly defaultCap: string;
  /** § 43.5(d): block trades executed on a SEF or DCM, dissemination delay in minutes (15). */
  readonly blockDelayMinutes: number;
  /** § 43.5(e)-(h): off-facility large-notional trades, delay when a swap dealer/MSP is a party, else `other`. */
  readonly largeNotionalDelayMinutes: { readonly dealer: number; readonly other: number };
  /** § 43.6 minimum block sizes, per asset class: an off-facility trade at or above counts as large even without the election flag. */
  readonly largeNotionalThresholds: Readonly<Record<string, string>>;
  /** Actions that owe a Part 43 report (valuation, margin and porting are Part 45 only). */
  readonly actions: readonly string[];
  /** Event types that owe a Part 43 report (DOMAIN.md: clearing and allocation are Part 45 only). */
  readonly eventTypes: readonly string[];
  /** "As soon as technologically practicable" after the delay, in minutes, for the deadline. */
  readonly asapMinutes: number;
  /** Optional FX rates to USD per currency for cap and threshold comparisons; absent = compare as is. */
  readonly usdRates?: Readonly<Record<string, number>>;
}

/** A configured holiday: "YYYY-MM-DD", or with a name for `swaprep calendar`. */
export type HolidayEntry = string | { readonly date: string; readonly name?: string };

/**
 * A regime's business days: Monday to Friday in `timeZone`, less the holidays of the regime's country computed by
 * rule for any year (engine/reports/holidays/: US Federal holidays for CFTC, Korean public holidays for KTFC),
 * plus `holidays`, less `removedHolidays`. `swaprep calendar --regime R --year Y` prints the result.
 */
export interface CalendarConfig {
  /** IANA time zone whose calendar days the deadline counts. */
  readonly timeZone: string;
  /** Extra holidays (YYYY-MM-DD, local): an election or a designated day not yet in the rules, a one-off closure. */
  readonly holidays: readonly HolidayEntry[];
  /** Dates the rules make holidays that are not (a rule the law changed before the library did). */
  readonly removedHolidays?: readonly HolidayEntry[];
}

export type CounterpartyType = 'SD' | 'MSP' | 'SEF' | 'DCM' | 'DCO' | 'other';

export interface DeadlineConfig {
  /** Business days after the execution (or event) date for Part 45: SD, MSP, SEF, DCM, DCO report T+1. */
  readonly part45DaysFast: number;
  /** Other reporting counterparties: T+2. */
  readonly part45DaysOther: number;
  /**
   * KTFC: next Korean business day; a CCP reporting its own cleared trade: the same day. The KTFC settings
   * (deadline hour in KST, KRW reporting thresholds) and their sources: engine/rules/regimes/ktfc.ts and ktfc.md.
   */
  readonly ktfcDays: number;
  readonly ktfcCcpDays: number;
  readonly calendars: Readonly<Record<ReportRegime, CalendarConfig>>;
  /** LEIs of reporting counterparties that are swap dealers (our own entities); see counterpartyTypeOf. */
  readonly dealerLeis: readonly string[];
  /** Type assumed when nothing in the record or `dealerLeis` says otherwise (the user is a swap dealer). */
  readonly defaultCounterpartyType: CounterpartyType;
}

export interface ReportsConfig {
  /** Regimes every accepted event is reported under (Part 43 further filtered by action and event type). */
  readonly regimes: readonly ReportRegime[];
  readonly part43: Part43Config;
  readonly deadlines: DeadlineConfig;
}

/** The rule's tables (part43-tables.ts, with the 17 CFR part 43 sections they come from) and the engine's filters. */
export const DEFAULT_PART43: Part43Config = {
  ...PART43_RULE_TABLES,
  actions: ['NEWT', 'MODI', 'TERM', 'CORR', 'EROR', 'REVI'],
  eventTypes: ['TRAD', 'NOVA', 'COMP', 'EXER', 'ETRM'],
  asapMinutes: 15,
};

export const DEFAULT_DEADLINES: DeadlineConfig = {
  part45DaysFast: 1,
  part45DaysOther: 2,
  ktfcDays: 1,
  ktfcCcpDays: 0,
  calendars: {
    // Holidays by rule for any year (engine/reports/holidays/): none need configuring.
    'cftc-part45': { timeZone: 'America/New_York', holidays: [] },
    'cftc-part43': { timeZone: 'America/New_York', holidays: [] },
    ktfc: { timeZone: 'Asia/Seoul', holidays: [] },
  },
  dealerLeis: [],
  defaultCounterpartyType: 'SD',
};

export const DEFAULT_REPORTS_CONFIG: ReportsConfig = {
  regimes: ['cftc-part45', 'cftc-part43'],
  part43: DEFAULT_PART43,
  deadlines: DEFAULT_DEADLINES,
};
