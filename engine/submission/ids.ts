/**
 * Stable identifiers. A submission id is a hash of (regime, source, seq): the same event owes the same
 * submission after a crash, a replay or a resend, which is what lets the repository deduplicate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ReportRegime } from '../reports/types.js';

export function submissionId(regime: ReportRegime, sourceId: string, seq: number | bigint): string {
  const h = createHash('sha256').update(`${regime}\u0000${sourceId}\u0000${String(seq)}`).digest('base64url');
  return `S${h.slice(0, 26)}`;
}

let lastMs = 0;
let counter = 0;

/**
 * A fresh batch id, kept by the batch for every attempt. Ids of one repository sort in the order they were made
 * (milliseconds, then a counter, both fixed-width base 36), which is the order a lane sends them in; a random
 * tail keeps ids of two processes apart.
 */
export function newBatchId(repository: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else counter++;
  const order = lastMs.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0');
  return `B-${repository.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}-${order}-${randomBytes(6).toString('hex')}`;
}
