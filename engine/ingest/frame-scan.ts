import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Hello } from '../../proto/gen/fep.js';

/**
 * Reads client frames at the wire level instead of decoding them into objects: an event's report stays
 * the exact bytes the FEP sent (that is what the event log stores), and only the handful of fields the
 * router needs are read from it. A full decode of every report here would cost more than the rest of
 * the ingest path together; the rulebook decodes the record itself where it needs all of it.
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

export interface ScannedEvent {
  seq: number;
  sentAtUs: number;
  /** The SwapReport bytes as sent (a view into the frame). */
  report: Uint8Array;
  counterparty1: string | undefined;
  actionType: string | undefined;
  eventTimestamp: string | undefined;
  tradeKey: string | undefined;
}

export type ClientFrame =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'batch'; events: ScannedEvent[] }
  | { kind: 'other'; field: number };

export class BadFrameError extends Error {}

/** Scans one FepFrame sent by a client. Throws BadFrameError naming what is wrong. */
export function scanClientFrame(bytes: Uint8Array): ClientFrame {
  try {
    const reader = new BinaryReader(bytes);
    let result: ClientFrame | undefined;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if ((field === FRAME_HELLO || field === FRAME_BATCH) && wireType === WireType.LengthDelimited) {
        const body = reader.bytes();
        // proto3 oneof: the last member on the wire wins.
        result = field === FRAME_HELLO ? { kind: 'hello', hello: Hello.decode(body) } : { kind: 'batch', events: scanBatch(body) };
      } else if (field >= 1 && field <= 6) {
        reader.skip(wireType, field);
        result = { kind: 'other', field };
      } else {
        reader.skip(wireType, field);
      }
    }
    if (!result) throw new BadFrameError('frame carries none of hello, batch');
    return result;
  } catch (err) {
    if (err instanceof BadFrameError) throw err;
    throw new BadFrameError(`not a valid FepFrame: ${(err as Error).message}`);
  }
}

function scanBatch(bytes: Uint8Array): ScannedEvent[] {
  const reader = new BinaryReader(bytes);
  const events: ScannedEvent[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === BATCH_EVENTS && wireType === WireType.LengthDelimited) events.push(scanEvent(reader.bytes(), events.length));
    else reader.skip(wireType, field);
  }
  return events;
}

function scanEvent(bytes: Uint8Array, index: number): ScannedEvent {
  const reader = new BinaryReader(bytes);
  let seq = 0;
  let sentAtUs = 0;
  let report: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === EVENT_SEQ && wireType === WireType.Varint) seq = toSafeNumber(reader.uint64(), 'seq');
    else if (field === EVENT_REPORT && wireType === WireType.LengthDelimited) report = reader.bytes();
    else if (field === EVENT_SENT_AT && wireType === WireType.Varint) sentAtUs = toSafeNumber(reader.int64(), 'sent_at');
    else reader.skip(wireType, field);
  }
  if (seq === 0) throw new BadFrameError(`batch event #${index} has no seq (seq starts at 1)`);
  if (!report) throw new BadFrameError(`batch event #${index} (seq ${seq}) has no report`);
  return { seq, sentAtUs, report, ...scanReportKeys(report, seq) };
}

function scanReportKeys(bytes: Uint8Array, seq: number) {
  const reader = new BinaryReader(bytes);
  let counterparty1: string | undefined;
  let actionType: string | undefined;
  let eventTimestamp: string | undefined;
  let usi: string | undefined;
  let uti: string | undefined;
  try {
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, field);
        continue;
      }
      switch (field) {
        case REPORT_FIELD.counterparty1: counterparty1 = reader.string(); break;
        case REPORT_FIELD.actionType: actionType = reader.string(); break;
        case REPORT_FIELD.eventTimestamp: eventTimestamp = reader.string(); break;
        case REPORT_FIELD.uniqueSwapIdentifier: usi = reader.string(); break;
        case REPORT_FIELD.uniqueTransactionIdentifier: uti = reader.string(); break;
        default: reader.skip(wireType, field);
      }
    }
  } catch (err) {
    throw new BadFrameError(`report of event seq ${seq} is not a valid SwapReport: ${(err as Error).message}`);
  }
  const tradeKey = uti ? uti : usi ? 'USI:' + usi : undefined;
  return { counterparty1, actionType, eventTimestamp, tradeKey };
}

function toSafeNumber(v: bigint | string, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadFrameError(`${name} ${String(v)} is out of range`);
  return n;
}
