/**
 * Compiles the tables (elements, conditions, regime profile) into one flat list of closures per rulebook.
 * Everything that depends on the regime or the options is decided here, once; `validate` then runs the
 * list over a record with no table lookups, string building or allocation except for findings.
 */
import { ELEMENTS, elementId, elementOfPath, type DataElement } from './elements.js';
import { ACTIONS_WITHOUT_EVENT, actionEventPairs, CONDITIONS, EVENTS_P45, type ConditionRule } from './conditions.js';
import { factsOf } from './facts.js';
import * as fmt from './formats.js';
import { toParts } from './decimal.js';
import { access, Gen, splitPath } from './gen.js';
import { KTFC_PROFILE, ktfcLateBy } from './regimes/ktfc.js';
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
  readonly g = new Gen();
  /** Generated statement blocks, in table order. */
  readonly blocks: string[] = [];
  /** The array the findings of the record being validated go to (swapped per record). */
  out: Finding[] = [];
  private readonly emitters = new Map<string, Fail>();

  constructor(readonly options: RulebookOptions) {}

  /** A `fail` bound to a rule, an element and a severity (shared between checks that agree on all three). */
  emitter(rule: string, element: string, severity: Severity): Fail {
    const key = `${rule}\u0000${element}\u0000${severity}`;
    let e = this.emitters.get(key);
    if (e === undefined) {
      e = (path, message) => {
        this.out.push({ rule, element, path, severity, message });
      };
      this.emitters.set(key, e);
    }
    return e;
  }

  /** The generated code's name for an emitter. */
  failName(rule: string, element: string, severity: Severity): string {
    return this.g.k(this.emitter(rule, element, severity));
  }

  emit(comment: string, code: string): void {
    this.blocks.push(`// ${comment}\n${code}`);
  }
}

export function compileRulebook(options: RulebookOptions): Rulebook {
  const b = new Builder({ ...options });
  compileElements(b);
  compileConditions(b);
  if (options.regime === 'ktfc') compileKtfc(b);
  const run = b.g.compile(b.blocks);
  const none: Finding[] = [];
  b.out = none;
  return {
    options: b.options,
    validate(report: SwapReport): Finding[] {
      const r = asRec(report);
      const out: Finding[] = [];
      b.out = out;
      try {
        run(r, factsOf(r));
      } finally {
        b.out = none;
      }
      return out;
    },
  };
}

// ------------------------------------------------------------------------------------ element formats

/** A validator of one value at one concrete path; `r` is the whole record (for cross-field exemptions). */
type ValueCheck = (v: unknown, at: string, r: Rec) => void;

/** Statements that call `check(value, concretePath, r)` for every value present at `path`. */
function forEachValue(b: Builder, path: string, check: ValueCheck): string {
  const k = b.g.k(check);
  const { head, tail } = splitPath(path);
  if (tail === undefined) return `{ const v = ${access('r', head)}; if (v !== undefined && v !== null) ${k}(v, ${q(path)}, r); }\n`;
  const i = path.indexOf('[]');
  const itemRead = tail.length === 0 ? 'l[i]' : `l[i]${tail.map((t) => `?.${t}`).join('')}`;
  return (
    `{ const l = ${access('r', head)}; if (Array.isArray(l)) for (let i = 0; i < l.length; i++) { const v = ${itemRead}; ` +
    `if (v !== undefined && v !== null) ${k}(v, ${q(path.slice(0, i))} + "[" + i + "]" + ${q(path.slice(i + 2))}, r); } }\n`
  );
}

function compileElements(b: Builder): void {
  const regime = b.options.regime;
  for (const e of ELEMENTS) {
    const element = elementId(e);
    for (const path of e.paths) {
      b.emit(`DE ${element} ${path}`, forEachValue(b, path, valueCheck(b, e, element, path)));
      if (e.requiredInItem === true) b.emit(`REQ-ITEM ${path}`, requiredInItem(b, path, element));
    }
    if (regime !== 'ktfc' && (regime === 'cftc-part45' ? e.p45 : e.p43) === 'M') {
      for (const path of e.paths) b.emit(`${REQ_RULE[regime]} ${path}`, required(b, REQ_RULE[regime], element, path, `${e.label}, mandatory for ${REGIME_NAME[regime]}`));
    }
    if (regime === 'cftc-part43' && e.p43 === 'no') {
      for (const path of e.paths) {
        const fail = b.failName('NA-P43', element, 'warning');
        const msg = `${path} (${e.label}) is not part of the Part 43 report and will not be disseminated; found `;
        b.emit(`NA-P43 ${path}`, `if (${b.g.present(path)}) ${fail}(${q(path)}, ${q(msg)} + show(${b.g.read(path)}));\n`);
      }
    }
  }
}

function required(b: Builder, rule: string, element: string, path: string, why: string): string {
  return `if (!${b.g.present(path)}) ${b.failName(rule, element, 'error')}(${q(path)}, ${q(`${path} (${why}) is not populated`)});\n`;
}

/** `group[].field` must be populated in every item of the group (cardinality 1..1 inside the group). */
function requiredInItem(b: Builder, path: string, element: string): string {
  const split = path.indexOf('[]');
  const groupText = path.slice(0, split);
  const field = path.slice(split + 3);
  const fail = b.emitter('REQ-ITEM', element, 'error');
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
    const d = toParts(v);
    if (d === null || d.frac !== '') return 'is not a whole number of basis points';
    return d.int.length > 5 ? 'has more than 5 digits' : null;
  },
};

function valueCheck(b: Builder, e: DataElement, element: string, path: string): ValueCheck {
  const spec = e.format;
  const regime = b.options.regime;
  const typeFail = b.emitter('FMT-TYPE', element, 'error');
  const wrongType = (v: unknown, at: string, expected: string) => typeFail(at, `${at} must be ${expected}, but holds ${show(v)}`);
  const textOnly = (inner: (v: string, at: string, r: Rec) => void): ValueCheck => (v, at, r) => {
    if (typeof v !== 'string') wrongType(v, at, 'text');
    else inner(v, at, r);
  };
  const reasonCheck = (rule: string, reason: (v: string) => string | null, special?: readonly string[]): ValueCheck => {
    const fail = b.emitter(rule, element, 'error');
    const allowed = new Set(special ?? []);
    return textOnly((v, at) => {
      if (allowed.has(v)) return;
      const why = reason(v);
      if (why !== null) fail(at, `${at} ${show(v)} ${why}`);
    });
  };
  const lei = leiChecks(b, element);

  switch (spec.kind) {
    case 'code': {
      const ktfcCodes = regime === 'ktfc' ? KTFC_PROFILE.codeLists[path] : undefined;
      const codes = ktfcCodes ?? spec.byRegime?.[regime] ?? spec.codes;
      const set = new Set(codes);
      const listed = codes.length <= 16 ? ` (allowed: ${codes.join(', ')})` : '';
      const fail = b.emitter('FMT-CODE', element, 'error');
      return textOnly((v, at) => {
        if (!set.has(v)) fail(at, `${at} ${show(v)} is not an allowed code${listed}`);
      });
    }
    case 'lei': {
      const special = new Set(spec.special ?? []);
      return textOnly((v, at) => {
        if (!special.has(v)) lei(v, at);
      });
    }
    case 'party': {
      const shape = b.emitter('FMT-PARTY-ID', element, 'error');
      return textOnly((v, at, r) => {
        const why = fmt.text(v, 20, 72, true);
        if (why !== null) {
          shape(at, `${at} ${show(v)} ${why} (an LEI, or an LEI followed by a natural person's id)`);
          return;
        }
        // A natural person or privacy-law identifier for counterparty 2 is not an LEI.
        if (v === r['counterparty2'] && (r['counterparty2IdentifierSource'] === 'NPID' || r['counterparty2IdentifierSource'] === 'PLID')) return;
        lei(v.length === 20 ? v : v.slice(0, 20), at, v.length === 20 ? undefined : 'starts with');
      });
    }
    case 'uti': {
      const special = new Set(spec.special ?? []);
      const shape = b.emitter('FMT-UTI', element, 'error');
      return textOnly((v, at) => {
        if (special.has(v)) return;
        const why = fmt.utiShape(v);
        if (why !== null) shape(at, `${at} ${show(v)} ${why}`);
        else lei(v.slice(0, 20), at, 'starts with', true);
      });
    }
    case 'usi':
      return reasonCheck('FMT-USI', fmt.usiShape, spec.special);
    case 'text':
      return reasonCheck('FMT-TEXT', (v) => fmt.text(v, spec.min, spec.max, spec.alnum), spec.special);
    case 'decimal': {
      const fail = b.emitter('FMT-DECIMAL', element, 'error');
      const neg = b.emitter('FMT-NONNEG', element, 'error');
      return (v, at) => {
        if (typeof v !== 'string' && typeof v !== 'number') return wrongType(v, at, 'a decimal number');
        const why = fmt.decimal(v, spec.digits, spec.fraction);
        if (why !== null) fail(at, `${at} ${show(v)} ${why}`);
        else if (spec.nonNegative === true && fmt.nonNegative(v) !== null) neg(at, `${at} ${show(v)} is negative; it must be zero or more`);
      };
    }
    case 'int': {
      const fail = b.emitter('FMT-INT', element, 'error');
      return (v, at) => {
        const why = fmt.integer(v, spec.digits);
        if (why !== null) fail(at, `${at} ${show(v)} ${why}`);
      };
    }
    case 'timestamp':
      return reasonCheck('FMT-TIMESTAMP', fmt.timestamp);
    case 'date':
      return reasonCheck('FMT-DATE', fmt.date);
    case 'currency':
      return reasonCheck('FMT-CURRENCY', fmt.currency);
    case 'country':
      return reasonCheck('FMT-COUNTRY', fmt.country);
    case 'ccyPair':
      return reasonCheck('FMT-CCY-PAIR', fmt.currencyPair);
    case 'ccyOrPair':
      return reasonCheck('FMT-CCY-PAIR', fmt.currencyOrPair);
    case 'platform':
      return reasonCheck('FMT-MIC', fmt.platform);
    case 'bool':
      return (v, at) => {
        if (typeof v !== 'boolean') wrongType(v, at, 'true or false');
      };
    case 'string':
      return textOnly(() => {});
    case 'object':
      return (v, at) => {
        if (v === null || typeof v !== 'object') wrongType(v, at, 'an object');
      };
    case 'price': {
      const fail = b.emitter('FMT-DECIMAL', element, 'error');
      return (v, at) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return wrongType(v, at, 'a price object');
        const o = v as Rec;
        for (const key in PRICE_KEY_FORMAT) {
          const x = o[key];
          if (!isPresent(x)) continue;
          const why = PRICE_KEY_FORMAT[key]!(x);
          if (why !== null) fail(`${at}.${key}`, `${at}.${key} ${show(x)} ${why}`);
        }
      };
    }
  }
  return assertNever(spec);
}

function assertNever(x: never): never {
  throw new Error(`unhandled format ${JSON.stringify(x)}`);
}

/**
 * LEI shape (always an error) and check digits (severity per `leiCheck`). `prefix` names where the LEI
 * sits ("starts with") when it is the head of a longer identifier.
 */
function leiChecks(b: Builder, element: string): (lei: string, at: string, prefix?: string, shapeKnown?: boolean) => void {
  const shape = b.emitter('FMT-LEI', element, 'error');
  const mode = b.options.leiCheck;
  const digits = mode === 'off' ? undefined : b.emitter('FMT-LEI-CHECKSUM', element, mode === 'warn' ? 'warning' : 'error');
  const what = (lei: string, at: string, prefix: string | undefined): string =>
    prefix === undefined ? `${at} ${show(lei)}` : `${at} ${prefix} LEI ${show(lei)} that`;
  return (lei, at, prefix, shapeKnown) => {
    if (shapeKnown !== true) {
      const why = fmt.leiShape(lei);
      if (why !== null) {
        shape(at, `${what(lei, at, prefix)} ${why}`);
        return;
      }
    }
    if (digits !== undefined && !fmt.leiChecksumOk(lei)) digits(at, `${what(lei, at, prefix)} fails the ISO 17442 check digits (ISO 7064 MOD 97-10)`);
  };
}

// ------------------------------------------------------------------------------------ conditions

function compileConditions(b: Builder): void {
  const regime = b.options.regime;
  const excluded = new Set(KTFC_PROFILE.excludedConditions);
  for (const c of CONDITIONS) {
    if (regime === 'ktfc') {
      if (c.regimes.includes('ktfc')) addCondition(b, c, c.id);
      else if (c.regimes.includes('cftc-part45') && !excluded.has(c.n)) addCondition(b, c, `KTFC-C${c.n}`);
    } else if (c.regimes.includes(regime)) {
      addCondition(b, c, c.id);
    }
  }
  b.emit('PRICE-NOTATION', priceNotationCheck(b));
}

function addCondition(b: Builder, c: ConditionRule, id: string): void {
  const element = c.element ?? String(c.de[0]);
  b.emit(`${id} ${c.name}`, `{\n${c.check(b.g, b.failName(id, element, c.severity))}}\n`);
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
    const fail = b.emitter('PRICE-NOTATION', String(de), 'error');
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
      b.emit(`REQ-KTFC ${first}`, required(b, 'REQ-KTFC', element, first, `${elementOfPath(first)?.label ?? first}, mandatory for KTFC`));
    } else {
      const msg = `one of ${alternatives.join(', ')} is mandatory for KTFC, but none is populated`;
      b.emit(`REQ-KTFC ${alternatives.join('|')}`, `if (!(${alternatives.map((x) => g.present(x)).join(' || ')})) ${b.failName('REQ-KTFC', element, 'error')}(${q(first)}, ${q(msg)});\n`);
    }
  }
  for (const w of p.requiredWith) {
    const msg = `${w.path} is mandatory for KTFC when ${w.whenPresent} is populated, but is not populated`;
    b.emit(`REQ-KTFC ${w.path}`, `if (${g.present(w.whenPresent)} && !${g.present(w.path)}) ${b.failName('REQ-KTFC', String(w.de), 'error')}(${q(w.path)}, ${q(msg)});\n`);
  }
  const events = actionEventPairs(EVENTS_P45, [...ACTIONS_WITHOUT_EVENT, ...p.actionsWithoutEvent], 'KTFC');
  b.emit('KTFC-EVENT', events(g, b.failName('KTFC-EVENT', '27', 'error')));

  const late = b.emitter('KTFC-DEADLINE', '97', 'warning');
  const deadline = (cleared: unknown, ccp: unknown, cp1: unknown, exec: unknown, reported: unknown): void => {
    const ccpReport = cleared === 'Y' && isPresent(ccp) && ccp === cp1;
    const by = ktfcLateBy(exec, reported, ccpReport);
    if (by !== null) {
      late('reportingTimestamp', `reportingTimestamp ${show(reported)} is after the KTFC deadline ${by} (${ccpReport ? 'same day for a CCP' : 'next Korean business day'} after executionTimestamp ${show(exec)})`);
    }
  };
  b.emit('KTFC-DEADLINE', `${g.k(deadline)}(r.cleared, r.centralCounterparty, r.counterparty1, r.executionTimestamp, r.reportingTimestamp);\n`);
}
