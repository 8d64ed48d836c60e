/**
 * Stable identifiers. A submission id is a hash of (regime, source, seq): the same event owes the same
 * submission after a crash, a replay or a resend, which is what lets the repository deduplicate.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ReportRegime } from '../reports/types.js';

export function submissionId(regime: ReportRegime, sourceId: string, seq: number | bigint): string {
  const h = createHash('sha256').update(`${regime}\u0000${sourceId}\u0000${String(seq)}`).digest('base64url');
  return `S${h.slice(0, 26)}`;
}

/** A fresh batch id (a batch is one transport attempt's grouping; its records keep their own ids). */
export function newBatchId(repository: string): string {
  return `B-${repository.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}-${randomUUID()}`;
}
