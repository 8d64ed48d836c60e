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
