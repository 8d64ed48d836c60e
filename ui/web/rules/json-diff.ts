/** Differences between two flat DRR records, path by path (what a supervisor checks before approving). */
import type { FieldChange } from '../../api/contract.js';

function flatten(v: unknown, path: string, out: Map<string, unknown>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object')) {
    v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
  } else {
    out.set(path, v);
  }
}

export function diffRecords(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  // Decimals may come back as numbers or strings: compare their text.
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y) || (x !== undefined && y !== undefined && String(x) === String(y));
  return paths.filter((p) => !same(a.get(p), b.get(p))).map((path) => ({ path, before: a.get(path) ?? null, after: b.get(path) ?? null }));
}
