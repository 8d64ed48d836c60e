/**
 * A validation thread (a piscina worker): decodes a micro-batch's reports and runs the stateless rulebook over them,
 * the half of judging an event that needs no trade state. It runs at normal priority: it is on the acknowledgement path.
 */
import { workerData } from 'piscina';
import { compileRulebook } from '../rules/index.js';
import { checkReport } from './check-report.js';
import type { ValidationResult, ValidationTask, ValidationWorkerConfig } from './protocol.js';

const rulebook = compileRulebook(workerData as ValidationWorkerConfig);

export default function validate(task: ValidationTask): ValidationResult {
  const reports = Buffer.from(task.reports);
  const ends = new Int32Array(task.ends);
  const result: ValidationResult = { flagged: [], findings: [] };
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const findings = checkReport(rulebook, reports.subarray(start, end));
    if (findings.length > 0) {
      result.flagged.push(i);
      result.findings.push(findings);
    }
    start = end;
  }
  return result;
}
