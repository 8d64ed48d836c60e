import { SwapReport } from '../../proto/gen/swap_report.js';
import { reportFromJson } from '../../engine/record/json.js';
import { irSwap45, LEI } from '../fixtures/rules/records.js';

/** A small report for protocol tests: routable, but far from passing the rulebook (it is stored as rejected). */
export function makeReport(n: number, opts: { uti?: string; counterparty1?: string; actionType?: string } = {}): Uint8Array {
  return SwapReport.encode(
    SwapReport.fromPartial({
      counterparty1: opts.counterparty1 ?? `CP${String(n % 7).padStart(18, '0')}`,
      actionType: opts.actionType ?? 'NEWT',
      eventTimestamp: new Date(Date.UTC(2024, 3, 1, 12, 0, 0) + n * 1000).toISOString().replace('.000Z', 'Z'),
      uniqueTransactionIdentifier: opts.uti ?? `UTI${String(n).padStart(12, '0')}`,
    }),
  ).finish();
}

export function makeReports(from: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => makeReport(from + i));
}

/** The event type each action needs to pass the Part 45 rules (CORR and EROR carry none). */
const EVENT_TYPE: Record<string, string | undefined> = { NEWT: 'TRAD', MODI: 'TRAD', TERM: 'ETRM', CORR: undefined, EROR: undefined, REVI: undefined };

/**
 * A record that passes the Part 45 rulebook with no finding (the rulebook tests' fixed-float IRS), as
 * action `actionType` of trade `uti` (the dealer's LEI + suffix); events at increasing `minute`s.
 */
export function makeValidReport(opts: { uti: string; actionType: string; minute?: number }): Uint8Array {
  const json = irSwap45();
  json.uniqueTransactionIdentifier = `${LEI.dealer}${opts.uti}`;
  json.actionType = opts.actionType;
  const eventType = EVENT_TYPE[opts.actionType];
  if (eventType) json.eventType = eventType;
  else delete json.eventType;
  if (opts.actionType === 'MODI') json.amendmentIndicator = false;
  if (opts.minute !== undefined) {
    // After the execution (14:15:36) and before reporting, as Part 45 requires.
    const at = (m: number) => new Date(Date.UTC(2024, 3, 1, 14, 16) + m * 60_000).toISOString().replace('.000Z', 'Z');
    json.eventTimestamp = at(opts.minute);
    json.reportingTimestamp = at(opts.minute + 1);
  }
  const decoded = reportFromJson(json);
  if (!decoded.ok) throw new Error(decoded.issues.map((i) => i.path + ': ' + i.message).join('; '));
  return SwapReport.encode(decoded.report).finish();
}

export const DEALER_LEI = LEI.dealer;
