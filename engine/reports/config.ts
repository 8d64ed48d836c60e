/**
 * Every threshold the report builders use, in one object, with documented defaults.
 *
 * The defaults follow shared/spec/DOMAIN.md. Where it marks a fact "(unverified)" (the rounding table,
 * cap sizes, block and large-notional thresholds, holiday lists), so does this file: they are defaults that
 * an operator overrides, not law. Amounts are decimal text in whole units of the notional currency: no FX
 * conversion is done (a `usdRates` table can be given when caps must be compared in USD).
 */
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
  /** DOMAIN.md rounding table (unverified): amounts below `below` round to the nearest `unit`. */
  readonly rounding: readonly RoundingStep[];
  /** Unit for amounts at or above the last step's `below`. */
  readonly roundingAbove: string;
  /** Cap sizes per asset class and tenor; the first matching rule wins (unverified CFTC 43.4(h) values). */
  readonly caps: readonly CapRule[];
  /** Cap when no rule matches. */
  readonly defaultCap: string;
  /** Block trades executed on a SEF or DCM: dissemination delay in minutes (DOMAIN.md: 15). */
  readonly blockDelayMinutes: number;
  /** Off-facility large-notional trades: delay when a swap dealer/MSP is a party, else `other` (15 min to 2 h). */
  readonly largeNotionalDelayMinutes: { readonly dealer: number; readonly other: number };
  /** Notional at or above which an off-facility trade counts as large even without the election flag. */
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

export interface CalendarConfig {
  /** IANA time zone whose calendar days the deadline counts. */
  readonly timeZone: string;
  /** Holidays (YYYY-MM-DD, local) on which no business day is counted. */
  readonly holidays: readonly string[];
}

export type CounterpartyType = 'SD' | 'MSP' | 'SEF' | 'DCM' | 'DCO' | 'other';

export interface DeadlineConfig {
  /** Business days after the execution (or event) date for Part 45: SD, MSP, SEF, DCM, DCO report T+1. */
  readonly part45DaysFast: number;
  /** Other reporting counterparties: T+2. */
  readonly part45DaysOther: number;
  /** KTFC: next Korean business day; a CCP reporting its own cleared trade: the same day. */
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

/** US federal holidays 2024-2026 (observed dates; unverified against the CFTC's calendar). Extend yearly. */
export const US_HOLIDAYS_2024_2026: readonly string[] = [
  '2024-01-01', '2024-01-15', '2024-02-19', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-10-14', '2024-11-11', '2024-11-28', '2024-12-25',
  '2025-01-01', '2025-01-20', '2025-02-17', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-10-13', '2025-11-11', '2025-11-27', '2025-12-25',
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
];

export const DEFAULT_PART43: Part43Config = {
  rounding: [
    { below: '1000', unit: '5' },
    { below: '10000', unit: '100' },
    { below: '100000', unit: '1000' },
    { below: '1000000', unit: '10000' },
    { below: '100000000', unit: '1000000' },
    { below: '500000000', unit: '10000000' },
    { below: '1000000000', unit: '50000000' },
    { below: '100000000000', unit: '100000000' },
  ],
  roundingAbove: '50000000000',
  caps: [
    { assetClass: 'InterestRate', maxTenorYears: 2, cap: '250000000' },
    { assetClass: 'InterestRate', maxTenorYears: 10, cap: '100000000' },
    { assetClass: 'InterestRate', cap: '75000000' },
    { assetClass: 'Credit', cap: '100000000' },
    { assetClass: 'Equity', cap: '250000000' },
    { assetClass: 'ForeignExchange', cap: '250000000' },
    { assetClass: 'Commodity', cap: '100000000' },
  ],
  defaultCap: '250000000',
  blockDelayMinutes: 15,
  largeNotionalDelayMinutes: { dealer: 15, other: 120 },
  largeNotionalThresholds: {
    InterestRate: '100000000',
    Credit: '100000000',
    Equity: '50000000',
    ForeignExchange: '50000000',
    Commodity: '25000000',
  },
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
    'cftc-part45': { timeZone: 'America/New_York', holidays: US_HOLIDAYS_2024_2026 },
    'cftc-part43': { timeZone: 'America/New_York', holidays: US_HOLIDAYS_2024_2026 },
    // Korean holidays: engine/rules/regimes/kst-calendar.ts (filled in by defaultReportsConfig()).
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
