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

/** The highest durable seq of a source (0 when it has stored nothing): a backward scan of the primary key. */
export async function lastDurableSeq(db: pg.Pool, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM event_log WHERE source_id = $1', [sourceId]);
  return rows[0]?.seq ? Number(rows[0].seq) : 0;
}
