/**
 * Report builders: for an accepted event, the submissions it owes per regime, in the repository's format.
 * Pure (no I/O beyond reading the record schema once at load).
 *
 * Part 43 is reported unmasked (17 CFR 43.3(a)): the values are the report's own, as for Part 45, over the Part 43
 * elements. Rounding, capping and delaying are the SDR's public dissemination (§ 43.4(f)-(h), § 43.5: public-record.ts,
 * done by loadtest/sdr-sim); the engine only computes when the SDR may disseminate each trade (`disseminateAtMs`,
 * stored with the submission as monitoring data) and, from it, the Part 43 deadline.
 *
 *   const builder = createReportBuilder(config);            // once
 *   for (const regime of builder.owed(report))               // per event
 *     builder.build(regime, report, receivedAtMs, 'json');   // -> { payload, dueAtMs, disseminateAtMs }
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from './config.js';
import { compileCsvWriter, csvHeader } from './csv.js';
import { compileDeadlines, dueAt, part43DueAt, baseTimeOf, type CompiledDeadlines } from './deadlines.js';
import { compileJsonWriter } from './json-writer.js';
import { compilePart43, dealerIsParty, disseminationDelay, owesPart43, type CompiledPart43 } from './part43.js';
import { keptPaths } from './profiles.js';
import type { BuiltReport, ReportFormat, ReportRegime } from './types.js';

export type { BuiltReport, ReportFormat, ReportRegime } from './types.js';
export { REPORT_REGIMES } from './types.js';
export { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from './config.js';
export { csvColumns, csvHeader, parseCsvLine, type CsvColumn } from './csv.js';
export { createPublicRecordWriter, type PublicRecord, type PublicRecordWriter } from './public-record.js';

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

  const json = {
    'cftc-part45': compileJsonWriter<null>(keptPaths('cftc-part45')),
    'cftc-part43': compileJsonWriter<null>(keptPaths('cftc-part43')),
    ktfc: compileJsonWriter<null>(keptPaths('ktfc')),
  };
  const csv = {
    'cftc-part45': compileCsvWriter<null>('cftc-part45'),
    'cftc-part43': compileCsvWriter<null>('cftc-part43'),
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
      const payload = format === 'json' ? json[regime](rec, null) : csv[regime](rec, null);
      if (regime === 'cftc-part43') {
        // Monitoring only: when the SDR may disseminate (§ 43.5), which also sets the Part 43 deadline.
        const delay = disseminationDelay(p43, report, dealerIsParty(report, dealerLeis, defaultDealer));
        return {
          regime, format, payload,
          dueAtMs: part43DueAt(report, receivedAtMs, delay.minutes, config.part43.asapMinutes),
          disseminateAtMs: baseTimeOf(report, receivedAtMs) + delay.minutes * 60_000,
        };
      }
      return { regime, format, payload, dueAtMs: dueAt(deadlines, regime, report, receivedAtMs), disseminateAtMs: undefined };
    },
    csvHeader(regime) {
      let h = headers.get(regime);
      if (h === undefined) headers.set(regime, (h = csvHeader(regime)));
      return h;
    },
  };
}
