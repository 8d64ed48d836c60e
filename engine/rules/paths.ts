/**
 * Compiles a JSON path of the rule tables (`leg1.notionalAmount`, `otherPayment[].amount`) into a reader.
 * Paths are split once at compile time; reading is a few property loads with no string work, which is what
 * keeps per-record validation in the microsecond range.
 */
import { isPresent, type Rec } from './types.js';

export interface Accessor {
  readonly path: string;
  /** Whether the path goes through a repeated field (`[]`); `get` then returns the first item's value. */
  readonly repeated: boolean;
  /** Value at the path (the first item's for repeated paths); undefined when any step is missing. */
  get(r: Rec): unknown;
  /**
   * Calls `visit` for every present value with the concrete path (`otherPayment[1].amount`); `ctx` is passed
   * through so hot callers can use a visitor built once instead of a fresh closure per record.
   */
  each<C>(r: Rec, ctx: C, visit: (value: unknown, at: string, ctx: C) => void): void;
  /** Whether any value is present at the path. */
  present(r: Rec): boolean;
}

function walk(obj: unknown, keys: readonly string[]): unknown {
  let cur = obj;
  for (let i = 0; i < keys.length; i++) {
    if (cur === undefined || cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Rec)[keys[i]!];
  }
  return cur;
}

const cache = new Map<string, Accessor>();

export function accessor(path: string): Accessor {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const made = build(path);
  cache.set(path, made);
  return made;
}

function build(path: string): Accessor {
  const split = path.indexOf('[]');
  if (split < 0) {
    const keys = path.split('.');
    const get =
      keys.length === 1
        ? (r: Rec) => r[keys[0]!]
        : keys.length === 2
          ? (r: Rec) => {
              const a = r[keys[0]!];
              return a === undefined || a === null ? undefined : (a as Rec)[keys[1]!];
            }
          : (r: Rec) => walk(r, keys);
    return {
      path,
      repeated: false,
      get,
      each(r, ctx, visit) {
        const v = get(r);
        if (isPresent(v)) visit(v, path, ctx);
      },
      present: (r) => isPresent(get(r)),
    };
  }
  // One repeated step: head[] then an optional tail inside each item.
  const head = path.slice(0, split).split('.');
  const tailText = path.slice(split + 2); // '' or '.amount'
  const tail = tailText === '' ? [] : tailText.slice(1).split('.');
  const headText = path.slice(0, split);
  const items = (r: Rec): readonly unknown[] => {
    const a = walk(r, head);
    return Array.isArray(a) ? a : [];
  };
  return {
    path,
    repeated: true,
    get(r) {
      const a = items(r);
      return a.length === 0 ? undefined : walk(a[0], tail);
    },
    each(r, ctx, visit) {
      const a = items(r);
      for (let i = 0; i < a.length; i++) {
        const v = tail.length === 0 ? a[i] : walk(a[i], tail);
        if (isPresent(v)) visit(v, `${headText}[${i}]${tailText}`, ctx);
      }
    },
    present(r) {
      const a = items(r);
      for (let i = 0; i < a.length; i++) if (isPresent(tail.length === 0 ? a[i] : walk(a[i], tail))) return true;
      return false;
    },
  };
}
