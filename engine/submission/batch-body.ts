/**
 * A batch's records as they are kept and sent: one line per record, in the batch's order. A JSON record is the
 * line `{"submissionId":"…","record":{…}}`, a CSV record the line `id,cells…`. The stored body is exactly these
 * lines, each ended by a newline; each channel only adds its envelope (the HTTPS request's batch header, the CSV
 * file's header line), so a resend carries the same bytes for the same batch id.
 *
 * In memory a batch's lines are UTF-8 bytes in one growing buffer (LineBuffer), written as each record is built:
 * a pass holds tens of megabytes of records until it is stored, and as strings they outlived the young
 * generation and were copied by the garbage collector (a quarter of the intake's time in a profile). Also the bitmaps of answered and NACKed records
 * (bit i is record i's, numbered as PostgreSQL's get_bit numbers them) and the lane a trade travels in.
 */
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import { jsonString } from '../reports/json-writer.js';
import { csvField } from '../reports/csv.js';

/** One record's line, without its newline. */
export function recordLine(format: ReportFormat, submissionId: string, payload: string): string {
  return format === 'json' ? '{"submissionId":' + jsonString(submissionId) + ',"record":' + payload + '}' : csvField(submissionId) + ',' + payload;
}

/** Bytes of a LineBuffer's chunk: large enough that a batch of 10,000 records takes a few dozen. */
const CHUNK_BYTES = 1 << 20;

/**
 * A batch's lines as UTF-8 bytes, each ended by a newline, in chunks of a megabyte that are never copied as the
 * batch grows; the database write sends the chunks as they are (BinaryCopyEncoder.external).
 */
export class LineBuffer {
  private readonly sealed: Buffer[] = [];
  private current: Buffer | undefined;
  private used = 0;
  private total = 0;
  /** For line i: the chunk it is in, and where it ends there (after its newline). */
  private readonly chunkOf: number[] = [];
  private readonly endOf: number[] = [];

  static of(lines: readonly string[]): LineBuffer {
    const b = new LineBuffer();
    for (const l of lines) b.push(l);
    return b;
  }

  get count(): number {
    return this.endOf.length;
  }

  /** Bytes of all lines with their newlines. */
  get byteLength(): number {
    return this.total;
  }

  /** Appends one line (it must hold no newline of its own outside CSV quotes). NUL becomes U+FFFD: text cannot hold it. */
  push(line: string): void {
    const text = line.includes('\0') ? line.replaceAll('\0', '\uFFFD') : line;
    const max = text.length * 3 + 1;
    if (!this.current || this.used + max > this.current.length) {
      if (this.current) this.sealed.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, max));
      this.used = 0;
    }
    const written = this.current.write(text, this.used, 'utf8');
    this.current[this.used + written] = 10;
    this.used += written + 1;
    this.total += written + 1;
    this.chunkOf.push(this.sealed.length);
    this.endOf.push(this.used);
  }

  /** Line i, without its newline. */
  line(i: number): string {
    const chunk = this.chunkOf[i]!;
    const start = i > 0 && this.chunkOf[i - 1] === chunk ? this.endOf[i - 1]! : 0;
    return this.chunk(chunk).toString('utf8', start, this.endOf[i]! - 1);
  }

  /** Every line with its newline, as the chunks that hold them: the stored body. */
  parts(): Buffer[] {
    return this.current && this.used > 0 ? [...this.sealed, this.current.subarray(0, this.used)] : [...this.sealed];
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts(), this.total);
  }

  /** `head`, the lines with `separator` between them, `tail`: one buffer, copied line by line. */
  join(head: string, separator: string, tail: string): Buffer {
    const h = Buffer.from(head);
    const sep = Buffer.from(separator);
    const t = Buffer.from(tail);
    const n = this.count;
    const out = Buffer.allocUnsafe(h.length + t.length + this.total - n + Math.max(0, n - 1) * sep.length);
    let at = h.copy(out, 0);
    for (let i = 0; i < n; i++) {
      if (i > 0) at += sep.copy(out, at);
      const chunk = this.chunkOf[i]!;
      const start = i > 0 && this.chunkOf[i - 1] === chunk ? this.endOf[i - 1]! : 0;
      at += this.chunk(chunk).copy(out, at, start, this.endOf[i]! - 1);
    }
    at += t.copy(out, at);
    return out.subarray(0, at);
  }

  private chunk(i: number): Buffer {
    return i < this.sealed.length ? this.sealed[i]! : this.current!;
  }
}

/** The HTTPS request body: the batch header and the JSON lines as one array (a JSON line holds no raw newline). */
export function batchRequestBody(batchId: string, regime: ReportRegime, submitter: string | undefined, lines: LineBuffer): Buffer {
  let head = '{"batchId":' + jsonString(batchId) + ',"regime":' + jsonString(regime);
  if (submitter !== undefined) head += ',"submitter":' + jsonString(submitter);
  return lines.join(head + ',"records":[', ',', ']}');
}

/**
 * The lines of a body. A CSV cell in quotes may hold a newline, so lines are split outside quotes only; JSON
 * lines never hold a raw newline.
 */
export function bodyLines(format: ReportFormat, body: string): string[] {
  if (format === 'json') return body.split('\n').filter((l) => l.length > 0);
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) {
      if (i > start) out.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (start < body.length) out.push(body.slice(start));
  return out;
}

/** The record of one line: the JSON record's text, or the CSV row without its id cell. */
export function recordOfLine(format: ReportFormat, submissionId: string, line: string): string {
  const prefix = format === 'json' ? '{"submissionId":' + jsonString(submissionId) + ',"record":' : csvField(submissionId) + ',';
  if (!line.startsWith(prefix)) throw new Error(`line does not hold submission ${submissionId}`);
  return format === 'json' ? line.slice(prefix.length, -1) : line.slice(prefix.length);
}

export const bitmapBytes = (records: number): number => (records + 7) >> 3;

export function getBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

export function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
}

/** FNV-1a of the trade key: which of `lanes` lanes a trade's submissions travel in. */
export function laneOf(tradeKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < tradeKey.length; i++) {
    h ^= tradeKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}
