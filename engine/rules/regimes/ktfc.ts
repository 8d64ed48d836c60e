/**
 * The KTFC profile (Korean trade repository report) in one table: which fields it requires, which code
 * lists differ from the CFTC's, which CFTC conditions it inherits, and its deadline. The assumptions
 * behind every entry are written down in `ktfc.md` beside this file.
 */
import { defaultKoreanHolidays, koreanDeadline, kstDay } from './kst-calendar.js';
import { compareDecimal } from '../decimal.js';
import { timestamp as timestampFormat } from '../formats.js';

export interface KtfcProfile {
  /** Each entry is one requirement; several paths = at least one of them must be populated. */
  readonly required: readonly (readonly string[])[];
  /** Conditional requirements of the profile's own: `path` is required when `whenPresent` is populated. */
  readonly requiredWith: readonly { readonly path: string; readonly whenPresent: string; readonly de: number }[];
  /** Code lists that differ from the CFTC element table. */
  readonly codeLists: Readonly<Record<string, readonly string[]>>;
  /** Action types that take no event type (besides CFTC's CORR, EROR, REVI, VALU, MARU). */
  readonly actionsWithoutEvent: readonly string[];
  /** Numbers (cftc-conditions.md) of the Part 45 conditions that do not apply to KTFC. */
  readonly excludedConditions: readonly number[];
  /** Business days after the execution date (KST) by which a report is due; 0 for CCP reports. */
  readonly deadlineBusinessDays: number;
  readonly ccpDeadlineBusinessDays: number;
  /** Hour (KST, UTC+9) of the due business day by which the report is due; 24 = end of that day (ktfc.md, K8). */
  readonly deadlineHourKst: number;
  /**
   * Phase-in of the reporting obligation by the reporting firm's outstanding OTC-derivatives notional, in KRW
   * (decimal text): from `from` (KST date) firms at or above `minOutstandingKrw` report. ktfc.md, K9: an assumption.
   */
  readonly reporterThresholdsKrw: readonly { readonly from: string; readonly minOutstandingKrw: string }[];
  /** Data element number per required path, for findings. */
  readonly elementOf: Readonly<Record<string, number>>;
}

export const KTFC_PROFILE: KtfcProfile = {
  required: [
    ['uniqueTransactionIdentifier'],
    ['uniqueProductIdentifier'],
    ['counterparty1'],
    ['counterparty2'],
    ['counterparty2IdentifierSource'],
    ['reportSubmittingEntityID'],
    ['actionType'],
    ['eventTimestamp'],
    ['executionTimestamp'],
    ['reportingTimestamp'],
    ['effectiveDate'],
    ['expirationDate'],
    ['cleared'],
    ['leg1.notionalAmount', 'leg1.notionalQuantity', 'leg1.totalNotionalQuantity'],
  ],
  requiredWith: [
    { path: 'leg1.notionalCurrency', whenPresent: 'leg1.notionalAmount', de: 32 },
    { path: 'leg2.notionalCurrency', whenPresent: 'leg2.notionalAmount', de: 32 },
  ],
  codeLists: {
    actionType: ['NEWT', 'MODI', 'CORR', 'TERM', 'EROR', 'REVI', 'PRTO', 'VALU', 'MARU', 'POSC'],
  },
  actionsWithoutEvent: ['POSC'],
  excludedConditions: [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, // DRR helper-format checks on nonReportable *Format fields
    12, 14, 15, 16, 17, 18, 19, 20, 21, 22, // CFTC clearing linkage, exemptions, financial entity
    27, // replaced by the KTFC action/event table (POSC)
    77, 81, 82, 84, 86, // non-standardised term, prime brokerage, USIs, new SDR
  ],
  deadlineBusinessDays: 1,
  ccpDeadlineBusinessDays: 0,
  deadlineHourKst: 24,
  reporterThresholdsKrw: [
    { from: '2021-04-19', minOutstandingKrw: '10000000000000' }, // KRW 10 trillion
    { from: '2021-07-19', minOutstandingKrw: '1000000000000' }, // KRW 1 trillion
    { from: '2022-01-17', minOutstandingKrw: '0' }, // every remaining firm
  ],
  elementOf: {
    uniqueTransactionIdentifier: 103,
    uniqueProductIdentifier: 87,
    counterparty1: 13,
    counterparty2: 14,
    counterparty2IdentifierSource: 15,
    reportSubmittingEntityID: 22,
    actionType: 26,
    eventTimestamp: 30,
    executionTimestamp: 96,
    reportingTimestamp: 97,
    effectiveDate: 94,
    expirationDate: 95,
    cleared: 1,
    'leg1.notionalAmount': 31,
  },
};

/**
 * Whether a firm with `outstandingKrw` of OTC derivatives outstanding (decimal text, KRW) must report on KST date
 * `date` (YYYY-MM-DD) under the phase-in of `reporterThresholdsKrw`; false before the first phase.
 */
export function ktfcReporterObliged(outstandingKrw: string, date: string, thresholds = KTFC_PROFILE.reporterThresholdsKrw): boolean {
  let min: string | undefined;
  for (const t of thresholds) if (t.from <= date) min = t.minOutstandingKrw;
  return min !== undefined && compareDecimal(outstandingKrw, min) >= 0;
}

const HOLIDAYS = defaultKoreanHolidays();
/** Deadline (epoch ms and ISO text) per (KST execution day, business days): every trade of a day shares it. */
const deadlines = new Map<number, { readonly ms: number; readonly iso: string }>();

function digits(ts: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (ts.charCodeAt(i) - 48);
  return n;
}

/** Epoch ms of a `YYYY-MM-DDThh:mm:ss[.f]Z` timestamp already known to be well-formed (whole ms). */
function epochMs(ts: string): number {
  const ms = ts.length > 21 ? Math.floor(digits(ts, 20, Math.min(ts.length - 1, 23)) * 10 ** (3 - Math.min(ts.length - 21, 3))) : 0;
  return Date.UTC(digits(ts, 0, 4), digits(ts, 5, 7) - 1, digits(ts, 8, 10), digits(ts, 11, 13), digits(ts, 14, 16), digits(ts, 17, 19)) + ms;
}

/**
 * Reporting deadline check: null when on time (or not checkable: a malformed timestamp is the format
 * rules' finding), else the deadline as an ISO string.
 */
export function ktfcLateBy(executionTimestamp: unknown, reportingTimestamp: unknown, ccpReport: boolean): string | null {
  if (typeof executionTimestamp !== 'string' || typeof reportingTimestamp !== 'string') return null;
  if (timestampFormat(executionTimestamp) !== null || timestampFormat(reportingTimestamp) !== null) return null;
  const days = ccpReport ? KTFC_PROFILE.ccpDeadlineBusinessDays : KTFC_PROFILE.deadlineBusinessDays;
  const day = kstDay(epochMs(executionTimestamp));
  const key = day * 8 + days;
  let deadline = deadlines.get(key);
  if (deadline === undefined) {
    const ms = koreanDeadline(day, days, HOLIDAYS, KTFC_PROFILE.deadlineHourKst);
    deadline = { ms, iso: new Date(ms).toISOString() };
    if (deadlines.size > 10_000) deadlines.clear();
    deadlines.set(key, deadline);
  }
  return epochMs(reportingTimestamp) >= deadline.ms ? deadline.iso : null;
}
