/**
 * Source generation for the compiled rulebook.
 *
 * Why generate code: a rule engine made of generic closures reads every field through the same few
 * property-access sites, which V8 sees as megamorphic (tens of nanoseconds per read, ~30 us per record
 * for ~300 fields and conditions). Emitting one function whose every field read is its own site gives each
 * site a monomorphic inline cache on the canonical record's fixed shape: on the corpus this cut the time per
 * record about fourfold (bench/rules.bench.ts). The generated text is built only from the rule tables
 * (paths are checked against a strict pattern; values go in as constants, never spliced as code).
 */
import { isPresent, show, type Fail, type Finding, type Rec, type Severity } from './types.js';
import type { Facts } from './facts.js';

/** Who a finding belongs to. */
export interface RuleRef {
  readonly rule: string;
  readonly element: string;
  readonly severity: Severity;
}

/**
 * One place in the generated code that can report a finding. Its message is
 * `[path] texts[0] value0 texts[1] value1 texts[2]` (values shown quoted unless raw), built only when the
 * finding is made: the generated code itself holds just `F(site, at, value0, value1)`, which keeps the
 * compiled code small (all failure paths of a rulebook share one function) and fast.
 */
interface Site {
  readonly ref: RuleRef;
  readonly path: string;
  /** The message starts with the concrete path (the `at` argument, else `path`). */
  readonly pathFirst: boolean;
  readonly texts: readonly string[];
  readonly raw: readonly boolean[];
  /** The whole message when it holds no value (most "required" findings): built once, at compile time. */
  readonly fixed: string | undefined;
}

export interface FailOptions {
  /** JS expression of the concrete path when it is not `path` itself (an index in a repeated group). */
  readonly at?: string;
  /** Values inserted as they are (reason texts), not quoted. */
  readonly raw?: readonly boolean[];
  /** Start the message with the path (default true). */
  readonly pathFirst?: boolean;
}

/** Accumulates constants and emits the JS expressions that the rule builders compose. */
export class Gen {
  private readonly consts: unknown[] = [];
  private readonly constIndex = new Map<unknown, number>();
  private readonly sites: Site[] = [];

  /** `emitterFor` gives the Fail function of a rule for closures that report findings themselves (use()). */
  constructor(
    private readonly emitterFor: (ref: RuleRef) => Fail,
    private readonly sink: { out: Finding[] },
  ) {}

  /**
   * Code that reports a finding of `ref` on `path`: the message is `path` (or the concrete `at`) followed by
   * texts interleaved with the JS `values` (texts.length = values.length + 1).
   */
  fail(ref: RuleRef, path: string, texts: readonly string[], values: readonly string[] = [], options: FailOptions = {}): string {
    if (texts.length !== values.length + 1 || values.length > 2) throw new Error(`fail(): ${texts.length} texts for ${values.length} values`);
    const pathFirst = options.pathFirst ?? true;
    const fixed = values.length === 0 && options.at === undefined ? (pathFirst ? path : '') + texts[0]! : undefined;
    const id = this.sites.push({ ref, path, pathFirst, texts, raw: options.raw ?? [], fixed }) - 1;
    return `F(${[String(id), options.at ?? 'undefined', ...values].join(', ')})`;
  }

  /** A constant holding the rule's Fail function, for closures called by the generated code. */
  emitter(ref: RuleRef): string {
    return this.k(this.emitterFor(ref));
  }

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
    const fns = chunks.map((body, i) => `function c${i}(r, f) {\n${CHUNK_PRELUDE}${body}}\n`).join('');
    // Chunks are called through an array so V8 optimises each on its own instead of inlining them all
    // back into one oversized caller.
    const run = `const CH = [${chunks.map((_, i) => `c${i}`).join(', ')}];\nreturn function validate(r, f) {\nfor (let i = 0; i < CH.length; i++) CH[i](r, f);\n};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the rule tables only, see above
    const factory = new Function('K', 'present', 'show', 'F', `'use strict';\n${header}${fns}${run}`) as (
      k: readonly unknown[],
      p: typeof isPresent,
      s: typeof show,
      fail: (site: number, at: string | undefined, a?: unknown, b?: unknown) => void,
    ) => (r: Rec, f: Facts) => void;
    const sites = this.sites;
    const sink = this.sink;
    const report = (id: number, at: string | undefined, a?: unknown, b?: unknown): void => {
      const s = sites[id]!;
      const path = at ?? s.path;
      let m = s.fixed;
      if (m === undefined) {
        m = (s.pathFirst ? path : '') + s.texts[0];
        if (s.texts.length > 1) m += (s.raw[0] === true ? String(a) : show(a)) + s.texts[1];
        if (s.texts.length > 2) m += (s.raw[1] === true ? String(b) : show(b)) + s.texts[2];
      }
      sink.out.push({ rule: s.ref.rule, element: s.ref.element, path, severity: s.ref.severity, message: m });
    };
    return factory(this.consts, isPresent, show, report);
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
  // Paths under the nested messages most rules read start from locals each generated function loads once.
  let start = 0;
  let s = root;
  if (root === 'r') {
    for (const [prefix, local] of LOCALS) {
      if (prefix.length <= keys.length && prefix.every((k, i) => keys[i] === k)) {
        s = local;
        start = prefix.length;
        break;
      }
    }
    if (start === keys.length) return s;
  }
  for (let i = start; i < keys.length; i++) s += start === 0 && i === 0 ? `.${keys[i]}` : `?.${keys[i]}`;
  return s;
}

/**
 * Nested messages read by many rules, longest prefix first: every generated function starts by loading them
 * (CHUNK_PRELUDE), so `leg1.periodicPayment.x` costs one property read instead of three.
 */
const LOCALS: readonly (readonly [readonly string[], string])[] = [
  [['leg1', 'periodicPayment'], 'P1'],
  [['leg2', 'periodicPayment'], 'P2'],
  [['leg1'], 'L1'],
  [['leg2'], 'L2'],
  [['cftcGuidebook'], 'GB'],
  [['nonReportable'], 'NR'],
];
const CHUNK_PRELUDE = 'const L1 = r.leg1, L2 = r.leg2, P1 = L1?.periodicPayment, P2 = L2?.periodicPayment, GB = r.cftcGuidebook, NR = r.nonReportable;\n';

/** Whether any item of a repeated group holds `key`. */
function someItemHas(list: unknown, key: string): boolean {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as Rec | null | undefined;
    if (item !== null && typeof item === 'object' && isPresent(item[key])) return true;
  }
  return false;
}
