// Lossless JSON parsing: every number is kept as its exact decimal text.
//
// The reference behaviour is lossless-json's `parse` with a number parser that returns the text. That parser is
// pure JavaScript and runs at roughly a fifth of the native JSON.parse speed, which would make parsing, not
// decoding, the bottleneck of ingest. So the common case takes a fast path that gives the same result:
//   1. one scan over the text turns every number token into a string literal carrying a private-use marker
//      (U+E000) in front of the digits, skipping over string literals;
//   2. native JSON.parse builds the tree;
//   3. one walk strips the markers (marking the containers, see NUMBER_KEYS) and counts object keys.
// Whenever the fast path cannot be sure to agree with lossless-json it re-parses with lossless-json instead:
// when native JSON.parse fails (lossless-json then throws its SyntaxError with the position), when a number
// token is not a valid JSON number or sits where a key belongs (quoting it would turn bad JSON into good), when
// the text already contains the marker character (raw or as a \u escape), and when the tree has fewer keys than
// the text (duplicate keys: native JSON.parse keeps the last silently, lossless-json rejects conflicting ones).
import { parse } from 'lossless-json';

/**
 * Hidden (non-enumerable, symbol-keyed) list, on each parsed object/array, of the keys (array: indices) whose value
 * was a JSON number. Numbers come back as strings, which erases the number/string distinction; the mark restores
 * it where the decoder needs it (a number sent for a text field is a type error, an int32 must be a number,
 * numbers inside free-form Struct content must stay numbers). It is invisible to Object.keys, JSON.stringify and
 * deep-equality; a copy made by spread or structuredClone does not carry it.
 */
const NUMBER_KEYS: unique symbol = Symbol('swaprep.record.jsonNumberKeys');

type Marked = { [NUMBER_KEYS]?: ReadonlyArray<string | number> };

/** Keys (objects) or indices (arrays) of `container` whose value was a JSON number, if parseJsonLossless made it. */
export function numberKeysOf(container: object): ReadonlyArray<string | number> | undefined {
  return (container as Marked)[NUMBER_KEYS];
}

function markNumbers(container: object, keys: ReadonlyArray<string | number>): void {
  Object.defineProperty(container, NUMBER_KEYS, { value: keys, enumerable: false, writable: false, configurable: true });
}

// ---- reference path: lossless-json ----

/** What lossless-json's number parser yields; replaced by its text right after parsing. */
class NumberToken {
  constructor(readonly text: string) {}
}

const toToken = (text: string): NumberToken => new NumberToken(text);

/** Replaces NumberTokens by their text, in place, marking the containers that held them. */
function untoken(value: unknown): unknown {
  if (value instanceof NumberToken) return value.text;
  if (typeof value !== 'object' || value === null) return value;
  let marks: Array<string | number> | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v instanceof NumberToken) {
        value[i] = v.text;
        (marks ??= []).push(i);
      } else if (typeof v === 'object' && v !== null) untoken(v);
    }
  } else {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v instanceof NumberToken) {
        obj[key] = v.text;
        (marks ??= []).push(key);
      } else if (typeof v === 'object' && v !== null) untoken(v);
    }
  }
  if (marks) markNumbers(value, marks);
  return value;
}

/** lossless-json's parse with numbers as text: the semantics parseJsonLossless promises. Throws SyntaxError. */
export function parseWithLosslessJson(text: string): unknown {
  return untoken(parse(text, null, toToken));
}

// ---- fast path ----

const MARK = '\uE000';
const MARK_CODE = 0xe000;
const MARK_ESCAPE = /\\u[eE]000/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

// Character codes the scanner looks at.
const QUOTE = 34;
const BACKSLASH = 92;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const COLON = 58;

/** JSON whitespace: space, \n, \r, \t. */
const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Index of the first non-whitespace character at or after `i`. */
function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

interface Quoted {
  readonly text: string;
  /** Number of string literals followed by ':' (object keys, duplicates included). */
  readonly keys: number;
}

/** Step 1: quote number tokens with the marker. undefined = leave it to lossless-json. */
function quoteNumbers(text: string): Quoted | undefined {
  let out = '';
  let last = 0;
  let keys = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string literal: the next quote not escaped by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j === -1) return undefined;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      i = j + 1;
      const after = skipWs(text, i);
      if (after < n && text.charCodeAt(after) === COLON) keys++;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if ((d >= ZERO && d <= NINE) || d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS) j++;
        else break;
      }
      const token = text.slice(i, j);
      if (!JSON_NUMBER.test(token)) return undefined;
      const after = skipWs(text, j);
      if (after < n && text.charCodeAt(after) === COLON) return undefined; // a number as a key is not JSON
      out += `${text.slice(last, i)}"${MARK}${token}"`;
      last = i = j;
    } else {
      i++;
    }
  }
  return { text: last === 0 ? text : out + text.slice(last), keys };
}

/** Step 3: strip markers in place, mark containers; returns the number of object keys seen. */
function unquote(value: object): number {
  let keys = 0;
  let marks: Array<string | number> | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === MARK_CODE) {
          value[i] = v.slice(1);
          (marks ??= []).push(i);
        }
      } else if (typeof v === 'object' && v !== null) keys += unquote(v);
    }
  } else {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      keys++;
      const v = obj[key];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === MARK_CODE) {
          obj[key] = v.slice(1);
          (marks ??= []).push(key);
        }
      } else if (typeof v === 'object' && v !== null) keys += unquote(v);
    }
  }
  if (marks) markNumbers(value, marks);
  return keys;
}

/**
 * JSON.parse, but every number is kept as its exact decimal text (a string, e.g. "99999999999999999999.99999"
 * or "1e-7", as written). Duplicate keys with different values are rejected. Throws SyntaxError (with the
 * position) on malformed JSON.
 */
export function parseJsonLossless(text: string): unknown {
  if (text.includes(MARK) || MARK_ESCAPE.test(text)) return parseWithLosslessJson(text);
  const quoted = quoteNumbers(text);
  if (quoted === undefined) return parseWithLosslessJson(text);
  let value: unknown;
  try {
    value = JSON.parse(quoted.text);
  } catch {
    return parseWithLosslessJson(text); // throws lossless-json's SyntaxError, with its position in the original text
  }
  if (typeof value === 'string') return value.charCodeAt(0) === MARK_CODE ? value.slice(1) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (unquote(value) !== quoted.keys) return parseWithLosslessJson(text); // duplicate keys
  return value;
}
