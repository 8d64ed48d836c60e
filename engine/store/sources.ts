import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';

/**
 * FEP sources and their tokens. Tokens are 32 random bytes, so a plain SHA-256 is enough to store them
 * safely (slow password hashes exist for low-entropy human passwords, not for random keys).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function upsertSource(db: pg.Pool | pg.ClientBase, sourceId: string, token: string): Promise<void> {
  await db.query(
    `INSERT INTO fep_source (source_id, token_hash) VALUES ($1, $2)
     ON CONFLICT (source_id) DO UPDATE SET token_hash = EXCLUDED.token_hash`,
    [sourceId, hashToken(token)],
  );
}

/** `SWAPREP_SOURCES="id1=token1,id2=token2"` → pairs; throws naming the malformed entry. */
export function parseSourcesSpec(spec: string): { sourceId: string; token: string }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0 || eq === entry.length - 1) throw new Error(`SWAPREP_SOURCES: entry "${entry}" is not of the form id=token`);
      return { sourceId: entry.slice(0, eq), token: entry.slice(eq + 1) };
    });
}

/** Checks a source's token; false for an unknown source or a wrong token. */
export async function verifySource(db: pg.Pool, sourceId: string, token: string): Promise<boolean> {
  const { rows } = await db.query<{ token_hash: string }>('SELECT token_hash FROM fep_source WHERE source_id = $1', [sourceId]);
  const stored = rows[0]?.token_hash;
  if (!stored) return false;
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(hashToken(token), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RecoveredSource {
  /** Every seq up to this one is stored. */
  lastDurable: number;
  /** Seqs stored beyond a hole (a crash between two group commits): resends of these are not stored again. */
  storedAhead: Set<number>;
}

/**
 * Finds a source's contiguous durable watermark after a restart. Group commits of one source can land
 * out of order, so after a crash the event log may hold seq 7 without seq 6; acknowledging "up to the
 * max" would then skip 6 for ever. Starting from the committed lower bound `fep_source.durable_seq`, only
 * the rows above it (at most the events that were in flight) are read.
 */
export async function recoverSourceState(db: pg.Pool, sourceId: string): Promise<RecoveredSource> {
  const base = await db.query<{ durable_seq: string }>('SELECT durable_seq FROM fep_source WHERE source_id = $1', [sourceId]);
  let lastDurable = Number(base.rows[0]?.durable_seq ?? 0);
  const { rows } = await db.query<{ seq: string }>('SELECT seq FROM event_log WHERE source_id = $1 AND seq > $2 ORDER BY seq', [sourceId, lastDurable]);
  const storedAhead = new Set<number>();
  for (const r of rows) {
    const seq = Number(r.seq);
    if (seq === lastDurable + 1 && storedAhead.size === 0) lastDurable = seq;
    else storedAhead.add(seq);
  }
  return { lastDurable, storedAhead };
}

/**
 * SQL that advances the committed lower bounds of sources' durable seqs, run inside a group commit and sent with
 * its COMMIT in one simple-query message (which takes no parameters: the values are quoted literals).
 */
export function advanceDurableSeqsSql(db: pg.ClientBase, sourceIds: readonly string[], seqs: readonly number[]): string {
  if (sourceIds.length === 0) return '';
  const values = sourceIds.map((id, i) => `(${db.escapeLiteral(id)}, ${Math.trunc(seqs[i]!)}::bigint)`).join(', ');
  return `UPDATE fep_source s SET durable_seq = w.seq FROM (VALUES ${values}) AS w(source_id, seq)
   WHERE s.source_id = w.source_id AND s.durable_seq < w.seq;
`;
}
