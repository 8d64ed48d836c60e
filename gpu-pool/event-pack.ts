/**
 * Events cross from the engine's main thread to the scoring thread packed into one ArrayBuffer per submit()
 * call, which is transferred, not cloned: structured-cloning an array of event objects costs microseconds per
 * event, packing them is a memcpy of each report plus a few numbers.
 *
 * Layout (little-endian): u32 count, then per event:
 *   f64 seq, f64 receivedAtMs, i32 version (-1 = none), u16 sourceId bytes, u16 tradeKey bytes (0xffff =
 *   none), u32 report bytes, then the UTF-8 sourceId, the UTF-8 tradeKey and the report.
 */
import { wireText } from '../engine/record/decode-report.js';
import type { ScoringEvent } from './pipeline.js';

const FIXED = 8 + 8 + 4 + 2 + 2 + 4;
const NONE = 0xffff;
const encoder = new TextEncoder();

/** Source ids repeat: their encodings are cached (bounded, in case ids are many). */
const encoded = new Map<string, Uint8Array>();
function utf8(s: string): Uint8Array {
  let b = encoded.get(s);
  if (!b) {
    b = encoder.encode(s);
    if (encoded.size < 10_000) encoded.set(s, b);
  }
  return b;
}

export function packEvents(events: readonly ScoringEvent[]): ArrayBuffer {
  // One pass for an upper bound (a UTF-16 code unit is at most 3 UTF-8 bytes), one to write: trade keys are
  // encoded straight into the buffer, the slack at the end is never read.
  let size = 4;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    size += FIXED + utf8(e.sourceId).length + (e.tradeKey === undefined ? 0 : e.tradeKey.length * 3) + e.report.length;
  }
  const buf = new ArrayBuffer(size);
  const view = new DataView(buf);
  const bytes = Buffer.from(buf);
  view.setUint32(0, events.length, true);
  let o = 4;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const source = utf8(e.sourceId);
    if (source.length >= NONE || (e.tradeKey !== undefined && e.tradeKey.length * 3 >= NONE)) throw new Error(`event ${e.sourceId}/${e.seq}: identifier too long`);
    view.setFloat64(o, e.seq, true);
    view.setFloat64(o + 8, e.receivedAtMs, true);
    view.setInt32(o + 16, e.version ?? -1, true);
    view.setUint16(o + 20, source.length, true);
    view.setUint32(o + 24, e.report.length, true);
    const fixed = o;
    o += FIXED;
    bytes.set(source, o);
    o += source.length;
    if (e.tradeKey !== undefined) {
      const n = bytes.write(e.tradeKey, o, 'utf8');
      view.setUint16(fixed + 22, n, true);
      o += n;
    } else view.setUint16(fixed + 22, NONE, true);
    bytes.set(e.report, o);
    o += e.report.length;
  }
  return buf;
}

/** The events of a packed buffer; each report is a Buffer view into the buffer (no copy). */
export function unpackEvents(buf: ArrayBuffer): ScoringEvent[] {
  const view = new DataView(buf);
  // Buffer views: the feature reader decodes short texts through Buffer's own toString, without a view of its own.
  const bytes = Buffer.from(buf);
  const n = view.getUint32(0, true);
  const out: ScoringEvent[] = new Array(n);
  // Events come in runs from the same source: its id is decoded once per run.
  let sourceId = '';
  let sourceAt = -1;
  let sourceLen = -1;
  let o = 4;
  for (let i = 0; i < n; i++) {
    const seq = view.getFloat64(o, true);
    const receivedAtMs = view.getFloat64(o + 8, true);
    const version = view.getInt32(o + 16, true);
    const len = view.getUint16(o + 20, true);
    const keyLen = view.getUint16(o + 22, true);
    const reportLen = view.getUint32(o + 24, true);
    o += FIXED;
    if (len !== sourceLen || !sameBytes(bytes, sourceAt, o, len)) {
      sourceId = wireText(bytes, o, o + len);
      sourceAt = o;
      sourceLen = len;
    }
    o += len;
    let tradeKey: string | undefined;
    if (keyLen !== NONE) {
      tradeKey = wireText(bytes, o, o + keyLen);
      o += keyLen;
    }
    const report = bytes.subarray(o, o + reportLen);
    o += reportLen;
    out[i] = { sourceId, seq, report, receivedAtMs, tradeKey, version: version < 0 ? undefined : version };
  }
  return out;
}

function sameBytes(bytes: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}
