/**
 * When each owed submission is due (pure):
 * - CFTC Part 45: T+1 business day (New York calendar) for swap dealers, MSPs, SEFs, DCMs and DCOs,
 *   T+2 for other reporting counterparties, counted from the execution date for a NEWT (creation data)
 *   and from the event date otherwise (continuation data);
 * - CFTC Part 43: as soon as technologically practicable after the dissemination delay
 *   (execution + delay + `asapMinutes`);
 * - KTFC: the next Korean business day (Korea time), the same day for a CCP reporting its own cleared trade
 *   (engine/rules/regimes/ktfc.md, assumption 5), at KTFC_PROFILE.deadlineHourKst (24: the end of that day).
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { KTFC_PROFILE } from '../rules/regimes/ktfc.js';
import { endOfBusinessDay, type BusinessCalendar } from './calendar.js';
import { DEFAULT_DEADLINES, type CounterpartyType, type DeadlineConfig } from './config.js';
import { regimeHolidayCalendar } from './holidays/index.js';
import type { ReportRegime } from './types.js';

export interface CompiledDeadlines {
  readonly config: DeadlineConfig;
  readonly calendars: Readonly<Record<ReportRegime, BusinessCalendar>>;
  readonly dealerLeis: ReadonlySet<string>;
}

export function compileDeadlines(config: DeadlineConfig): CompiledDeadlines {
  const cal = (r: ReportRegime): BusinessCalendar => {
    // A configuration file may name only some regimes' calendars, or only some keys of one: the rest is default.
    const c = { ...DEFAULT_DEADLINES.calendars[r], ...(config.calendars as Partial<DeadlineConfig['calendars']> | undefined)?.[r] };
    // Holidays by rule for any year (US Federal for CFTC, Korean for KTFC: holidays/), with the configured
    // additions and removals. The KTFC rules' late warning uses the same Korean rules (kst-calendar.ts).
    const holidays = regimeHolidayCalendar(r, c);
    // Compute this year's holidays now, while starting, not when the first event's deadline is asked for
    // (loading the holiday library, for the US Federal holidays, takes about 0.4 s).
    holidays.has(new Date().toISOString().slice(0, 10));
    return { timeZone: c.timeZone, holidays };
  };
  return {
    config,
    calendars: { 'cftc-part45': cal('cftc-part45'), 'cftc-part43': cal('cftc-part43'), ktfc: cal('ktfc') },
    dealerLeis: new Set(config.dealerLeis),
  };
}

/** The reporting counterparty's type: TR SD/MSP flag, a DCO reporting its own cleared trade, our dealer LEIs, else the default. */
export function counterpartyTypeOf(d: CompiledDeadlines, report: SwapReport): CounterpartyType {
  if (report.cftcGuidebook?.sdMspIndicatorParty1 === true) return 'SD';
  if (report.cleared === 'Y' && report.centralCounterparty !== undefined && report.centralCounterparty === report.counterparty1) return 'DCO';
  if (report.counterparty1 !== undefined && d.dealerLeis.has(report.counterparty1)) return 'SD';
  if (report.cftcGuidebook?.sdMspIndicatorParty1 === false) return 'other';
  return d.config.defaultCounterpartyType;
}

/** The instant the deadline counts from: execution for creation data (NEWT), else the event; else receipt. */
export function baseTimeOf(report: SwapReport, receivedAtMs: number): number {
  const text = report.actionType === 'NEWT' ? (report.executionTimestamp ?? report.eventTimestamp) : (report.eventTimestamp ?? report.executionTimestamp);
  const t = text !== undefined ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? receivedAtMs : t;
}

/** Due instant (epoch ms) of a Part 45 or KTFC submission. Part 43 goes through part43DueAt. */
export function dueAt(d: CompiledDeadlines, regime: ReportRegime, report: SwapReport, receivedAtMs: number): number {
  const base = baseTimeOf(report, receivedAtMs);
  if (regime === 'ktfc') {
    const ccp = report.cleared === 'Y' && report.centralCounterparty !== undefined && report.centralCounterparty === report.counterparty1;
    // The due business day ends at midnight KST; the regime's deadline hour may come earlier in that day.
    return endOfBusinessDay(d.calendars.ktfc, base, ccp ? d.config.ktfcCcpDays : d.config.ktfcDays) - (24 - KTFC_PROFILE.deadlineHourKst) * 3_600_000;
  }
  const type = counterpartyTypeOf(d, report);
  const days = type === 'other' ? d.config.part45DaysOther : d.config.part45DaysFast;
  return endOfBusinessDay(d.calendars[regime], base, days);
}

/** Part 43: ASAP after the dissemination delay. */
export function part43DueAt(report: SwapReport, receivedAtMs: number, delayMinutes: number, asapMinutes: number): number {
  return baseTimeOf(report, receivedAtMs) + (delayMinutes + asapMinutes) * 60_000;
}
