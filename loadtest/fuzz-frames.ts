/**
 * A seeded mutator of FEP client frames, for the failure suite (bench/chaos.bench.ts, test/integration/chaos-short.test.ts).
 * Each case starts from a valid Hello or Batch (or a frame a client may not send) and breaks it one way: bit flips,
 * byte stomps, truncations, garbage tails, wrong wire types, over-long varints, lying length prefixes, and
 * valid-looking frames with bad contents (empty or unknown source, seq 0 / gaps / decreases / 2^63, a report that is
 * not a SwapReport, a report field of the wrong type...). Same seed, same cases: a failure names its seed and case number.
 *
 * What the engine must do with each (proto/fep.proto): an Error frame with a code for every frame it could read whole,
 * then close; only transport-level garbage (a length prefix announcing bytes that never come) may end in a plain close.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { lengthPrefixed } from '../engine/ingest/length-prefixed.js';
import { encodeBatch, encodeHello } from './fep-client.js';
import { Random } from './generator/random.js';

/** How a case was made (counted per kind in the results). */
export const FUZZ_KINDS = [
  'bit-flip', 'byte-stomp', 'truncate', 'garbage-tail', 'splice', 'random-bytes', 'empty',
  'wrong-wire-type', 'huge-varint', 'bad-hello', 'bad-batch', 'bad-report', 'client-forbidden-kind',
  'length-short', 'length-long', 'length-huge', 'split-writes',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzCase {
  n: number;
  kind: FuzzKind;
  /** The FepFrame bytes as one message (a gRPC message; over TCP the bytes after the length prefix). */
  body: Uint8Array;
  /** TCP: the writes to make, length prefixes included (a lying prefix for the length-* kinds, several for split-writes). */
  writes: Buffer[];
  /**
   * Whether the engine can read the frame whole and so must answer it: false where the length prefix announces more
   * bytes than ever come (the engine can only wait, and the client ends the connection instead).
   */
  answerable: boolean;
  /** Meant for a connection that said Hello and got Welcome (its batches are judged against the source's seqs). */
  afterHello: boolean;
}

export interface FuzzContext {
  /** The source a post-Hello case's connection authenticated as, and its token (for valid-looking Hellos). */
  sourceId: string;
  token: string;
  /** The next seq the source expects (Welcome.last_acked_seq + 1). */
  nextSeq: number;
}

export interface FuzzOptions {
  seed: number;
  /** Valid encoded SwapReports to build batches from. */
  reports: readonly Uint8Array[];
  /** The engine's frame limit (SWAPREP_MAX_FRAME_BYTES): length-huge cases announce more. */
  maxFrameBytes: number;
  /** 'grpc': no length-prefix kinds (gRPC frames its messages itself). */
  transport: 'tcp' | 'grpc';
}

const TCP_ONLY: ReadonlySet<FuzzKind> = new Set(['length-short', 'length-long', 'length-huge', 'split-writes']);
const SPECIAL_BYTES = [0x00, 0xff, 0x80, 0x7f, 0x01, 0x08, 0x0a, 0x12, 0x1a];

export class FrameFuzzer {
  private readonly r: Random;
  private readonly kinds: FuzzKind[];
  private n = 0;

  constructor(private readonly o: FuzzOptions) {
    if (o.reports.length === 0) throw new Error('FrameFuzzer needs at least one valid report to build batches from');
    this.r = new Random(o.seed, 77);
    this.kinds = FUZZ_KINDS.filter((k) => o.transport === 'tcp' || !TCP_ONLY.has(k));
  }

  /** The next case; `afterHello` says where it will be sent (a Batch is judged only after Hello). */
  next(ctx: FuzzContext, afterHello: boolean): FuzzCase {
    const kind = this.r.pick(this.kinds);
    const n = this.n++;
    const body = this.body(kind, ctx, afterHello);
    let writes = [lengthPrefixed(body)];
    let answerable = true;
    switch (kind) {
      case 'length-short': {
        // The prefix says fewer bytes than follow: the rest is read as the next frame's prefix and bytes.
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(body.length === 0 ? 0 : this.r.int(0, body.length - 1));
        writes = [Buffer.concat([prefix, body])];
        break;
      }
      case 'length-long': {
        // The prefix says more bytes than ever come: nothing to answer; the client gives up and closes.
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(body.length + this.r.int(1, 4096));
        writes = [Buffer.concat([prefix, body])];
        answerable = false;
        break;
      }
      case 'length-huge': {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(this.r.chance(0.5) ? 0xffffffff : this.o.maxFrameBytes + this.r.int(1, 1 << 20));
        writes = [Buffer.concat([prefix, body])];
        break;
      }
      case 'split-writes':
        writes = this.split(lengthPrefixed(body));
        break;
      default:
        break;
    }
    return { n, kind, body, writes, answerable, afterHello };
  }

  // ---------------------------------------------------------------------------------------------- frames

  private body(kind: FuzzKind, ctx: FuzzContext, afterHello: boolean): Uint8Array {
    const r = this.r;
    switch (kind) {
      case 'bit-flip': {
        const b = Buffer.from(this.seed(ctx, afterHello));
        for (let i = r.int(1, 8); i > 0 && b.length > 0; i--) b[r.int(0, b.length - 1)]! ^= 1 << r.int(0, 7);
        return b;
      }
      case 'byte-stomp': {
        const b = Buffer.from(this.seed(ctx, afterHello));
        for (let i = r.int(1, 4); i > 0 && b.length > 0; i--) b[r.int(0, b.length - 1)] = r.pick(SPECIAL_BYTES);
        return b;
      }
      case 'truncate': {
        const b = this.seed(ctx, afterHello);
        return b.subarray(0, r.int(0, Math.max(0, b.length - 1)));
      }
      case 'garbage-tail':
        return Buffer.concat([this.seed(ctx, afterHello), this.randomBytes(r.int(1, 64))]);
      case 'splice': {
        // A slice of the frame repeated inside it: lengths no longer add up.
        const b = Buffer.from(this.seed(ctx, afterHello));
        const from = r.int(0, Math.max(0, b.length - 1));
        const to = Math.min(b.length, from + r.int(1, 200));
        const at = r.int(0, b.length);
        return Buffer.concat([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
      }
      case 'random-bytes':
        return this.randomBytes(r.int(1, 2048));
      case 'empty':
        return new Uint8Array(0);
      case 'wrong-wire-type':
        return this.wrongWireType(ctx);
      case 'huge-varint':
        return this.hugeVarint(ctx);
      case 'bad-hello':
        return this.badHello(ctx);
      case 'bad-batch':
        return this.badBatch(ctx);
      case 'bad-report':
        return this.badReport(ctx);
      case 'client-forbidden-kind':
        return this.forbiddenKind();
      default:
        // The length-* and split-writes kinds keep a valid-looking frame and break its framing instead.
        return this.seed(ctx, afterHello);
    }
  }

  /** A valid frame to start from: a Hello before Hello, mostly Batches after it. */
  private seed(ctx: FuzzContext, afterHello: boolean): Uint8Array {
    if (!afterHello || this.r.chance(0.1)) return encodeHello(ctx.sourceId, ctx.token, this.r.chance(0.5));
    // sent_at from the seed too (not the clock): a seed replays its frames byte for byte.
    return encodeBatch(ctx.nextSeq, this.reports(this.r.int(1, 8)), this.r.chance(0.5) ? 1_700_000_000_000_000 + this.r.uint32() : 0);
  }

  private reports(count: number): Uint8Array[] {
    return Array.from({ length: count }, () => this.r.pick(this.o.reports));
  }

  private randomBytes(length: number): Buffer {
    const b = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) b[i] = this.r.uint32() & 0xff;
    return b;
  }

  /** Hello, Batch, an event or a report field with a wire type its schema does not have (3/4 are groups, 6/7 do not exist). */
  private wrongWireType(ctx: FuzzContext): Uint8Array {
    const r = this.r;
    const wireType = r.pick([0, 1, 3, 4, 5, 6, 7]);
    const w = new BinaryWriter();
    const where = r.int(0, 3);
    if (where === 0) {
      w.uint32((1 << 3) | wireType);
      this.payloadFor(w, wireType);
    } else if (where === 1) {
      w.uint32((3 << 3) | wireType);
      this.payloadFor(w, wireType);
    } else {
      const event = new BinaryWriter().uint32((1 << 3) | 0).uint64(ctx.nextSeq);
      if (where === 2) {
        event.uint32((2 << 3) | wireType);
        this.payloadFor(event, wireType);
      } else {
        // A report whose action type (DE 26, a string) arrives as a number, fixed64, group...
        const report = new BinaryWriter().raw(r.pick(this.o.reports)).uint32((26 << 3) | wireType);
        this.payloadFor(report, wireType);
        event.uint32((2 << 3) | 2).bytes(report.finish());
      }
      const batch = new BinaryWriter().uint32((1 << 3) | 2).bytes(event.finish()).finish();
      w.uint32((3 << 3) | 2).bytes(batch);
    }
    return w.finish();
  }

  private payloadFor(w: BinaryWriter, wireType: number): void {
    const r = this.r;
    if (wireType === 0) w.uint64(r.uint32());
    else if (wireType === 1) w.fixed64(r.uint32());
    else if (wireType === 5) w.fixed32(r.uint32());
    else if (wireType === 2) w.bytes(this.randomBytes(r.int(0, 32)));
    else w.raw(this.randomBytes(r.int(0, 16))); // groups and wire types 6/7: whatever follows
  }

  /** Varints longer than 8 bytes (up to 20) as a tag, a length, a seq or sent_at. */
  private hugeVarint(ctx: FuzzContext): Uint8Array {
    const r = this.r;
    const huge = Buffer.alloc(r.int(9, 20), 0xff);
    if (r.chance(0.5)) huge[huge.length - 1] = 0x01; // terminated, or running off the end
    const where = r.int(0, 3);
    if (where === 0) return huge;
    if (where === 1) return Buffer.concat([Buffer.from([(3 << 3) | 2]), huge, Buffer.from(r.pick(this.o.reports))]);
    const event = new BinaryWriter();
    if (where === 2) event.raw(Buffer.concat([Buffer.from([(1 << 3) | 0]), huge]));
    else event.uint32((1 << 3) | 0).uint64(ctx.nextSeq).raw(Buffer.concat([Buffer.from([(3 << 3) | 0]), huge]));
    event.uint32((2 << 3) | 2).bytes(r.pick(this.o.reports));
    const batch = new BinaryWriter().uint32((1 << 3) | 2).bytes(event.finish()).finish();
    return new BinaryWriter().uint32((3 << 3) | 2).bytes(batch).finish();
  }

  private badHello(ctx: FuzzContext): Uint8Array {
    const r = this.r;
    switch (r.int(0, 6)) {
      case 0: return encodeHello('', ctx.token);
      case 1: return encodeHello(`fuzz-unknown-${r.uint32()}`, ctx.token);
      case 2: return encodeHello(ctx.sourceId, ctx.token + 'x');
      case 3: return encodeHello('s'.repeat(r.int(1_000, 60_000)), 't'.repeat(r.int(0, 1_000)));
      case 4: {
        // Invalid UTF-8 in source_id.
        const w = new BinaryWriter().uint32((1 << 3) | 2).fork();
        w.uint32((1 << 3) | 2).bytes(Buffer.from([0xc3, 0x28, 0xff, 0xfe]));
        return w.join().finish();
      }
      case 5: {
        // want_results (a bool) sent as a string, token as a varint.
        const w = new BinaryWriter().uint32((1 << 3) | 2).fork();
        w.uint32((1 << 3) | 2).string(ctx.sourceId).uint32((2 << 3) | 0).uint64(r.uint32()).uint32((3 << 3) | 2).string('yes');
        return w.join().finish();
      }
      default:
        // Two Hellos in one frame (the last wins) and a Batch before them.
        return Buffer.concat([encodeBatch(ctx.nextSeq, this.reports(1)), encodeHello('nobody', 'x'), encodeHello(ctx.sourceId, 'wrong')]);
    }
  }

  private badBatch(ctx: FuzzContext): Uint8Array {
    const r = this.r;
    const next = ctx.nextSeq;
    switch (r.int(0, 8)) {
      case 0: return encodeBatch(0, this.reports(r.int(1, 3))); // seq 0
      case 1: return encodeBatch(next + r.int(1, 1_000_000), this.reports(r.int(1, 3))); // a gap
      case 2: return Buffer.concat([encodeBatch(next, this.reports(2)), encodeBatch(next, this.reports(1))]); // same seqs twice (last frame field wins)
      case 3: {
        // Seqs that go down within the batch.
        const w = new BinaryWriter();
        for (const seq of [next + 1, next]) w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 0).uint64(seq).uint32((2 << 3) | 2).bytes(r.pick(this.o.reports)).join();
        return new BinaryWriter().uint32((3 << 3) | 2).bytes(w.finish()).finish();
      }
      case 4: {
        // An event without a report, or a report without a seq.
        const w = new BinaryWriter().uint32((1 << 3) | 2).fork();
        if (r.chance(0.5)) w.uint32((1 << 3) | 0).uint64(next);
        else w.uint32((2 << 3) | 2).bytes(r.pick(this.o.reports));
        return new BinaryWriter().uint32((3 << 3) | 2).bytes(w.join().finish()).finish();
      }
      case 5: return encodeBatch(2 ** 53 + r.int(0, 1000), this.reports(1)); // beyond what a double holds exactly
      case 6: {
        // 2^64 - 1: a negative int64 on the wire.
        const w = new BinaryWriter().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 0).raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
        w.uint32((2 << 3) | 2).bytes(r.pick(this.o.reports));
        return new BinaryWriter().uint32((3 << 3) | 2).bytes(w.join().finish()).finish();
      }
      case 7: return encodeBatch(next, Array.from({ length: r.int(500, 3_000) }, () => new Uint8Array(0))); // many empty reports
      default: return new BinaryWriter().uint32((3 << 3) | 2).bytes(new Uint8Array(0)).finish(); // an empty Batch
    }
  }

  /** A well-formed Batch whose report bytes are not a SwapReport (or one whose key fields are broken). */
  private badReport(ctx: FuzzContext): Uint8Array {
    const r = this.r;
    let report: Uint8Array;
    switch (r.int(0, 3)) {
      case 0: report = this.randomBytes(r.int(1, 512)); break;
      case 1: {
        const base = Buffer.from(r.pick(this.o.reports));
        report = base.subarray(0, r.int(1, Math.max(1, base.length - 1)));
        break;
      }
      case 2: {
        // UTI (DE 103) as invalid UTF-8 and a 100 KB counterparty 1.
        report = new BinaryWriter().raw(r.pick(this.o.reports)).uint32((103 << 3) | 2).bytes(Buffer.from([0xed, 0xa0, 0x80, 0xc0]))
          .uint32((13 << 3) | 2).string('L'.repeat(r.int(1_000, 100_000))).finish();
        break;
      }
      default:
        // A length that runs past the report's end.
        report = Buffer.concat([Buffer.from([(26 << 3) | 2, 0x7f]), Buffer.from('NEWT')]);
        break;
    }
    return encodeBatch(ctx.nextSeq, [report]);
  }

  /** Ack, Error or Result: frames only the engine sends (not Welcome: the chaos fuzzer's probe is one). */
  private forbiddenKind(): Uint8Array {
    const r = this.r;
    const field = r.pick([4, 5, 6]);
    const w = new BinaryWriter().uint32((field << 3) | 2).fork();
    if (r.chance(0.5)) w.uint32((1 << 3) | 0).uint64(r.uint32());
    return w.join().finish();
  }

  /** The bytes of one frame cut into 2 to 8 writes at random places (the reader must put them together). */
  private split(bytes: Buffer): Buffer[] {
    const cuts = new Set<number>();
    for (let i = this.r.int(1, 7); i > 0; i--) cuts.add(this.r.int(1, Math.max(1, bytes.length - 1)));
    const sorted = [...cuts].filter((c) => c < bytes.length).sort((a, b) => a - b);
    const out: Buffer[] = [];
    let at = 0;
    for (const c of sorted) {
      out.push(bytes.subarray(at, c));
      at = c;
    }
    out.push(bytes.subarray(at));
    return out;
  }
}
