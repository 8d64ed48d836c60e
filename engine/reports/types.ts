/** Vocabulary of the report builders. */
import type { SwapReport } from '../../proto/gen/swap_report.js';

export type { SwapReport };

/** A regime a submission is owed under (the same names as the rulebook's regimes). */
export type ReportRegime = 'cftc-part45' | 'cftc-part43' | 'ktfc';
export const REPORT_REGIMES: readonly ReportRegime[] = ['cftc-part45', 'cftc-part43', 'ktfc'];

export type ReportFormat = 'json' | 'csv';

/** One submission's content, ready for a channel. */
export interface BuiltReport {
  readonly regime: ReportRegime;
  readonly format: ReportFormat;
  /** Flat JSON object text (format json) or one CSV row without line end (format csv). */
  readonly payload: string;
  /** When the submission is due at the latest (epoch ms). */
  readonly dueAtMs: number;
  /** Part 43: the earliest public dissemination time (execution + delay); undefined for other regimes. */
  readonly disseminateAtMs: number | undefined;
}
