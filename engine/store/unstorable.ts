/**
 * Values PostgreSQL would refuse, found before it is asked: a follower of the event log sets the event that
 * holds one aside at once (engine/store/dead-letters.ts), instead of failing a pass of 10,000 events on it.
 */

/**
 * The longest key text a btree index takes comfortably: PostgreSQL refuses an index row over about a third of
 * an 8 kB page (2,704 bytes); a UTI is at most 52 characters, so anything near the limit is not an identifier.
 */
export const MAX_KEY_BYTES = 2_000;

/** Why PostgreSQL would refuse one of these key values (a NUL, or longer than an index takes), or undefined. */
export function unstorableText(values: readonly (string | null | undefined)[]): string | undefined {
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (v.includes('\u0000')) return 'a key field holds a NUL character (U+0000), which PostgreSQL text cannot store';
    if (v.length > MAX_KEY_BYTES / 4 && Buffer.byteLength(v, 'utf8') > MAX_KEY_BYTES) {
      return `a key field is ${Buffer.byteLength(v, 'utf8')} bytes long, more than an index takes (${MAX_KEY_BYTES})`;
    }
  }
  return undefined;
}
