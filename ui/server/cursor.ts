/**
 * Opaque keyset cursors: the sort key of the last row of a page, as base64url JSON tagged with the list it
 * belongs to, so a cursor from one list cannot be replayed against another.
 */
import { badRequest } from './http.js';

export type CursorKey = (string | number)[];

export function encodeCursor(list: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

export function decodeCursor(list: string, cursor: string | undefined, shape: ('string' | 'number')[]): CursorKey | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not one this server issued', 'cursor');
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || parsed.length !== shape.length + 1) throw badRequest(`cursor is not one this server issued for ${list}`, 'cursor');
  const key = parsed.slice(1) as unknown[];
  key.forEach((k, i) => {
    if (typeof k !== shape[i]) throw badRequest('cursor is damaged', 'cursor');
  });
  return key as CursorKey;
}

/** Cuts `rows` (fetched with limit + 1) to a page, with the cursor of its last row when more follow. */
export function pageOf<R, T>(list: string, rows: R[], limit: number, keyOf: (r: R) => CursorKey, map: (r: R) => T): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(map), nextCursor: more && page.length > 0 ? encodeCursor(list, keyOf(page[page.length - 1]!)) : null };
}
