/**
 * Report builders: for an accepted event, the submissions it owes per regime, in the repository's format.
 * Pure (no I/O beyond reading the record schema once at load).
 *
 *   const builder = createReportBuilder(config);            // once
 *   for (const regime of builder.owed(report))               // per event
 *     builder.build(regime, report, receivedAtMs, 'json');   // -> { payload, dueAtMs, disseminateAtMs }
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from './config.js';
import { compileCsvWriter, csvHeader } from './csv.js';
import { compileDeadlines, dueAt, part43DueAt, baseTimeOf, type CompiledDeadlines } from './deadlines.js';
import { compileJsonWriter, type ValueOverride } from './json-writer.js';
import { capFor, compilePart43, type Cap, dealerIsParty, disseminationDelay, owesPart43, publicNotional, type CompiledPart43 } from './part43.js';
import { keptPaths } from './profiles.js';
import type { BuiltReport, ReportFormat, ReportRegime } from './types.js';

export type { BuiltReport, ReportFormat, ReportRegime } from './types.js';
export { REPORT_REGIMES } from './types.js';
export { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from './config.js';
export { csvColumns, csvHeader, parseCsvLine, type CsvColumn } from './csv.js';

/** Per-record context of the Part 43 writers: the cap that applies to this record and its currencies. */
interface P43Ctx {
  cap: Cap;
  rec: SwapReport;
}

type Rec = Record<string, unknown>;

export interface ReportBuilder {
  readonly config: ReportsConfig;
  /** The regimes this event owes a submission under. */
  owed(report: SwapReport): ReportRegime[];
  build(regime: ReportRegime, report: SwapReport, receivedAtMs: number, format: ReportFormat): BuiltReport;
  csvHeader(regime: ReportRegime): string;
}

export function createReportBuilder(config: ReportsConfig = DEFAULT_REPORTS_CONFIG): ReportBuilder {
  const p43: CompiledPart43 = compilePart43(config.part43);
  const deadlines: CompiledDeadlines = compileDeadlines(config.deadlines);
  const dealerLeis = new Set(config.deadlines.dealerLeis);
  const defaultDealer = config.deadlines.defaultCounterpartyType !== 'other';

  // Part 43 public amounts: leg notionals (and their schedules), call and put amounts.
  const notional = (ccy: (r: SwapReport) => string | undefined): ValueOverride<P43Ctx> => (v, ctx) => publicNotional(p43, v, ctx.cap, ccy(ctx.rec));
  const p43Overrides = new Map<string, ValueOverride<P43Ctx>>([
    ['leg1.notionalAmount', notional((r) => r.leg1?.notionalCurrency)],
    ['leg2.notionalAmount', notional((r) => r.leg2?.notionalCurrency)],
    ['leg1.notionalAmountSchedule.value', notional((r) => r.leg1?.notionalCurrency)],
    ['leg2.notionalAmountSchedule.value', notional((r) => r.leg2?.notionalCurrency)],
    ['callAmount', notional((r) => r.callCurrency)],
    ['putAmount', notional((r) => r.putCurrency)],
  ]);

  const json = {
    'cftc-part45': compileJsonWriter<null>(keptPaths('cftc-part45')),
    'cftc-part43': compileJsonWriter<P43Ctx>(keptPaths('cftc-part43'), p43Overrides),
    ktfc: compileJsonWriter<null>(keptPaths('ktfc')),
  };
  const csv = {
    'cftc-part45': compileCsvWriter<null>('cftc-part45'),
    'cftc-part43': compileCsvWriter<P43Ctx>('cftc-part43', p43Overrides),
    ktfc: compileCsvWriter<null>('ktfc'),
  };
  const headers = new Map<ReportRegime, string>();

  return {
    config,
    owed(report) {
      const out: ReportRegime[] = [];
      for (const r of config.regimes) if (r !== 'cftc-part43' || owesPart43(p43, report)) out.push(r);
      return out;
    },
    build(regime, report, receivedAtMs, format) {
      const rec = report as unknown as Rec;
      if (regime === 'cftc-part43') {
        const ctx: P43Ctx = { cap: capFor(p43, report), rec: report };
        const delay = disseminationDelay(p43, report, dealerIsParty(report, dealerLeis, defaultDealer));
        const payload = format === 'json' ? json['cftc-part43'](rec, ctx) : csv['cftc-part43'](rec, ctx);
        return {
          regime, format, payload,
          dueAtMs: part43DueAt(report, receivedAtMs, delay.minutes, config.part43.asapMinutes),
          disseminateAtMs: baseTimeOf(report, receivedAtMs) + delay.minutes * 60_000,
        };
      }
      const payload = format === 'json' ? json[regime](rec, null) : csv[regime](rec, null);
      return { regime, format, payload, dueAtMs: dueAt(deadlines, regime, report, receivedAtMs), disseminateAtMs: undefined };
    },
    csvHeader(regime) {
      let h = headers.get(regime);
      if (h === undefined) headers.set(regime, (h = csvHeader(regime)));
      return h;
    },
  };
}
