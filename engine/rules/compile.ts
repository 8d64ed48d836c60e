/**
 * Compiles the tables (elements, conditions, regime profile) into one generated function per rulebook
 * (gen.ts). Everything that depends on the regime or the options is decided here, once; `validate` then runs
 * that code over a record with no table lookups, string building or allocation except for findings.
 */
import { ELEMENTS, elementId, elementOfPath, type DataElement } from './elements.js';
import { ACTIONS_WITHOUT_EVENT, actionEventPairs, CONDITIONS, EVENTS_P45, type ConditionRule } from './conditions.js';
import { factsOf } from './facts.js';
import * as fmt from './formats.js';
import { toParts } from './decimal.js';
import { access, Gen, splitPath, type RuleRef } from './gen.js';
import { ISO4217 } from './codes/iso4217.js';
import { ISO3166_ALPHA2 } from './codes/iso3166.js';
import { KTFC_PROFILE, ktfcLateBy } from './regimes/ktfc.js';
import { COLLATERAL_REQUIRED, MESSAGE_KIND, VALUATION_REQUIRED, type MessageKind } from './messages.js';
import { asRec, isPresent, show, type Fail, type Finding, type Rec, type Regime, type Severity, type SwapReport } from './types.js';

export interface RulebookOptions {
  regime: Regime;
  /** Strictness of the LEI check digits (ISO 7064 MOD 97-10): test data such as the DRR corpus needs `warn`. */
  leiCheck: 'error' | 'warn' | 'off';
}

export interface Rulebook {
  readonly options: Readonly<RulebookOptions>;
  /** Stateless validation of one record: every broken rule, in table order. */
  validate(report: SwapReport): Finding[];
}

const REGIME_NAME: Readonly<Record<Regime, string>> = { 'cftc-part45': 'Part 45', 'cftc-part43': 'Part 43', ktfc: 'KTFC' };
const REQ_RULE: Readonly<Record<Regime, string>> = { 'cftc-part45': 'REQ-P45', 'cftc-part43': 'REQ-P43', ktfc: 'REQ-KTFC' };
const q = (s: string): string => JSON.stringify(s);

/** Everything one rulebook needs while compiling: the code generator and where findings go. */
class Builder {
  /** The array the findings of the record being validated go to (swapped per record). */
  readonly sink: { out: Finding[] } = { out: [] };
  readonly g: Gen;
  /** Generated statement blocks, in table order. */
  readonly blocks: string[] = [];
  private readonly refs = new Map<string, RuleRef>();
  private readonly emitters = new Map<RuleRef, Fail>();

  constructor(readonly options: RulebookOptions) {
    this.g = new Gen((ref) => this.emitter(ref), this.sink);
  }

  /** The rule a finding belongs to (one object per rule, element and severity). */
  ref(rule: string, element: string, severity: Severity): RuleRef {
    const key = `${rule}\u0000${element}\u0000${severity}`;
    let r = this.refs.get(key);
    if (r === undefined) this.refs.set(key, (r = { rule, element, severity }));
    return r;
  }

  /** A `fail(path, message)` for checks written as closures (identifiers, groups, tables). */
  emitter(ref: RuleRef): Fail {
    let e = this.emitters.get(ref);
    if (e === undefined) {
      const { rule, element, severity } = ref;
      const sink = this.sink;
      e = (path, message) => {
        sink.out.push({ rule, element, path, severity, message });
      };
      this.emitters.set(ref, e);
    }
    return e;
  }

  emit(comment: string, code: string): void {
    this.blocks.push(`// ${comment}\n${code}`);
  }
}

export function compileRulebook(options: RulebookOptions): Rulebook {
  const b = new Builder({ ...options });
  compileElements(b);
  compileConditions(b);
  if (options.regime !== 'cftc-part43') compileMessageRequirements(b);
  if (options.regime === 'ktfc') compileKtfc(b);
  const run = b.g.compile(b.blocks);
  const none: Finding[] = [];
  b.sink.out = none;
  return {
    options: b.options,
    validate(report: SwapReport): Finding[] {
      const r = asRec(report);
      const out: Finding[] = [];
      b.sink.out = out;
      try {
        run(r, factsOf(r));
      } finally {
        b.sink.out = none;
      }
      return out;
    },
  };
}

// ------------------------------------------------------------------------------------ element formats

/** A validator of one value at one concrete path; `r` is the whole record (for cross-field exemptions). */
type ValueCheck = (v: unknown, at: string, r: Rec) => void;
/**
 * Code for checking the value held in the JS variable `v`; `at` is the JS expression of its concrete path
 * inside a repeated group (undefined for a plain path). Simple checks (type, code list, reason function)
 * are emitted inline so each element gets its own call and property sites; identifier checks go through a
 * closure per element.
 */
type ValueCode = (at: string | undefined) => string;

/** Statements that run the element's checks for every value present at `path`. */
function forEachValue(path: string, code: ValueCode): string {
  const { head, tail } = splitPath(path);
  if (tail === undefined) return `{ const v = ${access('r', head)}; if (v !== undefined && v !== null) {\n${code(undefined)}} }\n`;
  const i = path.indexOf('[]');
  const itemRead = tail.length === 0 ? 'l[i]' : `l[i]${tail.map((t) => `?.${t}`).join('')}`;
  return (
    `{ const l = ${access('r', head)}; if (Array.isArray(l)) for (let i = 0; i < l.length; i++) { const v = ${itemRead}; ` +
    `if (v !== undefined && v !== null) { const at = ${q(path.slice(0, i))} + "[" + i + "]" + ${q(path.slice(i + 2))};\n${code('at')}} } }\n`
  );
}

function compileElements(b: Builder): void {
  const regime = b.options.regime;
  for (const e of ELEMENTS) {
    const element = elementId(e);
    for (const path of e.paths) {
      b.emit(`DE ${element} ${path}`, forEachValue(path, valueCode(b, e, element, path)));
      if (e.requiredInItem === true) b.emit(`REQ-ITEM ${path}`, requiredInItem(b, path, element));
    }
    if (regime !== 'ktfc' && (regime === 'cftc-part45' ? e.p45 : e.p43) === 'M') {
      // The cardinalities are those of the transaction message (creation and continuation data). The
      // guidebook (TR) fields are the trade repositories' extensions, not CFTC data elements: a missing one
      // is worth a warning (an SDR may NACK it), not a rejection under the CFTC rules.
      const [rule, severity, whose] = e.de === 'TR' ? (['REQ-TR', 'warning', 'SDR guidebooks'] as const) : ([REQ_RULE[regime], 'error', REGIME_NAME[regime]] as const);
      for (const path of e.paths) {
        b.emit(`${rule} ${path}`, forMessages(['transaction'], required(b, rule, element, path, `${e.label}, mandatory for ${whose}`, severity)));
      }
    }
    if (regime === 'cftc-part43' && e.p43 === 'no') {
      for (const path of e.paths) {
        const ref = b.ref('NA-P43', element, 'warning');
        const texts = [` (${e.label}) is not part of the Part 43 report and will not be disseminated; found `, ''];
        b.emit(`NA-P43 ${path}`, `if (${b.g.present(path)}) ${b.g.fail(ref, path, texts, [b.g.read(path)])};\n`);
      }
    }
  }
}

function required(b: Builder, rule: string, element: string, path: string, why: string, severity: Severity = 'error'): string {
  return `if (!${b.g.present(path)}) ${b.g.fail(b.ref(rule, element, severity), path, [` (${why}) is not populated`])};\n`;
}

/** `group[].field` must be populated in every item of the group (cardinality 1..1 inside the group). */
function requiredInItem(b: Builder, path: string, element: string): string {
  const split = path.indexOf('[]');
  const groupText = path.slice(0, split);
  const field = path.slice(split + 3);
  const fail = b.emitter(b.ref('REQ-ITEM', element, 'error'));
  const check = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Rec | undefined;
      if (!isPresent(item?.[field])) fail(`${groupText}[${i}].${field}`, `${groupText}[${i}].${field} is required in every ${groupText} entry, but is not populated`);
    }
  };
  return `${b.g.k(check)}(${b.g.read(path)});\n`;
}

const PRICE_KEY_FORMAT: Readonly<Record<string, (v: unknown) => string | null>> = {
  monetary: (v) => fmt.decimal(v, 18, 13),
  decimal: (v) => fmt.decimal(v, 11, 10),
  percentage: (v) => fmt.decimal(v, 11, 10),
  basis: (v) => {
    if (fmt.integer(typeof v === 'string' && v.charCodeAt(0) === 45 ? v.slice(1) : v, 5) === null) return null;
    const d = toParts(v);
    if (d === null || d.frac !== '') return 'is not a whole number of basis points';
    return d.int.length > 5 ? 'has more than 5 digits' : null;
  },
};

function valueCode(b: Builder, e: DataElement, element: string, path: string): ValueCode {
  const spec = e.format;
  const regime = b.options.regime;
  const g = b.g;
  const err = (rule: string): RuleRef => b.ref(rule, element, 'error');
  /** `F(site, at, v)` for this element: message "<path> <texts[0]> v <texts[1]> w ..." */
  const fail = (rule: string, at: string | undefined, texts: readonly string[], values: readonly string[], raw?: readonly boolean[]): string =>
    g.fail(err(rule), path, texts, values, { ...(at !== undefined ? { at } : {}), ...(raw !== undefined ? { raw } : {}) });
  /** `if (<bad type>) fail(...) else { rest }` */
  const typed = (test: string, expected: string, rest: ValueCode): ValueCode => (at) =>
    `if (${test}) ${fail('FMT-TYPE', at, [` must be ${expected}, but holds `, ''], ['v'])};\n` + `else {\n${rest(at)}}\n`;
  const text = (rest: ValueCode): ValueCode => typed('typeof v !== "string"', 'text', rest);
  /** A set of allowed values, inline. */
  const inSet = (rule: string, set: ReadonlySet<string>, words: string): ValueCode => {
    // Short lists compare inline (no hashing of the record's string); longer ones look up a set.
    const test = set.size <= 4 ? [...set].map((c) => `v !== ${q(c)}`).join(' && ') : `!${g.k(set)}.has(v)`;
    return text((at) => `if (${test}) ${fail(rule, at, [' ', ` ${words}`], ['v'])};\n`);
  };
  /** A function returning null or a reason, inline; `special` values pass as they are. */
  const reasonCode = (rule: string, fn: (v: never) => string | null, special?: readonly string[]): ValueCode => {
    const skip = special !== undefined && special.length > 0 ? `!${g.k(new Set(special))}.has(v) && ` : '';
    return (at) => `{ const w = ${skip}${g.k(fn)}(v); if (w) ${fail(rule, at, [' ', ' ', ''], ['v', 'w'], [false, true])}; }\n`;
  };
  const reason = (rule: string, fn: (v: string) => string | null, special?: readonly string[]): ValueCode => text(reasonCode(rule, fn, special));
  /** A closure per element for the identifier checks (they combine several rules). */
  const closure = (check: ValueCheck): ValueCode => (at) => `${g.k(check)}(v, ${at ?? q(path)}, r);\n`;

  switch (spec.kind) {
    case 'code': {
      const ktfcCodes = regime === 'ktfc' ? KTFC_PROFILE.codeLists[path] : undefined;
      const codes = ktfcCodes ?? spec.byRegime?.[regime] ?? spec.codes;
      return inSet('FMT-CODE', new Set(codes), `is not an allowed code${codes.length <= 16 ? ` (allowed: ${codes.join(', ')})` : ''}`);
    }
    case 'currency':
      return inSet('FMT-CURRENCY', ISO4217, 'is not an ISO 4217 currency code');
    case 'country':
      return inSet('FMT-COUNTRY', ISO3166_ALPHA2, 'is not an ISO 3166-1 alpha-2 country code');
    case 'usi':
      return reason('FMT-USI', fmt.usiShape, spec.special);
    case 'text': {
      const { min, max, alnum } = spec;
      return reason('FMT-TEXT', (v) => fmt.text(v, min, max, alnum), spec.special);
    }
    case 'timestamp':
      return reason('FMT-TIMESTAMP', fmt.timestamp);
    case 'date':
      return reason('FMT-DATE', fmt.date);
    case 'dateOrTimestamp':
      return reason('FMT-TIMESTAMP', (v) => (fmt.date(v) === null ? null : fmt.timestamp(v)));
    case 'ccyPair':
      return reason('FMT-CCY-PAIR', fmt.currencyPair);
    case 'ccyOrPair':
      return reason('FMT-CCY-PAIR', fmt.currencyOrPair);
    case 'platform':
      return reason('FMT-MIC', fmt.platform);
    case 'bool':
      return typed('typeof v !== "boolean"', 'true or false', () => '');
    case 'string':
      return text(() => '');
    case 'object':
      return typed('typeof v !== "object"', 'an object', () => '');
    case 'int': {
      const digits = spec.digits;
      return reasonCode('FMT-INT', (v: unknown): string | null => fmt.integer(v, digits));
    }
    case 'decimal': {
      const { digits, fraction } = spec;
      const fn = (v: unknown): string | null => fmt.decimal(v, digits, fraction);
      const nonNeg: ValueCode = spec.nonNegative === true
        ? (at) => `else if (${g.k(fmt.nonNegative)}(v)) ${fail('FMT-NONNEG', at, [' ', ' is negative; it must be zero or more'], ['v'])};\n`
        : () => '';
      return typed('typeof v !== "string" && typeof v !== "number"', 'a decimal number', (at) =>
        `{ const w = ${g.k(fn)}(v); if (w) ${fail('FMT-DECIMAL', at, [' ', ' ', ''], ['v', 'w'], [false, true])};\n${nonNeg(at)}}\n`);
    }
    case 'price': {
      const fail = b.emitter(err('FMT-DECIMAL'));
      return typed('typeof v !== "object" || Array.isArray(v)', 'a price object', closure((v, at) => {
        const o = v as Rec;
        for (const key in PRICE_KEY_FORMAT) {
          const x = o[key];
          if (!isPresent(x)) continue;
          const why = PRICE_KEY_FORMAT[key]!(x);
          if (why !== null) fail(`${at}.${key}`, `${at}.${key} ${show(x)} ${why}`);
        }
      }));
    }
    case 'lei': {
      const lei = leiChecks(b, element);
      const special = new Set(spec.special ?? []);
      return text(closure((v, at) => {
        if (!special.has(v as string)) lei(v as string, at);
      }));
    }
    case 'party': {
      const lei = leiChecks(b, element);
      const shape = b.emitter(err('FMT-PARTY-ID'));
      return text(closure((value, at, r) => {
        const v = value as string;
        // One look-up decides the usual case: a 20-character LEI, valid (done) or with bad check digits.
        const status = v.length === 20 ? leiStatusCached(v) : fmt.leiStatus(v, 0);
        if (status === 0 && v.length === 20) return;
        if (v.length !== 20 || status === 1) {
          const why = fmt.text(v, 20, 72, true);
          if (why !== null) {
            shape(at, `${at} ${show(v)} ${why} (an LEI, or an LEI followed by a natural person's id)`);
            return;
          }
        }
        // A natural person or privacy-law identifier for counterparty 2 is not an LEI.
        if (v === r['counterparty2'] && (r['counterparty2IdentifierSource'] === 'NPID' || r['counterparty2IdentifierSource'] === 'PLID')) return;
        lei(v, at, v.length === 20 ? undefined : 'starts with', status);
      }));
    }
    case 'uti': {
      const lei = leiChecks(b, element);
      const special = new Set(spec.special ?? []);
      const shape = b.emitter(err('FMT-UTI'));
      return text(closure((value, at) => {
        const v = value as string;
        if (special.has(v)) return;
        // One pass for the usual case; the reasons are worked out only for a broken UTI.
        const status = fmt.utiStatus(v);
        if (status === 0) return;
        const why = fmt.utiShape(v);
        if (why !== null) shape(at, `${at} ${show(v)} ${why}`);
        else lei(v, at, 'starts with', status);
      }));
    }
  }
  return assertNever(spec);
}

function assertNever(x: never): never {
  throw new Error(`unhandled format ${JSON.stringify(x)}`);
}

/**
 * The same few thousand LEIs (a dealer's counterparties, CCPs, platforms) recur in event after event, so
 * their check is remembered: a map look-up costs a fraction of the MOD 97-10 pass. Bounded: cleared when full.
 */
const leiCache = new Map<string, 0 | 1 | 2>();
function leiStatusCached(v: string): 0 | 1 | 2 {
  let s = leiCache.get(v);
  if (s === undefined) {
    s = fmt.leiStatus(v, 0);
    if (leiCache.size >= 65_536) leiCache.clear();
    leiCache.set(v, s);
  }
  return s;
}

/**
 * LEI shape (always an error) and check digits (severity per `leiCheck`). `prefix` names where the LEI
 * sits ("starts with") when it is the head of a longer identifier.
 */
function leiChecks(b: Builder, element: string): (v: string, at: string, prefix?: 'starts with', known?: 0 | 1 | 2) => void {
  const shape = b.emitter(b.ref('FMT-LEI', element, 'error'));
  const mode = b.options.leiCheck;
  const digits = mode === 'off' ? undefined : b.emitter(b.ref('FMT-LEI-CHECKSUM', element, mode === 'warn' ? 'warning' : 'error'));
  return (v, at, prefix, known) => {
    // The LEI is the whole value, or (with a prefix) its first 20 characters; one pass checks both shape and digits.
    const status = known ?? (prefix === undefined ? (v.length !== 20 ? 1 : leiStatusCached(v)) : fmt.leiStatus(v, 0));
    if (status === 1) {
      shape(at, prefix === undefined ? `${at} ${show(v)} ${fmt.LEI_SHAPE_REASON}` : `${at} ${show(v)} does not start with an LEI (18 upper-case letters/digits + 2 check digits)`);
    } else if (status === 2 && digits !== undefined) {
      digits(at, prefix === undefined
        ? `${at} ${show(v)} fails the ISO 17442 check digits (ISO 7064 MOD 97-10)`
        : `${at} ${show(v)} starts with LEI ${show(v.slice(0, 20))}, which fails the ISO 17442 check digits (ISO 7064 MOD 97-10)`);
    }
  };
}

// ------------------------------------------------------------------------------------ conditions

function compileConditions(b: Builder): void {
  const regime = b.options.regime;
  const excluded = new Set(KTFC_PROFILE.excludedConditions);
  for (const c of CONDITIONS) {
    if (regime === 'ktfc') {
      if (c.regimes.includes('ktfc')) addCondition(b, c, c.id);
      else if (c.id.startsWith('P45-') && !excluded.has(c.n)) addCondition(b, c, `KTFC-C${c.n}`);
    } else if (c.regimes.includes(regime)) {
      addCondition(b, c, c.id);
    }
  }
  b.emit('PRICE-NOTATION', priceNotationCheck(b));
}

function addCondition(b: Builder, c: ConditionRule, id: string): void {
  const element = c.element ?? String(c.de[0]);
  b.emit(`${id} ${c.name}`, forMessages(c.messages ?? ['transaction'], c.check(b.g, b.ref(id, element, c.severity))));
}

/** Wraps statements so they run only for the given message kinds (messages.ts). */
function forMessages(kinds: readonly MessageKind[], code: string): string {
  if (kinds.length === 3) return `{\n${code}}\n`;
  return `if (${kinds.map((k) => `f.messageKind === ${MESSAGE_KIND[k]}`).join(' || ')}) {\n${code}}\n`;
}

/** REQ-VALU / REQ-MARU: what a valuation or a collateral message must carry instead of the creation data. */
function compileMessageRequirements(b: Builder): void {
  for (const [rule, kind, paths] of [['REQ-VALU', 'valuation', VALUATION_REQUIRED], ['REQ-MARU', 'collateral', COLLATERAL_REQUIRED]] as const) {
    for (const path of paths) {
      const e = elementOfPath(path);
      const element = e === undefined ? path : elementId(e);
      b.emit(`${rule} ${path}`, forMessages([kind], required(b, rule, element, path, `${e?.label ?? path}, mandatory in a ${kind} message`)));
    }
  }
}

/** Which PriceFormat key each notation expects (DRR writes Percentage prices under `decimal`). */
const NOTATION_KEYS: Readonly<Record<string, readonly string[]>> = {
  Monetary: ['monetary'],
  Decimal: ['decimal'],
  Percentage: ['percentage', 'decimal'],
  Basis: ['basis'],
};
const PRICE_NOTATION_PAIRS: readonly (readonly [string, string, number])[] = [
  ['price', 'priceNotation', 69],
  ['strikePrice', 'strikePriceNotation', 76],
  ['packageTransactionPrice', 'packageTransactionPriceNotation', 47],
  ['packageTransactionSpread', 'packageTransactionSpreadNotation', 50],
  ['leg1.spread', 'leg1.spreadNotation', 73],
  ['leg2.spread', 'leg2.spreadNotation', 73],
];

/**
 * PRICE-NOTATION: the value must sit under the key its notation names, so a price in basis points is never
 * read as a decimal (the "100x" unit error). Checked only when both are populated and well-formed.
 */
function priceNotationCheck(b: Builder): string {
  return PRICE_NOTATION_PAIRS.map(([p, n, de]) => {
    const fail = b.emitter(b.ref('PRICE-NOTATION', String(de), 'error'));
    const check = (v: unknown, notation: unknown): void => {
      if (v === null || typeof v !== 'object' || typeof notation !== 'string') return;
      const keys = NOTATION_KEYS[notation];
      if (keys === undefined) return;
      const o = v as Rec;
      for (const k in o) {
        if (isPresent(o[k]) && !keys.includes(k)) {
          fail(`${p}.${k}`, `${p}.${k} does not match ${n} ${show(notation)} (expected ${keys.map((kk) => `${p}.${kk}`).join(' or ')})`);
        }
      }
    };
    return `${b.g.k(check)}(${b.g.read(p)}, ${b.g.read(n)});\n`;
  }).join('');
}

// ------------------------------------------------------------------------------------ KTFC extras

function compileKtfc(b: Builder): void {
  const p = KTFC_PROFILE;
  const g = b.g;
  for (const alternatives of p.required) {
    const first = alternatives[0]!;
    const element = String(p.elementOf[first] ?? elementOfPath(first)?.de ?? 'KTFC');
    if (alternatives.length === 1) {
      b.emit(`REQ-KTFC ${first}`, forMessages(['transaction'], required(b, 'REQ-KTFC', element, first, `${elementOfPath(first)?.label ?? first}, mandatory for KTFC`)));
    } else {
      const report = g.fail(b.ref('REQ-KTFC', element, 'error'), first, [`one of ${alternatives.join(', ')} is mandatory for KTFC, but none is populated`], [], { pathFirst: false });
      b.emit(`REQ-KTFC ${alternatives.join('|')}`, forMessages(['transaction'], `if (!(${alternatives.map((x) => g.present(x)).join(' || ')})) ${report};\n`));
    }
  }
  for (const w of p.requiredWith) {
    const report = g.fail(b.ref('REQ-KTFC', String(w.de), 'error'), w.path, [` is mandatory for KTFC when ${w.whenPresent} is populated, but is not populated`]);
    b.emit(`REQ-KTFC ${w.path}`, forMessages(['transaction'], `if (${g.present(w.whenPresent)} && !${g.present(w.path)}) ${report};\n`));
  }
  const events = actionEventPairs(EVENTS_P45, [...ACTIONS_WITHOUT_EVENT, ...p.actionsWithoutEvent], 'KTFC');
  b.emit('KTFC-EVENT', events(g, b.ref('KTFC-EVENT', '27', 'error')));

  const late = b.emitter(b.ref('KTFC-DEADLINE', '97', 'warning'));
  const deadline = (cleared: unknown, ccp: unknown, cp1: unknown, exec: unknown, reported: unknown): void => {
    const ccpReport = cleared === 'Y' && isPresent(ccp) && ccp === cp1;
    const by = ktfcLateBy(exec, reported, ccpReport);
    if (by !== null) {
      late('reportingTimestamp', `reportingTimestamp ${show(reported)} is after the KTFC deadline ${by} (${ccpReport ? 'same day for a CCP' : 'next Korean business day'} after executionTimestamp ${show(exec)})`);
    }
  };
  b.emit('KTFC-DEADLINE', `${g.k(deadline)}(r.cleared, r.centralCounterparty, r.counterparty1, r.executionTimestamp, r.reportingTimestamp);\n`);
}
