import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { REPORT_FIELD } from '../engine/ingest/frame-scan.js';

/**
 * Pre-encoded Batch frames for load drivers: the frame bytes are laid out once, and each send only
 * stamps the events' seqs and UTI counters into fixed positions (a copy and a few byte writes instead
 * of protobuf encoding per event), so the driver is not the bottleneck it measures.
 *
 * Fixed positions need fixed widths: each seq is an 8-byte varint padded with continuation bytes
 * (protobuf decoders accept non-minimal varints) and each UTI is counterparty 1 (20 characters) plus
 * 12 upper-case hexadecimal digits of the event's number (a UTI is upper-case alphanumeric). Timestamps
 * given as `times` are 'YYYY-MM-DDTHH:MM:SSZ' (20 characters), moved by the shift `stamp` is given: the
 * template is rewritten only when the shift changes (once per cycle through the records, see flow-frames.ts).
 */
const SEQ_WIDTH = 8;
const UTI_COUNTER_WIDTH = 12;
const TIME_WIDTH = 20;

/** A timestamp field of a record the template writes itself: the SwapReport field number and its time in whole seconds. */
export interface TimeSlot {
  field: number;
  ms: number;
}

export class BatchTemplate {
  private readonly template: Buffer;
  private readonly seqAt: number[] = [];
  private readonly counterAt: number[] = [];
  /** Where each stamped timestamp's text starts, and its time before any shift. */
  private readonly timeAt: { at: number; ms: number }[] = [];
  private shiftMs = 0;

  /**
   * `bases`: report bytes without counterparty 1, UTI and the fields in `times`; `counterparties`: 20-character
   * LEIs; `times[i]`: the timestamps of base i that the template writes (none when absent).
   */
  constructor(bases: readonly Uint8Array[], readonly size: number, counterparties: readonly string[], times: readonly (readonly TimeSlot[])[] = []) {
    const events: Uint8Array[] = [];
    const layout: { seq: number; counter: number; times: { at: number; ms: number }[] }[] = [];
    for (let i = 0; i < size; i++) {
      const cp = counterparties[i % counterparties.length]!;
      if (cp.length !== 20) throw new Error(`counterparty ${cp} is not 20 characters`);
      const base = bases[i % bases.length]!;
      // The record's timestamps, then counterparty 1 and the UTI (last, so the counter ends the report).
      const parts: Uint8Array[] = [base];
      let length = base.length;
      const timeAt: { at: number; ms: number }[] = [];
      for (const t of times[i % bases.length] ?? []) {
        const part = new BinaryWriter().uint32((t.field << 3) | 2).string(isoSeconds(t.ms)).finish();
        parts.push(part);
        length += part.length;
        timeAt.push({ at: length - TIME_WIDTH, ms: t.ms });
      }
      parts.push(new BinaryWriter()
        .uint32((REPORT_FIELD.counterparty1 << 3) | 2).string(cp)
        .uint32((REPORT_FIELD.uniqueTransactionIdentifier << 3) | 2).string(cp + '0'.repeat(UTI_COUNTER_WIDTH))
        .finish());
      const report = Buffer.concat(parts);
      // FepEvent: seq (field 1, padded varint), report (field 2).
      const head = Buffer.alloc(1 + SEQ_WIDTH);
      head[0] = (1 << 3) | 0;
      for (let k = 1; k < SEQ_WIDTH; k++) head[k] = 0x80;
      const reportTag = new BinaryWriter().uint32((2 << 3) | 2).uint32(report.length).finish();
      const event = Buffer.concat([head, reportTag, report]);
      const eventTag = new BinaryWriter().uint32((1 << 3) | 2).uint32(event.length).finish();
      events.push(eventTag, event);
      const reportAt = eventTag.length + head.length + reportTag.length;
      layout.push({ seq: eventTag.length + 1, counter: reportAt + report.length - UTI_COUNTER_WIDTH, times: timeAt.map((t) => ({ at: reportAt + t.at, ms: t.ms })) });
    }
    const body = Buffer.concat(events);
    const frameHead = new BinaryWriter().uint32((3 << 3) | 2).uint32(body.length).finish();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(frameHead.length + body.length);
    this.template = Buffer.concat([prefix, frameHead, body]);
    let at = 4 + frameHead.length;
    for (let i = 0; i < size; i++) {
      this.seqAt.push(at + layout[i]!.seq);
      this.counterAt.push(at + layout[i]!.counter);
      for (const t of layout[i]!.times) this.timeAt.push({ at: at + t.at, ms: t.ms });
      at += events[2 * i]!.length + events[2 * i + 1]!.length;
    }
  }

  /** A length-prefixed Batch frame: events get seqs firstSeq.., UTI counters firstCounter.., their timestamps moved by shiftMs. */
  stamp(firstSeq: number, firstCounter: number, shiftMs = 0): Buffer {
    if (shiftMs !== this.shiftMs) {
      for (const t of this.timeAt) this.template.write(isoSeconds(t.ms + shiftMs), t.at, 'latin1');
      this.shiftMs = shiftMs;
    }
    const out = Buffer.from(this.template);
    for (let i = 0; i < this.size; i++) {
      writePaddedVarint(out, this.seqAt[i]!, firstSeq + i);
      out.write((firstCounter + i).toString(16).toUpperCase().padStart(UTI_COUNTER_WIDTH, '0'), this.counterAt[i]!, 'latin1');
    }
    return out;
  }
}

function writePaddedVarint(buf: Buffer, at: number, value: number): void {
  let v = value;
  for (let k = 0; k < SEQ_WIDTH; k++) {
    const last = k === SEQ_WIDTH - 1;
    buf[at + k] = (v % 128) | (last ? 0 : 0x80);
    v = Math.floor(v / 128);
  }
}

/** 'YYYY-MM-DDTHH:MM:SSZ' of a time in whole seconds (20 characters for years 0000-9999). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}
