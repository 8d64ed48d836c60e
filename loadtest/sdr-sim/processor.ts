/**
 * Evaluates a batch of submissions against the repository state: a submission id already seen gets its first
 * answer again (idempotency: a resend never creates a second report); a new one is checked and, if accepted,
 * applied. Shared by the HTTP and SFTP front ends.
 */
import type { ReportRegime } from '../../engine/reports/types.js';
import type { WireResult } from '../../engine/submission/wire.js';
import { applyRecord, checkRecord, noteRejected } from './checks.js';
import type { Parsed } from './records.js';
import type { RepositoryState } from './state.js';

export interface IncomingRecord {
  submissionId: string;
  parsed: Parsed;
}

export interface ProcessorStats {
  batches: number;
  records: number;
  resent: number;
}

const NO_ERRORS: readonly never[] = Object.freeze([]);

/** Told of each record the repository accepts (once per submission id: a resend is not accepted again). */
export type AcceptListener = (regime: ReportRegime, submissionId: string, parsed: Extract<Parsed, { ok: true }>) => void;

export class BatchProcessor {
  readonly stats: ProcessorStats = { batches: 0, records: 0, resent: 0 };
  /** The public tape's hook (public-tape.ts): Part 43 records are disseminated once accepted. */
  onAccept: AcceptListener | undefined;

  constructor(readonly state: RepositoryState, public permissions: Map<string, Set<string>>) {}

  process(regime: ReportRegime, batchSubmitter: string | undefined, records: readonly IncomingRecord[]): WireResult[] {
    this.stats.batches++;
    const out: WireResult[] = [];
    for (const r of records) {
      this.stats.records++;
      const seen = this.state.results.get(r.submissionId);
      if (seen) {
        this.stats.resent++;
        out.push({ submissionId: r.submissionId, status: seen.length === 0 ? 'ACK' : 'NACK', errors: [...seen] });
        continue;
      }
      let result: WireResult;
      if (!r.parsed.ok) {
        result = { submissionId: r.submissionId, status: 'NACK', errors: r.parsed.errors };
      } else {
        const errors = checkRecord(r.parsed.row, { regime, batchSubmitter, permissions: this.permissions }, this.state);
        if (errors.length === 0) {
          applyRecord(r.parsed.row, regime, r.submissionId, this.state);
          this.onAccept?.(regime, r.submissionId, r.parsed);
          result = { submissionId: r.submissionId, status: 'ACK', errors: [] };
        } else {
          noteRejected(r.parsed.row, regime, this.state);
          result = { submissionId: r.submissionId, status: 'NACK', errors };
        }
      }
      if (result.status === 'ACK') this.state.acked++;
      else this.state.nacked++;
      this.state.results.set(r.submissionId, result.status === 'ACK' ? NO_ERRORS : result.errors);
      out.push(result);
    }
    return out;
  }
}
