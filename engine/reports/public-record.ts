/**
 * The public Part 43 record an SDR disseminates for a reported swap (pure): the Part 43 elements less the
 * identities and transaction identifiers (§ 43.4(d) anonymity; profiles.ts PART43_WITHHELD_ELEMENTS), the notional
 * and principal amounts rounded (§ 43.4(f)) and capped with "+" (§ 43.4(g)/(h)), and the time delay the record
 * takes (§ 43.5). The engine never publishes: it reports unmasked (§ 43.3(a)). This module is the SDR's side of the
 * rule, used by the simulated repository (loadtest/sdr-sim/public-tape.ts) and by tests that check its tape.
 *
 *   const publicRecord = createPublicRecordWriter(DEFAULT_PART43);
 *   const { record, delay, disseminateAtMs } = publicRecord(report, receivedAtMs);
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';
import type { Part43Config } from './config.js';
import { baseTimeOf } from './deadlines.js';
import { compileJsonWriter, type ValueOverride } from './json-writer.js';
import { capFor, compilePart43, type Cap, dealerIsParty, disseminationDelay, publicNotional, type DelayReason } from './part43.js';
import { publicPaths } from './profiles.js';

/** Per-record context of the public writer: the cap that applies to this record, and the record (for currencies). */
interface PublicCtx {
  cap: Cap;
  rec: SwapReport;
}

export interface PublicRecord {
  /** The public record as flat JSON text (the submission's JSON shape, fewer elements, masked amounts). */
  readonly record: string;
  readonly delay: { readonly minutes: number; readonly reason: DelayReason };
  /** The earliest instant the rule lets the record be disseminated: execution + delay (epoch ms). */
  readonly disseminateAtMs: number;
}

export interface PublicRecordOptions {
  /** LEIs of swap dealers and major swap participants (besides the record's SD/MSP indicators), for § 43.5 delays. */
  readonly dealerLeis?: readonly string[];
  /** Whether a record that says nothing of SD/MSP parties counts as having one (the engine's default: yes). */
  readonly defaultDealer?: boolean;
}

export type PublicRecordWriter = (report: SwapReport, receivedAtMs: number) => PublicRecord;

export function createPublicRecordWriter(config: Part43Config, options: PublicRecordOptions = {}): PublicRecordWriter {
  const p43 = compilePart43(config);
  const dealerLeis = new Set(options.dealerLeis ?? []);
  const defaultDealer = options.defaultDealer ?? true;
  // Public amounts: leg notionals (and their schedules), call and put amounts.
  const notional = (ccy: (r: SwapReport) => string | undefined): ValueOverride<PublicCtx> => (v, ctx) => publicNotional(p43, v, ctx.cap, ccy(ctx.rec));
  const overrides = new Map<string, ValueOverride<PublicCtx>>([
    ['leg1.notionalAmount', notional((r) => r.leg1?.notionalCurrency)],
    ['leg2.notionalAmount', notional((r) => r.leg2?.notionalCurrency)],
    ['leg1.notionalAmountSchedule.value', notional((r) => r.leg1?.notionalCurrency)],
    ['leg2.notionalAmountSchedule.value', notional((r) => r.leg2?.notionalCurrency)],
    ['callAmount', notional((r) => r.callCurrency)],
    ['putAmount', notional((r) => r.putCurrency)],
  ]);
  const write = compileJsonWriter<PublicCtx>(publicPaths(), overrides);
  return (report, receivedAtMs) => {
    const delay = disseminationDelay(p43, report, dealerIsParty(report, dealerLeis, defaultDealer));
    return {
      record: write(report as unknown as Record<string, unknown>, { cap: capFor(p43, report), rec: report }),
      delay,
      // § 43.5: the delay begins upon execution (baseTimeOf: execution for a NEWT, else the event; else receipt).
      disseminateAtMs: baseTimeOf(report, receivedAtMs) + delay.minutes * 60_000,
    };
  };
}
