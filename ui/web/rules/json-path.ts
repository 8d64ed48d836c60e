/** Reading and writing a flat DRR record by path ("leg1.notionalAmount", "otherPayment[0].amount"). */

type Json = Record<string, unknown>;

export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function getAt(record: Json, path: string): unknown {
  let v: unknown = record;
  for (const k of splitPath(path)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/**
 * A copy of `record` with `value` at `path` (undefined removes it; objects left empty are removed too, so
 * clearing the last field of a leg does not leave `leg2: {}` behind, but an emptied item of an array stays).
 */
export function setAt(record: Json, path: string, value: unknown): Json {
  const keys = splitPath(path);
  const copy = structuredClone(record);
  const parents: [Record<string | number, unknown>, string | number][] = [];
  let node: Record<string | number, unknown> = copy;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    let next = node[k];
    if (next === null || typeof next !== 'object') {
      if (value === undefined) return copy;
      next = typeof keys[i + 1] === 'number' ? [] : {};
      node[k] = next;
    }
    parents.push([node, k]);
    node = next as Record<string | number, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) {
    delete node[last];
    for (let i = parents.length - 1; i >= 0; i--) {
      const [p, k] = parents[i]!;
      // An item of a repeating group stays (as {}) until it is removed on purpose (repeating-groups.ts):
      // deleting it here would leave a hole in the array, which JSON writes as null.
      if (Array.isArray(p)) break;
      const child = p[k];
      if (child && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0) delete p[k];
      else break;
    }
  } else {
    node[last] = value;
  }
  return copy;
}

/** How many items a repeated group has in the record ("otherPayment[]" → otherPayment.length). */
export function itemCount(record: Json, groupPath: string): number {
  const v = getAt(record, groupPath);
  return Array.isArray(v) ? v.length : 0;
}
