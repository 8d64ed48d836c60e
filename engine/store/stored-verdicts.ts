import type pg from 'pg';
import type { StoredFinding, StoredStatus } from './stored-event.js';

export interface StoredVerdict {
  seq: number;
  status: StoredStatus;
  findings: StoredFinding[];
}

/**
 * The verdicts the event log holds for some seqs of a source: what a Result frame for a resent event must carry (the
 * resend is not judged again; it was stored once, with this verdict). Seqs not stored are absent from the map.
 */
export async function readStoredVerdicts(db: pg.Pool, sourceId: string, seqs: readonly number[]): Promise<Map<number, StoredVerdict>> {
  const out = new Map<number, StoredVerdict>();
  if (seqs.length === 0) return out;
  const { rows } = await db.query<{ seq: string; status: StoredStatus; findings: StoredFinding[] | null }>(
    `SELECT e.seq, e.status,
            (SELECT json_agg(json_build_object('rule', f.rule, 'element', f.element, 'path', f.path, 'severity', f.severity, 'message', f.message) ORDER BY f.ctid)
               FROM finding f WHERE f.source_id = e.source_id AND f.seq = e.seq) AS findings
       FROM event_log e WHERE e.source_id = $1 AND e.seq = ANY($2::bigint[])`,
    [sourceId, seqs],
  );
  for (const r of rows) out.set(Number(r.seq), { seq: Number(r.seq), status: r.status, findings: r.findings ?? [] });
  return out;
}
