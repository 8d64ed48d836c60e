import { decodeReport } from '../record/decode-report.js';
import type { Finding, Rulebook } from '../rules/index.js';

/** The rule of the finding an undecodable report gets: nothing else can be said of it. */
export const SCHEMA_RULE = 'SCHEMA';

/** Shared by every report without findings (most of them). */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/**
 * The stateless half of judging an event: decodes the report and runs the rulebook over it. Runs on a validation
 * thread (worker.ts) or, with none, inside the counterparty actor (engine/judge.ts); both get the same findings.
 */
export function checkReport(rulebook: Rulebook, bytes: Uint8Array): readonly Finding[] {
  let report;
  try {
    report = decodeReport(bytes);
  } catch (err) {
    return [{ rule: SCHEMA_RULE, element: '', path: '', severity: 'error', message: `the report is not a valid SwapReport: ${(err as Error).message}` }];
  }
  const findings = rulebook.validate(report);
  return findings.length === 0 ? NO_FINDINGS : findings;
}

/** Whether the findings say the report could not be decoded (the lifecycle rules then have nothing to go on). */
export function undecodable(findings: readonly Finding[]): boolean {
  return findings.length === 1 && findings[0]!.rule === SCHEMA_RULE;
}
