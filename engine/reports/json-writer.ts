/**
 * A compiled writer from the canonical record to the flat JSON of one regime's submission.
 *
 * Why generated code: report generation must run at 100,000+ records/s on one core. A generic walker reads
 * every field through one keyed-access site (`msg[prop]` with a varying `prop`), which V8 sees as
 * megamorphic (measured: ~28,000 records/s for Part 45). The writer is therefore emitted once per regime as
 * JavaScript source, one property read per field (each its own monomorphic inline cache on the record's
 * fixed shape), the same technique as engine/rules/gen.ts. The source is built only from the descriptor
 * image's field names, each written as a JSON string literal, never spliced raw.
 *
 * Output: keys sorted like DRR's (reportToJson does the same); absent fields and messages left empty by the
 * projection omitted; decimals written as raw JSON numbers exactly as held, or as strings when the text is
 * not a JSON number (e.g. a capped Part 43 notional "250000000+").
 */
import { buildSchema, type FieldSpec, type MessageSpec } from '../record/schema.js';

/** Replaces a decimal/text value at a path; returns the value text to write (undefined omits the field). */
export type ValueOverride<C> = (value: string, ctx: C) => string | undefined;

export type JsonWriter<C> = (msg: Record<string, unknown>, ctx: C) => string;

let schema: MessageSpec | undefined;
/** The record schema (read once from the descriptor image, like engine/record/json.ts). */
export function recordSchema(): MessageSpec {
  return (schema ??= buildSchema());
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// Quote, backslash, C0 controls and surrogates (lone ones must be escaped) take JSON.stringify's slow path.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export function jsonString(v: string): string {
  // A char-code scan beats the equivalent regex test on the short strings of a record (codes, ids, dates).
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(v);
  }
  return '"' + v + '"';
}

/** Regex form of the check in jsonString, for callers testing a whole value at once. */
export function needsEscape(v: string): boolean {
  return NEEDS_ESCAPE.test(v);
}

export function jsonDecimal(v: string): string {
  return JSON_NUMBER.test(v) ? v : jsonString(v);
}

/** Source-text helpers shared by the generated functions. */
const HELPERS = {
  S: jsonString,
  D: jsonDecimal,
  J: (v: unknown): string | undefined => JSON.stringify(v),
};

/**
 * Compiles a writer that keeps the fields whose property path is in `keep` or under a kept path, applying
 * `overrides` (by property path, e.g. "leg1.notionalAmount") to string values.
 */
export function compileJsonWriter<C>(keep: ReadonlySet<string>, overrides: ReadonlyMap<string, ValueOverride<C>> = new Map()): JsonWriter<C> {
  const kept = (path: string): boolean => {
    if (keep.has(path)) return true;
    for (let i = path.indexOf('.'); i >= 0; i = path.indexOf('.', i + 1)) if (keep.has(path.slice(0, i))) return true;
    return false;
  };
  const underKept = (path: string): boolean => {
    if (kept(path)) return true;
    const p = path + '.';
    for (const k of keep) if (k.startsWith(p)) return true;
    return false;
  };

  const fns: string[] = [];
  const ovs: ValueOverride<C>[] = [];

  /** Expression that renders scalar `x` of field `f` at `path` as JSON text or undefined. */
  const scalarExpr = (f: FieldSpec, path: string, x: string): string => {
    const ov = overrides.get(path);
    if (ov && (f.kind === 'text' || f.kind === 'decimal')) {
      ovs.push(ov);
      const k = `O[${ovs.length - 1}]`;
      return `(typeof ${x} === 'string' ? ((t) => t === undefined ? undefined : H.D(t))(${k}(${x}, ctx)) : undefined)`;
    }
    switch (f.kind) {
      case 'text':
        return `(typeof ${x} === 'string' ? H.S(${x}) : undefined)`;
      case 'decimal':
        return `(typeof ${x} === 'string' ? H.D(${x}) : undefined)`;
      case 'bool':
        return `(${x} === true ? 'true' : ${x} === false ? 'false' : undefined)`;
      case 'int32':
        return `(typeof ${x} === 'number' && Number.isFinite(${x}) ? String(${x}) : undefined)`;
      case 'struct':
        return `H.J(${x})`;
      default:
        throw new Error(`unreachable field kind ${f.kind}`);
    }
  };

  /** Emits the function for a message at `path`; returns its name. */
  const emit = (spec: MessageSpec, path: string): string => {
    const name = `w${fns.length}`;
    fns.push(''); // reserve the slot: nested messages are emitted first
    const slot = fns.length - 1;
    const fields = [...spec.fields].sort((a, b) => (a.jsonName < b.jsonName ? -1 : a.jsonName > b.jsonName ? 1 : 0));
    const body: string[] = [];
    for (const f of fields) {
      const p = path === '' ? f.prop : `${path}.${f.prop}`;
      if (!underKept(p)) continue;
      // Both spellings of the key as literals, so appending a field is one concatenation of constants.
      const first = JSON.stringify(JSON.stringify(f.jsonName) + ':');
      const next = JSON.stringify(',' + JSON.stringify(f.jsonName) + ':');
      const key = `(s === '' ? ${first} : ${next})`;
      const read = `m[${JSON.stringify(f.prop)}]`;
      let one: string;
      if (f.kind === 'message') {
        const sub = emit(f.message as MessageSpec, p);
        one = `${sub}(X, ctx)`;
      } else {
        one = scalarExpr(f, p, 'X');
      }
      if (f.repeated) {
        body.push(`v = ${read}; if (Array.isArray(v) && v.length > 0) { let a = ''; for (let i = 0; i < v.length; i++) { const X = v[i]; if (X === undefined || X === null) continue; const y = ${one}; if (y !== undefined && y !== '{}') a += (a === '' ? '' : ',') + y; } if (a !== '') s += ${key} + '[' + a + ']'; }`);
      } else {
        body.push(`v = ${read}; if (v !== undefined && v !== null) { const X = v; const y = ${one}; if (y !== undefined && y !== '{}') s += ${key} + y; }`);
      }
    }
    fns[slot] = `function ${name}(m, ctx) { let s = ''; let v; ${body.join('\n')} return '{' + s + '}'; }`;
    return name;
  };
  const root = emit(recordSchema(), '');
  const source = `${fns.join('\n')}\nreturn ${root};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema's names (see header)
  return new Function('H', 'O', source)(HELPERS, ovs) as JsonWriter<C>;
}
