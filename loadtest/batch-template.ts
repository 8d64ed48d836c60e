import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { REPORT_FIELD } from '../engine/ingest/frame-scan.js';

/**
 * Pre-encoded Batch frames for load drivers: the frame bytes are laid out once, and each send only
 * stamps the events' seqs and UTI counters into fixed positions (a copy and a few byte writes instead
 * of protobuf encoding per event), so the driver is not the bottleneck it measures.
 *
 * Fixed positions need fixed widths: each seq is an 8-byte varint padded with continuation bytes
 * (protobuf decoders accept non-minimal varints) and each UTI is counterparty 1 (20 characters) plus
 * 12 upper-case hexadecimal digits of the event's number (a UTI is upper-case alphanumeric).
 */
const SEQ_WIDTH = 8;
const UTI_COUNTER_WIDTH = 12;

export class BatchTemplate {
  private readonly template: Buffer;
  private readonly seqAt: number[] = [];
  private readonly counterAt: number[] = [];

  /** `bases`: report bytes without counterparty 1 and UTI; `counterparties`: 20-character LEIs. */
  constructor(bases: readonly Uint8Array[], readonly size: number, counterparties: readonly string[]) {
    const events: Uint8Array[] = [];
    const layout: { seq: number; counter: number }[] = [];
    for (let i = 0; i < size; i++) {
      const cp = counterparties[i % counterparties.length]!;
      if (cp.length !== 20) throw new Error(`counterparty ${cp} is not 20 characters`);
      const tail = new BinaryWriter()
        .uint32((REPORT_FIELD.counterparty1 << 3) | 2).string(cp)
        .uint32((REPORT_FIELD.uniqueTransactionIdentifier << 3) | 2).string(cp + '0'.repeat(UTI_COUNTER_WIDTH))
        .finish();
      const base = bases[i % bases.length]!;
      const report = Buffer.concat([base, tail]);
      // FepEvent: seq (field 1, padded varint), report (field 2).
      const head = Buffer.alloc(1 + SEQ_WIDTH);
      head[0] = (1 << 3) | 0;
      for (let k = 1; k < SEQ_WIDTH; k++) head[k] = 0x80;
      const reportTag = new BinaryWriter().uint32((2 << 3) | 2).uint32(report.length).finish();
      const event = Buffer.concat([head, reportTag, report]);
      const eventTag = new BinaryWriter().uint32((1 << 3) | 2).uint32(event.length).finish();
      events.push(eventTag, event);
      layout.push({ seq: eventTag.length + 1, counter: eventTag.length + head.length + reportTag.length + report.length - UTI_COUNTER_WIDTH });
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
      at += events[2 * i]!.length + events[2 * i + 1]!.length;
    }
  }

  /** A length-prefixed Batch frame: events get seqs firstSeq.. and UTI counters firstCounter.. */
  stamp(firstSeq: number, firstCounter: number): Buffer {
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
