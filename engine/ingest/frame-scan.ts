import { Hello } from '../../proto/gen/fep.js';
import type { StoredEvent, StoredFinding } from '../store/stored-event.js';
import { wireText } from '../record/decode-report.js';
import { NO_FINDINGS } from '../validation/check-report.js';

/**
 * Reads client frames at the wire level instead of decoding them into objects: an event's report stays
 * the exact bytes the FEP sent (that is what the event log stores), and only the handful of fields the
 * router and the lifecycle rules need are read from it. This is the hottest code in the engine, so it walks
 * the bytes with an inlined varint reader rather than @bufbuild/protobuf's BinaryReader (whose tag()
 * allocates a tuple per field: measured 3x slower on corpus reports); Hello, rare and small, goes through
 * ts-proto.
 *
 * Field numbers come from proto/fep.proto and proto/swap_report.proto (where a top-level field's number
 * is its CFTC data element number); test/unit/frame-scan.test.ts checks them against the generated code.
 */
const FRAME_HELLO = 1;
const FRAME_BATCH = 3;
const BATCH_EVENTS = 1;
const EVENT_SEQ = 1;
const EVENT_REPORT = 2;
const EVENT_SENT_AT = 3;
export const REPORT_FIELD = {
  counterparty1: 13,
  actionType: 26,
  eventTimestamp: 30,
  executionTimestamp: 96,
  uniqueSwapIdentifier: 102,
  uniqueTransactionIdentifier: 103,
} as const;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * One event of a Batch. The same object travels the whole way from socket to COPY: the hub sets its
 * source and receipt when admitting it, the trade actor its status, version and findings, and the
 * store writes it. Every field exists from the start, so the object never changes shape, and no
 * per-stage copies are made (at 50,000 events/s each allocation shows up in the GC profile).
 */
export interface ScannedEvent extends StoredEvent {
  sentAtUs: number;
  /** A view into the frame the event came in. */
  report: Buffer;
  /** Read here for the lifecycle rules, which then need nothing else of the report (engine/judge.ts). */
  executionTimestamp: string | undefined;
  /**
   * The rulebook's stateless findings when a validation thread checked the report before routing
   * (engine/validation/); undefined until then, and when no thread did: the judge then checks it itself.
   */
  stateless: readonly StoredFinding[] | undefined;
}

export type ClientFrame =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'batch'; events: ScannedEvent[] }
  | { kind: 'other'; field: number };

export class BadFrameError extends Error {}

/**
 * A forward-only reader over one protobuf message's bytes (also used by the console's trade projector, which
 * reads a few fields of stored reports). Malformed input throws BadFrameError.
 */
export class WireCursor {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  varint(): number {
    // Up to 2^53 exactly; seq and timestamps stay far below. Longer varints are rejected, not wrapped.
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new BadFrameError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new BadFrameError('varint longer than 8 bytes');
  }

  /** Where the field found by nextLenField starts (it ends at pos). */
  fieldStart = 0;

  /**
   * Moves to the next length-delimited field (strings, bytes, sub-messages), skipping the others, and returns its
   * field number, its bytes being fieldStart..pos; 0 at the end of the message (field numbers start at 1).
   */
  nextLenField(): number {
    while (this.pos < this.end) {
      const tag = this.varint();
      const wireType = tag & 7;
      const field = Math.floor(tag / 8);
      if (wireType === LEN) {
        this.fieldStart = this.lengthDelimited();
        return field;
      }
      this.skip(wireType, field);
    }
    return 0;
  }

  /** Length of a LEN field; returns its start, leaving pos at its end. */
  lengthDelimited(): number {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new BadFrameError(`field length ${len} runs past the end of its message`);
    this.pos = start + len;
    return start;
  }

  skip(wireType: number, field: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        break;
      case I64:
        this.advance(8);
        break;
      case LEN:
        this.lengthDelimited();
        break;
      case I32:
        this.advance(4);
        break;
      default:
        throw new BadFrameError(`field ${field} has unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new BadFrameError('truncated fixed-width field');
    this.pos += n;
  }
}

/** Scans one FepFrame sent by a client. Throws BadFrameError naming what is wrong. */
export function scanClientFrame(frame: Buffer): ClientFrame {
  const c = new WireCursor(frame, 0, frame.length);
  let result: ClientFrame | undefined;
  try {
    while (c.pos < c.end) {
      const tag = c.varint();
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if ((field === FRAME_HELLO || field === FRAME_BATCH) && wireType === LEN) {
        const start = c.lengthDelimited();
        // proto3 oneof: the last member on the wire wins.
        result = field === FRAME_HELLO
          ? { kind: 'hello', hello: Hello.decode(frame.subarray(start, c.pos)) }
          : { kind: 'batch', events: scanBatch(frame, start, c.pos) };
      } else {
        c.skip(wireType, field);
        if (field >= 1 && field <= 6) result = { kind: 'other', field };
      }
    }
  } catch (err) {
    throw new BadFrameError(`not a valid FepFrame: ${(err as Error).message}`);
  }
  if (!result) throw new BadFrameError('not a valid FepFrame: it carries neither hello nor batch');
  return result;
}

function scanBatch(buf: Buffer, start: number, end: number): ScannedEvent[] {
  const c = new WireCursor(buf, start, end);
  const events: ScannedEvent[] = [];
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag === ((BATCH_EVENTS << 3) | LEN)) {
      const s = c.lengthDelimited();
      events.push(scanEvent(buf, s, c.pos, events.length));
    } else c.skip(tag & 7, Math.floor(tag / 8));
  }
  return events;
}

function scanEvent(buf: Buffer, start: number, end: number, index: number): ScannedEvent {
  const c = new WireCursor(buf, start, end);
  let seq = 0;
  let sentAtUs = 0;
  let reportStart = -1;
  let reportEnd = -1;
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag === ((EVENT_SEQ << 3) | VARINT)) seq = c.varint();
    else if (tag === ((EVENT_REPORT << 3) | LEN)) {
      reportStart = c.lengthDelimited();
      reportEnd = c.pos;
    } else if (tag === ((EVENT_SENT_AT << 3) | VARINT)) sentAtUs = c.varint();
    else c.skip(tag & 7, Math.floor(tag / 8));
  }
  if (seq === 0) throw new BadFrameError(`batch event #${index} has no seq (seq starts at 1)`);
  if (reportStart < 0) throw new BadFrameError(`batch event #${index} (seq ${seq}) has no report`);
  const event: ScannedEvent = {
    seq, sentAtUs, report: buf.subarray(reportStart, reportEnd),
    counterparty1: undefined, actionType: undefined, eventTimestamp: undefined, executionTimestamp: undefined, tradeKey: undefined, stateless: undefined,
    sourceId: '', receivedAtMs: 0, receipt: undefined,
    status: 'accepted', version: undefined, lifecycle: undefined, findings: NO_FINDINGS,
  };
  try {
    scanReportKeys(buf, reportStart, reportEnd, event);
  } catch (err) {
    throw new BadFrameError(`report of event seq ${seq} is not a valid SwapReport: ${(err as Error).message}`);
  }
  return event;
}

/**
 * A routing field's text. These fields become text columns of the event log and keys of the trade lookup, and
 * PostgreSQL text holds no NUL: an event carrying one could be neither stored nor judged, and would hold its
 * counterparty's events (and their acks) back for ever. So the frame is refused, naming the field.
 */
function keyText(buf: Buffer, start: number, end: number, name: string): string {
  for (let i = start; i < end; i++) if (buf[i] === 0) throw new Error(`${name} holds a NUL byte, which no report text may contain`);
  return wireText(buf, start, end);
}

function scanReportKeys(buf: Buffer, start: number, end: number, into: ScannedEvent): void {
  const c = new WireCursor(buf, start, end);
  let usi: string | undefined;
  let uti: string | undefined;
  for (let field = c.nextLenField(); field !== 0; field = c.nextLenField()) {
    switch (field) {
      case REPORT_FIELD.counterparty1: into.counterparty1 = keyText(buf, c.fieldStart, c.pos, 'counterparty1'); break;
      case REPORT_FIELD.actionType: into.actionType = keyText(buf, c.fieldStart, c.pos, 'actionType'); break;
      case REPORT_FIELD.eventTimestamp: into.eventTimestamp = keyText(buf, c.fieldStart, c.pos, 'eventTimestamp'); break;
      case REPORT_FIELD.executionTimestamp: into.executionTimestamp = keyText(buf, c.fieldStart, c.pos, 'executionTimestamp'); break;
      case REPORT_FIELD.uniqueSwapIdentifier: usi = keyText(buf, c.fieldStart, c.pos, 'uniqueSwapIdentifier'); break;
      case REPORT_FIELD.uniqueTransactionIdentifier: uti = keyText(buf, c.fieldStart, c.pos, 'uniqueTransactionIdentifier'); break;
      default: break;
    }
  }
  into.tradeKey = uti ? uti : usi ? 'USI:' + usi : undefined;
}
