// JSON <-> SwapReport for the DRR flat JSON shape (the corpus shape), exact for decimals.
//
// Why not ts-proto's fromJSON/toJSON: they coerce silently (numbers become JS doubles, unknown keys are dropped,
// wrong types become defaults). The engine needs the opposite: decimals kept as the exact text the sender wrote,
// and every unknown key or wrong JSON type reported with its path, so a malformed submission is rejected with a
// precise reason instead of being "repaired". Validation of values (formats, code lists, cardinality) is NOT done
// here: that is the rulebook's job, so anything of the right JSON type is passed through as data.
//
// The codec is driven by a schema (./schema.ts reads it from the descriptor image) and compiled once into one
// closure per message, so decoding a record is a single walk over its JSON with Map look-ups only.
// This module does no I/O and imports nothing node-only: the console bundles it for the browser (with the schema
// exported at build time) so the correction editor decodes records exactly as the engine does. ./json.ts binds
// it to the engine's schema.
import { isLosslessNumber, isNumber, LosslessNumber, stringify } from 'lossless-json';
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { numberKeysOf } from './lossless.js';
import type { FieldKind, FieldSpec, MessageSpec } from './schema-types.js';

export interface JsonIssue {
  /** Where, e.g. "leg1.notionalAmount" or "otherPayment[2].amount"; "" is the record itself. */
  path: string;
  message: string;
}

export type DecodeResult = { ok: true; report: SwapReport } | { ok: false; issues: JsonIssue[] };

// ---------------------------------------------------------------------------------------------------------------
// Decoding (JSON value -> SwapReport)
// ---------------------------------------------------------------------------------------------------------------

type Issues = JsonIssue[];
type Key = string | number;

/** Path of `key` under `parent`: "a.b", "a[3]"; built only when an issue needs it. */
function childPath(parent: string, key: Key): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** A JSON object as parsers build it (not an array, LosslessNumber or other class instance). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The JSON type of a value for messages ("number" also for numeric text that was a JSON number). */
function jsonTypeOf(v: unknown, wasNumber: boolean): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return wasNumber ? `number ${v}` : 'string';
  if (isLosslessNumber(v)) return `number ${v.toString()}`;
  if (typeof v === 'number') return `number ${String(v)}`;
  return typeof v;
}

/**
 * Decodes one value of a field. Returns undefined when the value is rejected (after recording the issue), so the
 * field stays absent; `parent` + `key` locate the value for issue paths.
 */
type ValueDecoder = (v: unknown, wasNumber: boolean, issues: Issues, parent: string, key: Key) => unknown;

/** How each kind is named in "expected ..." messages. */
const EXPECTED: Record<FieldKind, string> = {
  text: 'a string',
  decimal: 'a decimal number (JSON number or string)',
  bool: 'true or false',
  int32: 'an integer number (int32)',
  message: 'an object',
  struct: 'an object',
};

const INT32_TEXT = /^-?(?:0|[1-9][0-9]*)$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function reject(issues: Issues, parent: string, key: Key, expected: string, v: unknown, wasNumber: boolean): undefined {
  issues.push({ path: childPath(parent, key), message: `expected ${expected}, got ${jsonTypeOf(v, wasNumber)}` });
  return undefined;
}

const decodeText: ValueDecoder = (v, wasNumber, issues, parent, key) =>
  typeof v === 'string' && !wasNumber ? v : reject(issues, parent, key, EXPECTED.text, v, wasNumber);

/** Decimal: a JSON number (any text JSON allows, kept verbatim) or a JSON string (kept as is: format is the rulebook's). */
const decodeDecimal: ValueDecoder = (v, wasNumber, issues, parent, key) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (isLosslessNumber(v)) return v.toString();
  return reject(issues, parent, key, EXPECTED.decimal, v, wasNumber);
};

const decodeBool: ValueDecoder = (v, wasNumber, issues, parent, key) =>
  typeof v === 'boolean' ? v : reject(issues, parent, key, EXPECTED.bool, v, wasNumber);

/** int32: a JSON number with an integer value in range. A JSON string is a type error, even "3". */
const decodeInt32: ValueDecoder = (v, wasNumber, issues, parent, key) => {
  let n: number | undefined;
  if (typeof v === 'number') n = Number.isInteger(v) ? v : undefined;
  else if ((typeof v === 'string' && wasNumber) || isLosslessNumber(v)) {
    const text = String(v);
    n = INT32_TEXT.test(text) ? Number(text) : undefined;
  }
  if (n !== undefined && n >= INT32_MIN && n <= INT32_MAX) return n;
  return reject(issues, parent, key, EXPECTED.int32, v, wasNumber);
};

/**
 * Copies the content of a google.protobuf.Struct field: any JSON, with numbers as JS numbers (a Struct number is a
 * double; exact decimal text is not kept there). Returns undefined for non-JSON values (not produced by a parser).
 */
function structValue(v: unknown, wasNumber: boolean, issues: Issues, parent: string, key: Key): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string' && !wasNumber) return v;
  if (typeof v === 'string' || typeof v === 'number' || isLosslessNumber(v)) {
    const n = typeof v === 'number' ? v : Number(String(v));
    // 1e400 parses to Infinity, which JSON cannot write back: refuse rather than corrupt.
    return Number.isFinite(n) ? n : reject(issues, parent, key, 'a number within double range', v, wasNumber);
  }
  if (typeof v !== 'object') return reject(issues, parent, key, 'a JSON value', v, false);
  const path = childPath(parent, key);
  const marks = numberKeysOf(v);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = structValue(v[i], marks !== undefined && marks.includes(i), issues, path, i);
    return out;
  }
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    const x = structValue(obj[k], marks !== undefined && marks.includes(k), issues, path, k);
    // "__proto__" is a legal JSON key; plain assignment would set the prototype instead of a property.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

const decodeStruct: ValueDecoder = (v, wasNumber, issues, parent, key) =>
  isPlainObject(v) ? structValue(v, false, issues, parent, key) : reject(issues, parent, key, EXPECTED.struct, v, wasNumber);

interface CompiledField {
  readonly prop: string;
  readonly decode: ValueDecoder;
}

type MessageDecoder = (obj: Record<string, unknown>, path: string, issues: Issues) => Record<string, unknown>;

const SCALAR_DECODERS: Record<Exclude<FieldKind, 'message'>, ValueDecoder> = {
  text: decodeText,
  decimal: decodeDecimal,
  bool: decodeBool,
  int32: decodeInt32,
  struct: decodeStruct,
};

/** Wraps an element decoder for a repeated field: the value must be an array; null elements are errors. */
function repeatedDecoder(element: ValueDecoder, expected: string): ValueDecoder {
  return (v, wasNumber, issues, parent, key) => {
    if (!Array.isArray(v)) return reject(issues, parent, key, 'an array', v, wasNumber);
    const path = childPath(parent, key);
    const marks = numberKeysOf(v);
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const num = marks !== undefined && marks.includes(i);
      const d = x === null ? reject(issues, path, i, expected, x, num) : element(x, num, issues, path, i);
      if (d !== undefined) out.push(d);
    }
    return out;
  };
}

function compileDecoder(spec: MessageSpec, cache: Map<MessageSpec, MessageDecoder>): MessageDecoder {
  const cached = cache.get(spec);
  if (cached) return cached;
  const byJsonName = new Map<string, CompiledField>();
  let self: MessageDecoder | undefined;
  // Registered before the fields are compiled so that a recursive message type would resolve to this decoder.
  const decodeThis: MessageDecoder = (obj, path, issues) => (self as MessageDecoder)(obj, path, issues);
  cache.set(spec, decodeThis);

  for (const f of spec.fields) {
    let one: ValueDecoder;
    if (f.kind === 'message') {
      const sub = compileDecoder(f.message as MessageSpec, cache);
      one = (v, wasNumber, issues, parent, key) =>
        isPlainObject(v) ? sub(v, childPath(parent, key), issues) : reject(issues, parent, key, EXPECTED.message, v, wasNumber);
    } else {
      one = SCALAR_DECODERS[f.kind];
    }
    byJsonName.set(f.jsonName, { prop: f.prop, decode: f.repeated ? repeatedDecoder(one, EXPECTED[f.kind]) : one });
  }

  // Every decoded message starts from an object literal listing all its properties, exactly like ts-proto's
  // createBase* (repeated fields as fresh empty arrays, the rest undefined). All records of a type then share one
  // hidden class: filling existing slots is ~2.5x faster than adding properties one by one (measured on the
  // corpus), and the rulebook's property reads stay monomorphic. The literal is generated because SwapReport has
  // ~140 properties: built up by assignment (or spread from such an object) V8 turns it into a slow dictionary.
  // Property names come from the descriptor image and are JSON-quoted, so no schema text is evaluated as code.
  const create = new Function(
    `return { ${spec.fields.map((f) => `${JSON.stringify(f.prop)}: ${f.repeated ? '[]' : 'undefined'}`).join(', ')} };`,
  ) as () => Record<string, unknown>;

  self = (obj, path, issues) => {
    const out = create();
    const marks = numberKeysOf(obj);
    for (const key of Object.keys(obj)) {
      const field = byJsonName.get(key);
      if (field === undefined) {
        issues.push({ path: childPath(path, key), message: `unknown field (not in ${spec.typeName})` });
        continue;
      }
      const v = obj[key];
      // proto3 JSON: null means "not set". The rulebook then sees the field as absent.
      if (v === null || v === undefined) continue;
      const d = field.decode(v, marks !== undefined && marks.includes(key), issues, path, key);
      if (d !== undefined) out[field.prop] = d;
    }
    return out;
  };
  return decodeThis;
}

export interface RecordCodec {
  /**
   * Decodes a parsed record (from parseJsonLossless, JSON.parse or lossless-json's own parse) into a SwapReport.
   * Strict about structure (unknown keys, JSON types), silent about values (formats and codes are the rulebook's).
   * All issues are collected; the report is returned only when there are none.
   */
  reportFromJson(value: unknown): DecodeResult;
  /**
   * Back to the corpus shape: absent fields omitted, keys sorted, decimals as LosslessNumber (written as raw JSON
   * numbers by lossless-json's stringify), Struct fields as plain objects.
   */
  reportToJson(report: SwapReport): Record<string, unknown>;
  /** Compact JSON text of reportToJson (decimals written exactly as held). */
  reportToJsonText(report: SwapReport): string;
}

/** Compiles the decoder and encoder for one schema (the engine's: ./json.ts). */
export function createRecordCodec(schema: MessageSpec): RecordCodec {
  const decodeReport = compileDecoder(schema, new Map());
  const encodeReport = compileEncoder(schema, new Map());
  const reportToJson = (report: SwapReport): Record<string, unknown> => encodeReport(report as unknown as Record<string, unknown>);
  return {
    reportFromJson: (value) => decodeWith(decodeReport, value),
    reportToJson,
    reportToJsonText: (report) => {
      const text = stringify(reportToJson(report));
      if (text === undefined) throw new Error('unreachable: an object always stringifies');
      return text;
    },
  };
}

/**
 * Decodes a parsed record (from parseJsonLossless, JSON.parse or lossless-json's own parse) into a SwapReport.
 * Strict about structure (unknown keys, JSON types), silent about values (formats and codes are the rulebook's).
 * All issues are collected; the report is returned only when there are none.
 */
function decodeWith(decodeReport: MessageDecoder, value: unknown): DecodeResult {
  if (!isPlainObject(value)) {
    return { ok: false, issues: [{ path: '', message: `expected a JSON object, got ${jsonTypeOf(value, false)}` }] };
  }
  const issues: Issues = [];
  const out = decodeReport(value, '', issues);
  if (issues.length > 0) return { ok: false, issues };
  // The decoder builds exactly the ts-proto shape (property names from the same schema; see the round-trip tests).
  return { ok: true, report: out as unknown as SwapReport };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding (SwapReport -> JSON)
// ---------------------------------------------------------------------------------------------------------------

type ValueEncoder = (v: unknown) => unknown;
type MessageEncoder = (msg: Record<string, unknown>) => Record<string, unknown>;

/** Decimal text becomes a raw JSON number on output; text that is not a JSON number stays a string (never lost). */
const encodeDecimal: ValueEncoder = (v) => (typeof v === 'string' && isNumber(v) ? new LosslessNumber(v) : v);
const identity: ValueEncoder = (v) => v;

function compileEncoder(spec: MessageSpec, cache: Map<MessageSpec, MessageEncoder>): MessageEncoder {
  const cached = cache.get(spec);
  if (cached) return cached;
  let self: MessageEncoder | undefined;
  const encodeThis: MessageEncoder = (msg) => (self as MessageEncoder)(msg);
  cache.set(spec, encodeThis);

  // Keys in code-unit order, as DRR (Jackson, sorted properties) writes them, so output diffs cleanly against DRR.
  const fields = [...spec.fields].sort((a, b) => (a.jsonName < b.jsonName ? -1 : a.jsonName > b.jsonName ? 1 : 0));
  const plan = fields.map((f: FieldSpec) => {
    let one: ValueEncoder = identity;
    if (f.kind === 'decimal') one = encodeDecimal;
    else if (f.kind === 'message') {
      const sub = compileEncoder(f.message as MessageSpec, cache);
      one = (v) => sub(v as Record<string, unknown>);
    }
    return { jsonName: f.jsonName, prop: f.prop, repeated: f.repeated, one };
  });

  self = (msg) => {
    const out: Record<string, unknown> = {};
    for (const f of plan) {
      const v = msg[f.prop];
      if (v === undefined || v === null) continue;
      if (f.repeated) {
        // An empty list and an absent one are the same thing in protobuf; both are omitted.
        if (!Array.isArray(v) || v.length === 0) continue;
        out[f.jsonName] = f.one === identity ? v.slice() : v.map(f.one);
      } else {
        out[f.jsonName] = f.one(v);
      }
    }
    return out;
  };
  return encodeThis;
}
