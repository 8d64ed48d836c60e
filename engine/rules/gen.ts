/**
 * Source generation for the compiled rulebook.
 *
 * Why generate code: a rule engine made of generic closures reads every field through the same few
 * property-access sites, which V8 sees as megamorphic (tens of nanoseconds per read, ~30 us per record
 * for ~300 fields and conditions). Emitting one function whose every field read is its own site gives each
 * site a monomorphic inline cache on the canonical record's fixed shape, which is what makes 200,000+
 * records per second on one core possible. The generated text is built only from the rule tables
 * (paths are checked against a strict pattern; values go in as constants, never spliced as code).
 */
import { isPresent, show, type Rec } from './types.js';
import type { Facts } from './facts.js';

/** Accumulates constants and emits the JS expressions that the rule builders compose. */
export class Gen {
  private readonly consts: unknown[] = [];
  private readonly constIndex = new Map<unknown, number>();

  /** A reference to a constant value (function, Set, regex...) usable inside the generated code. */
  k(value: unknown): string {
    let i = this.constIndex.get(value);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(value);
      this.constIndex.set(value, i);
    }
    return `k${i}`;
  }

  /** A JS literal for a string/number/boolean (inline), or a constant reference for anything else. */
  lit(value: unknown): string {
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      return JSON.stringify(value);
    }
    return this.k(value);
  }

  /**
   * JS expression reading a path from the record `r`. For a repeated path (`otherPayment[].amount`) it
   * reads the group (`r.otherPayment`), which is what messages show; use `present` to test such paths.
   */
  read(path: string): string {
    const { head } = splitPath(path);
    return access('r', head);
  }

  /** JS boolean expression: the path holds a value (a non-empty group, or an item of the group holding it). */
  present(path: string): string {
    const { head, tail } = splitPath(path);
    const last = head[head.length - 1]!;
    // Scalars and messages: inline `!= null` (the record holds undefined when absent). Repeated fields
    // (arrays, empty when absent) and Struct objects go through `present`.
    if (tail === undefined && !REPEATED_FIELDS.has(last)) return `(${access('r', head)} != null)`;
    if (tail === undefined || tail.length === 0) return `present(${access('r', head)})`;
    if (tail.length !== 1) throw new Error(`conditions support one key after [] (${path})`);
    return `${this.k(someItemHas)}(${access('r', head)}, ${JSON.stringify(tail[0])})`;
  }

  /**
   * Builds `(r, f) => void` from blocks of statements that may use `r`, `f`, `present`, `show` and
   * constants. Blocks are packed into functions of about CHUNK_CHARS source characters each: V8 does not
   * optimise very large functions (TurboFan's bytecode-size limit), and one function per rulebook would be
   * far beyond it.
   */
  compile(blocks: readonly string[]): (r: Rec, f: Facts) => void {
    const chunks: string[] = [];
    let current = '';
    for (const block of blocks) {
      if (current.length > 0 && current.length + block.length > CHUNK_CHARS) {
        chunks.push(current);
        current = '';
      }
      current += block;
    }
    if (current.length > 0) chunks.push(current);
    const names = this.consts.map((_, i) => `k${i}`);
    const header = names.length > 0 ? `const [${names.join(', ')}] = K;\n` : '';
    const fns = chunks.map((body, i) => `function c${i}(r, f) {\n${body}}\n`).join('');
    // Chunks are called through an array so V8 optimises each on its own instead of inlining them all
    // back into one oversized caller.
    const run = `const CH = [${chunks.map((_, i) => `c${i}`).join(', ')}];\nreturn function validate(r, f) {\nfor (let i = 0; i < CH.length; i++) CH[i](r, f);\n};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the rule tables only, see above
    const factory = new Function('K', 'present', 'show', `'use strict';\n${header}${fns}${run}`) as (
      k: readonly unknown[],
      p: typeof isPresent,
      s: typeof show,
    ) => (r: Rec, f: Facts) => void;
    return factory(this.consts, isPresent, show);
  }
}

/** Source size per generated function, well under what V8 optimises. */
const CHUNK_CHARS = 16000;

/**
 * Repeated fields of the canonical record (proto `repeated`, [] when absent). Inline presence tests need to
 * know them: an empty list is absent, an empty string is not.
 */
export const REPEATED_FIELDS: ReadonlySet<string> = new Set([
  'clearingSwapUSIs', 'clearingSwapUTIs', 'clearingExceptionsAndExemptionsCounterparty1', 'clearingExceptionsAndExemptionsCounterparty2',
  'otherPayment', 'notionalAmountSchedule', 'priceSchedule', 'strikePriceSchedule',
]);

const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\[\](\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

/** `a.b[].c.d` -> head ['a','b'], tail ['c','d']; no `[]` -> tail undefined. */
export function splitPath(path: string): { head: string[]; tail: string[] | undefined } {
  if (!PATH_RE.test(path)) throw new Error(`invalid rule path ${JSON.stringify(path)}`);
  const i = path.indexOf('[]');
  if (i < 0) return { head: path.split('.'), tail: undefined };
  const rest = path.slice(i + 2);
  return { head: path.slice(0, i).split('.'), tail: rest === '' ? [] : rest.slice(1).split('.') };
}

/** `r.a?.b?.c` for keys already checked by PATH_RE. */
export function access(root: string, keys: readonly string[]): string {
  let s = root;
  keys.forEach((key, i) => {
    s += i === 0 ? `.${key}` : `?.${key}`;
  });
  return s;
}

/** Whether any item of a repeated group holds `key`. */
function someItemHas(list: unknown, key: string): boolean {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as Rec | null | undefined;
    if (item !== null && typeof item === 'object' && isPresent(item[key])) return true;
  }
  return false;
}
