/**
 * The repository wire formats our channels speak (and the simulator in loadtest/sdr-sim serves):
 *
 * HTTPS API
 *   POST {base}/v1/submissions   body BatchRequest (JSON), header Idempotency-Key: batchId
 *     200 BatchResponse with a result per record, or 202 { batchId, status: 'processing' } to poll
 *   GET  {base}/v1/batches/{batchId}   200 BatchResponse (status 'complete') | 202 still processing | 404
 * SFTP
 *   upload {inbox}/{batchId}.{regime}.csv (or .jsonl), written as .part and renamed when complete; CSV
 *   header = "Submission id" + the regime's data-element columns; JSONL = one BatchRecord per line.
 *   response files {outbox}/*.json, each a BatchResponse; the client deletes a file once applied.
 */
import type { ReportRegime } from '../reports/types.js';
import type { Outcome, ResponseCode } from './types.js';

export interface WireResult {
  submissionId: string;
  status: 'ACK' | 'NACK';
  errors: ResponseCode[];
}

export interface BatchResponse {
  batchId: string;
  status: 'complete' | 'processing';
  results?: WireResult[];
}

export const CSV_ID_COLUMN = 'Submission id';

/** File name of an uploaded batch. */
export function batchFileName(batchId: string, regime: ReportRegime, format: 'csv' | 'jsonl'): string {
  return `${batchId}.${regime}.${format}`;
}

/** Parses a batch file name back (the simulator uses it); undefined when it is not one. */
export function parseBatchFileName(name: string): { batchId: string; regime: ReportRegime; format: 'csv' | 'jsonl' } | undefined {
  const m = /^(.+)\.(cftc-part45|cftc-part43|ktfc)\.(csv|jsonl)$/.exec(name);
  if (!m) return undefined;
  return { batchId: m[1]!, regime: m[2] as ReportRegime, format: m[3] as 'csv' | 'jsonl' };
}

function isCode(v: unknown): v is ResponseCode {
  return typeof v === 'object' && v !== null && typeof (v as ResponseCode).code === 'string' && typeof (v as ResponseCode).message === 'string';
}

/** Validates a BatchResponse received from a repository and turns its results into outcomes. */
export function outcomesOf(body: unknown): { batchId: string; complete: boolean; outcomes: Outcome[] } {
  if (typeof body !== 'object' || body === null) throw new Error('response is not a JSON object');
  const b = body as Partial<BatchResponse>;
  if (typeof b.batchId !== 'string') throw new Error('response lacks batchId');
  if (b.status === 'processing') return { batchId: b.batchId, complete: false, outcomes: [] };
  if (!Array.isArray(b.results)) throw new Error('response lacks results');
  const outcomes: Outcome[] = [];
  for (const r of b.results as unknown[]) {
    const x = r as Partial<WireResult>;
    if (typeof x.submissionId !== 'string' || (x.status !== 'ACK' && x.status !== 'NACK')) throw new Error('malformed result in response');
    const errors = Array.isArray(x.errors) ? x.errors.filter(isCode) : [];
    outcomes.push({ submissionId: x.submissionId, outcome: x.status, codes: errors, batchId: b.batchId });
  }
  return { batchId: b.batchId, complete: true, outcomes };
}
