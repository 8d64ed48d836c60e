import { BinaryReader } from '@bufbuild/protobuf/wire';
import { SwapReport } from '../../proto/gen/swap_report.js';

/**
 * Short ASCII strings without a temporary array each: the protobuf runtime's ASCII fast path builds a
 * `new Array(len)` per string to hand to String.fromCharCode, and a report has about forty strings, so
 * those arrays were most of the engine's garbage per event (about 7 of 11 KB). One array per length is
 * reused instead (apply copies the arguments, so reuse is safe). Returns undefined for strings longer
 * than 32 bytes or with a non-ASCII byte: the caller then decodes UTF-8 the usual way.
 */
const CODES: number[][] = Array.from({ length: 33 }, (_, n) => new Array<number>(n).fill(0));

export function asciiString(buf: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  if (len > 32 || len < 0) return undefined;
  const codes = CODES[len]!;
  for (let i = 0; i < len; i++) {
    const b = buf[start + i]!;
    if (b > 0x7f) return undefined;
    codes[i] = b;
  }
  return String.fromCharCode.apply(String, codes);
}

/** A string field: short ASCII without a native call (the usual case), anything else as UTF-8. */
export function wireText(buf: Buffer, start: number, end: number): string {
  return asciiString(buf, start, end) ?? buf.toString('utf8', start, end);
}

/**
 * Short texts repeat from record to record (currencies, codes, the counterparties' LEIs): a direct-mapped cache (one
 * per thread) of the strings last made for each byte hash hands back the same string instead of a new one. The
 * scoring thread's feature reader uses it: there it replaced a native call and a new string per text, and the
 * garbage collector had been 18% of that thread in a replay profile. The engine's full report decode does not:
 * there it cost more than the asciiString it saved (string reads 0.9 to 1.7 s of a 200,000-line replay's main thread).
 * Longer texts (trade identifiers, unique per trade) are not cached.
 */
const RECENT_MAX_BYTES = 24;
const RECENT_SLOTS = 4096;
const recent: (string | undefined)[] = new Array(RECENT_SLOTS).fill(undefined);

/** The cached string for the ASCII bytes [s, e), made and cached when new; undefined for long or non-ASCII texts. */
export function recentAscii(b: Uint8Array, s: number, e: number): string | undefined {
  const n = e - s;
  if (n > RECENT_MAX_BYTES) return undefined;
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c > 0x7f) return undefined;
    h = Math.imul(h ^ c, 16777619);
  }
  const slot = (h >>> 0) & (RECENT_SLOTS - 1);
  const cached = recent[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = cached.charCodeAt(i) === b[s + i];
    if (same) return cached;
  }
  const made = asciiString(b, s, e)!;
  recent[slot] = made;
  return made;
}

/** A BinaryReader whose string() takes the array-free ASCII path; everything else is the runtime's own. */
class ReportReader extends BinaryReader {
  /** ts-proto's nesting guard sets this on the reader; declared here so every reader has one shape. */
  __tsProtoDecodeDepth = 0;
  private readonly source: Uint8Array;

  constructor(buf: Uint8Array) {
    super(buf);
    this.source = buf;
  }

  override string(strict?: boolean): string {
    const at = this.pos;
    const len = this.uint32();
    const start = this.pos;
    const end = start + len;
    if (end <= this.len) {
      const s = asciiString(this.source, start, end);
      if (s !== undefined) {
        this.pos = end;
        return s;
      }
    }
    // Long, non-ASCII or truncated: the runtime's own path (same errors, same U+FFFD replacement).
    this.pos = at;
    return super.string(strict);
  }
}

/** SwapReport.decode (ts-proto), with the faster string reads: same result, same errors. */
export function decodeReport(bytes: Uint8Array): SwapReport {
  return SwapReport.decode(new ReportReader(bytes));
}
