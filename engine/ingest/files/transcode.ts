/**
 * The fast path of file decoding: one JSON record (UTF-8 bytes) straight to SwapReport protobuf bytes,
 * without building the JSON tree, the SwapReport object, or decoding the text to a JS string.
 *
 * Decoding through parseJsonLossless + reportFromJson + SwapReport.encode builds three object trees per
 * record and is what limits a replay (about 10,000 records/s per thread on the 2-core machine, records of
 * 2 KB). This transcoder reads the bytes once and writes the protobuf as it goes. It handles only the plain
 * case and declines everything else, which then takes the strict path; so its output is exactly the
 * strict path's record (the tests compare them on the corpus and generated flows):
 *   - declines: unknown keys, duplicate keys, a value of the wrong JSON type, null inside an array, any
 *     string with an escape, a control character or a non-ASCII byte, Struct fields (nonReportable UPI
 *     data), an int32 that is not a plain in-range integer, anything after the top-level object;
 *   - keeps: decimal numbers as their exact text (as the strict path does), null as "not set".
 * Fields are written in the order they appear in the JSON (protobuf readers accept any order).
 */
import { buildSchema, type FieldKind, type MessageSpec } from '../../record/schema.js';

interface FieldPlan {
  readonly index: number;
  /** The JSON name's bytes (ASCII), to confirm a hash match. */
  readonly name: Uint8Array;
  /** Field number << 3 (the wire type is added when writing). */
  readonly key: number;
  readonly kind: FieldKind;
  readonly repeated: boolean;
  readonly sub: MessagePlan | undefined;
}

interface MessagePlan {
  readonly fields: readonly FieldPlan[];
  /** Open-addressing table of field index + 1 by a hash of the JSON name's bytes (keys are looked up without making strings). */
  readonly table: Int32Array;
  readonly count: number;
  /** Duplicate-key check: seen[i] === the current object's stamp. */
  readonly seen: Uint32Array;
  /** Objects of this message being read right now (more than one only if the schema nested it in itself). */
  active: number;
}

/** FNV-1a over bytes, as a small non-negative integer. */
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 16777619);
  return h & 0x3fffffff;
}

function plan(spec: MessageSpec, done: Map<MessageSpec, MessagePlan>): MessagePlan {
  const seen = done.get(spec);
  if (seen) return seen;
  const fields: FieldPlan[] = [];
  let size = 16;
  while (size < spec.fields.length * 4) size *= 2;
  const table = new Int32Array(size);
  const p: MessagePlan = { fields, table, count: spec.fields.length, seen: new Uint32Array(spec.fields.length), active: 0 };
  done.set(spec, p);
  spec.fields.forEach((f, index) => {
    const name = Buffer.from(f.jsonName, 'latin1');
    fields.push({ index, name, key: f.number << 3, kind: f.kind, repeated: f.repeated, sub: f.kind === 'message' ? plan(f.message!, done) : undefined });
    let slot = hashBytes(name, 0, name.length) & (size - 1);
    while (table[slot] !== 0) slot = (slot + 1) & (size - 1);
    table[slot] = index + 1;
  });
  return p;
}

/** A growable output buffer; records are appended one after another. */
export class ByteSink {
  buf: Uint8Array<ArrayBuffer>;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = new Uint8Array(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v > 127) {
      this.buf[this.pos++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  append(src: Uint8Array, from = 0, to = src.length): void {
    const n = to - from;
    this.ensure(n);
    // Short runs (most strings of a record) copy faster by hand than through a subarray view.
    if (n < 64) {
      const buf = this.buf;
      let w = this.pos;
      for (let i = from; i < to; i++) buf[w++] = src[i]!;
    } else {
      this.buf.set(src.subarray(from, to), this.pos);
    }
    this.pos += n;
  }

  /** The bytes written so far, as a fresh exact-size copy (transferable). */
  take(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.pos);
  }
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const PLUS = 43;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const WIRE_VARINT = 0;
const WIRE_LEN = 2;

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number) => c >= ZERO && c <= NINE;

/** Thrown (and caught in record()) when the input is not the plain case. */
class Decline {}
const DECLINE = new Decline();

export class Transcoder {
  private readonly root: MessagePlan;
  private src: Uint8Array = new Uint8Array(0);
  private p = 0;
  private end = 0;
  private out: ByteSink = new ByteSink(0);
  private stamp = 0;
  /** Start of the last string's content or number token (string() and number() return the end). */
  private strStart = 0;

  constructor(schema: MessageSpec = buildSchema()) {
    this.root = plan(schema, new Map());
  }

  /**
   * Appends the record in src[start, end) to `out` and returns true, or leaves `out` as it was and returns
   * false when the record needs the strict path.
   */
  record(src: Uint8Array, start: number, end: number, out: ByteSink): boolean {
    const mark = out.pos;
    this.src = src;
    this.p = start;
    this.end = end;
    this.out = out;
    try {
      this.ws();
      if (this.peek() !== OPEN_BRACE) throw DECLINE;
      this.message(this.root);
      this.ws();
      if (this.p !== this.end) throw DECLINE;
      return true;
    } catch (e) {
      if (e !== DECLINE) throw e;
      out.pos = mark;
      return false;
    }
  }

  private peek(): number {
    return this.p < this.end ? this.src[this.p]! : -1;
  }

  private ws(): void {
    while (this.p < this.end && isWs(this.src[this.p]!)) this.p++;
  }

  private expect(c: number): void {
    this.ws();
    if (this.peek() !== c) throw DECLINE;
    this.p++;
  }

  /** At '{': the members of one message. */
  private message(m: MessagePlan): void {
    this.p++;
    this.ws();
    if (this.peek() === CLOSE_BRACE) {
      this.p++;
      return;
    }
    // Duplicate keys are found by stamping each field with this object's number; a message nested in
    // itself (none is, today) gets a private array instead, so the outer object's stamps survive.
    const stamp = ++this.stamp;
    const seen = m.active > 0 ? new Uint32Array(m.count) : m.seen;
    m.active++;
    try {
      for (;;) {
        this.ws();
        const f = this.field(m);
        if (seen[f.index] === stamp) throw DECLINE;
        seen[f.index] = stamp;
        this.expect(COLON);
        this.ws();
        if (this.literal('null')) {
          // proto3 JSON: null means not set.
        } else if (f.repeated) {
          if (this.peek() !== OPEN_BRACKET) throw DECLINE;
          this.p++;
          this.ws();
          if (this.peek() === CLOSE_BRACKET) this.p++;
          else {
            for (;;) {
              this.ws();
              this.single(f);
              this.ws();
              const c = this.peek();
              this.p++;
              if (c === CLOSE_BRACKET) break;
              if (c !== COMMA) throw DECLINE;
            }
          }
        } else {
          this.single(f);
        }
        this.ws();
        const c = this.peek();
        this.p++;
        if (c === CLOSE_BRACE) return;
        if (c !== COMMA) throw DECLINE;
      }
    } finally {
      m.active--;
    }
  }

  /** At '"': the key of a member, as the field it names (declines unknown keys). */
  private field(m: MessagePlan): FieldPlan {
    const e = this.string();
    const s = this.strStart;
    const src = this.src;
    const table = m.table;
    const mask = table.length - 1;
    for (let slot = hashBytes(src, s, e) & mask; table[slot] !== 0; slot = (slot + 1) & mask) {
      const f = m.fields[table[slot]! - 1]!;
      const name = f.name;
      if (name.length !== e - s) continue;
      let i = 0;
      while (i < name.length && name[i] === src[s + i]) i++;
      if (i === name.length) return f;
    }
    throw DECLINE;
  }

  /** One value of field f (not null). */
  private single(f: FieldPlan): void {
    const out = this.out;
    const c = this.peek();
    switch (f.kind) {
      case 'text': {
        if (c !== QUOTE) throw DECLINE;
        const e = this.string();
        const s = this.strStart;
        out.varint(f.key | WIRE_LEN);
        out.varint(e - s);
        out.append(this.src, s, e);
        return;
      }
      case 'decimal': {
        const e = c === QUOTE ? this.string() : this.number();
        const s = this.strStart;
        out.varint(f.key | WIRE_LEN);
        out.varint(e - s);
        out.append(this.src, s, e);
        return;
      }
      case 'bool': {
        const v = this.literal('true') ? 1 : this.literal('false') ? 0 : -1;
        if (v < 0) throw DECLINE;
        out.varint(f.key | WIRE_VARINT);
        out.varint(v);
        return;
      }
      case 'int32': {
        const e = this.number();
        const s = this.strStart;
        let text = '';
        for (let i = s; i < e; i++) text += String.fromCharCode(this.src[i]!);
        if (!/^-?(?:0|[1-9][0-9]{0,9})$/.test(text)) throw DECLINE;
        const n = Number(text);
        if (n < -2147483648 || n > 2147483647) throw DECLINE;
        out.varint(f.key | WIRE_VARINT);
        if (n >= 0) out.varint(n);
        else this.negativeVarint(n);
        return;
      }
      case 'message': {
        if (c !== OPEN_BRACE) throw DECLINE;
        out.varint(f.key | WIRE_LEN);
        // One byte reserved for the length; a longer length shifts the content up when it is known.
        out.ensure(1);
        const lenAt = out.pos++;
        this.message(f.sub!);
        const len = out.pos - lenAt - 1;
        if (len < 128) {
          out.buf[lenAt] = len;
          return;
        }
        const size = len < 1 << 14 ? 2 : len < 1 << 21 ? 3 : len < 1 << 28 ? 4 : 5;
        out.ensure(size - 1);
        out.buf.copyWithin(lenAt + size, lenAt + 1, out.pos);
        out.pos += size - 1;
        let v = len;
        for (let i = 0; i < size; i++) {
          out.buf[lenAt + i] = (v & 127) | (i < size - 1 ? 128 : 0);
          v = Math.floor(v / 128);
        }
        return;
      }
      case 'struct':
        throw DECLINE;
    }
  }

  /** int32 below zero: protobuf writes it sign-extended to 64 bits (ten bytes). */
  private negativeVarint(n: number): void {
    let lo = n >>> 0;
    let hi = 0xffffffff;
    const out = this.out;
    out.ensure(10);
    for (let i = 0; i < 9; i++) {
      out.buf[out.pos++] = (lo & 127) | 128;
      lo = (lo >>> 7) | ((hi & 127) << 25);
      hi >>>= 7;
    }
    out.buf[out.pos++] = lo & 1;
  }

  /** At '"': a plain string (printable ASCII, no escape); returns its content's end, its start in strStart. */
  private string(): number {
    if (this.peek() !== QUOTE) throw DECLINE;
    const s = ++this.p;
    const src = this.src;
    const end = this.end;
    let i = s;
    for (; i < end; i++) {
      const b = src[i]!;
      if (b === QUOTE) break;
      if (b === BACKSLASH || b < 0x20 || b >= 0x80) throw DECLINE;
    }
    if (i >= end) throw DECLINE;
    this.p = i + 1;
    this.strStart = s;
    return i;
  }

  /** A JSON number token (the grammar exactly), followed by a delimiter. */
  private number(): number {
    const src = this.src;
    const s = this.p;
    this.strStart = s;
    let i = s;
    if (src[i] === MINUS) i++;
    if (src[i] === ZERO) i++;
    else if (i < this.end && isDigit(src[i]!) ) while (i < this.end && isDigit(src[i]!)) i++;
    else throw DECLINE;
    if (src[i] === DOT) {
      i++;
      if (!(i < this.end && isDigit(src[i]!))) throw DECLINE;
      while (i < this.end && isDigit(src[i]!)) i++;
    }
    if (src[i] === LOWER_E || src[i] === UPPER_E) {
      i++;
      if (src[i] === PLUS || src[i] === MINUS) i++;
      if (!(i < this.end && isDigit(src[i]!))) throw DECLINE;
      while (i < this.end && isDigit(src[i]!)) i++;
    }
    if (i < this.end && !this.delimiter(src[i]!)) throw DECLINE;
    this.p = i;
    return i;
  }

  private delimiter(c: number): boolean {
    return isWs(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET;
  }

  /** Consumes `word` (true, false, null) if it is next and followed by a delimiter. */
  private literal(word: string): boolean {
    const src = this.src;
    const n = word.length;
    if (this.p + n > this.end) return false;
    for (let i = 0; i < n; i++) if (src[this.p + i] !== word.charCodeAt(i)) return false;
    if (this.p + n < this.end && !this.delimiter(src[this.p + n]!)) return false;
    this.p += n;
    return true;
  }
}
