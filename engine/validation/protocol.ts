import type { Finding, RulebookOptions } from '../rules/index.js';

/** What a validation thread is started with: the rulebook to compile. */
export type ValidationWorkerConfig = RulebookOptions;

/** One micro-batch's reports, back to back in `reports`; report i ends at ends[i] (and starts where i - 1 ends). */
export interface ValidationTask {
  reports: ArrayBuffer;
  ends: ArrayBuffer;
}

/** The findings of the reports that have any (most have none, and cost nothing to send back). */
export interface ValidationResult {
  /** Ascending indexes into the task's reports. */
  flagged: number[];
  /** findings[k] belongs to report flagged[k]. */
  findings: (readonly Finding[])[];
}
