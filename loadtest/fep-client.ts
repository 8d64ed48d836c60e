import net from 'node:net';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { FepFrame, ErrorCode, type Result } from '../proto/gen/fep.js';
import { LengthPrefixedReader, lengthPrefixed } from '../engine/ingest/length-prefixed.js';

/**
 * A minimal FEP client over raw TCP, speaking only the documented framing: used by the tests, the
 * benchmarks and the load drivers. Reports are passed as already-encoded SwapReport bytes so callers
 * can pre-encode (the driver must not be the bottleneck).
 */
export interface FepClientEvents {
  onAck?: (upToSeq: number) => void;
  onResult?: (result: Result) => void;
  onError?: (code: ErrorCode, message: string) => void;
  /** Keep every Result in `results` (default true; a long replay that handles onResult turns it off). */
  retainResults?: boolean;
}

export class FepTcpClient {
  lastAck = 0;
  welcomeSeq: number | undefined;
  error: { code: ErrorCode; message: string } | undefined;
  readonly results: Result[] = [];
  private readonly reader = new LengthPrefixedReader(64 * 1024 * 1024);
  private welcomeWaiter: { resolve: (seq: number) => void; reject: (e: Error) => void } | undefined;
  private ackWaiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket, private readonly events: FepClientEvents) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) this.onFrame(FepFrame.decode(frame));
    });
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      const err = new Error(this.error ? `connection closed: ${ErrorCode[this.error.code]} ${this.error.message}` : 'connection closed');
      this.welcomeWaiter?.reject(err);
      for (const w of this.ackWaiters) w.reject(err);
      this.ackWaiters = [];
      resolve();
    }));
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1', events: FepClientEvents = {}): Promise<FepTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => resolve(new FepTcpClient(socket, events)));
      socket.once('error', reject);
    });
  }

  /** Sends Hello and resolves with Welcome.last_acked_seq (rejects if the engine answers with an Error). */
  hello(sourceId: string, token: string, wantResults = false): Promise<number> {
    const p = new Promise<number>((resolve, reject) => (this.welcomeWaiter = { resolve, reject }));
    this.sendFrame(encodeHello(sourceId, token, wantResults));
    return p;
  }

  /** Sends one Batch frame of pre-encoded reports with consecutive seqs starting at `firstSeq`. */
  sendBatch(firstSeq: number, reports: readonly Uint8Array[], sentAtUs = 0): boolean {
    return this.sendFrame(encodeBatch(firstSeq, reports, sentAtUs));
  }

  sendFrame(frame: Uint8Array): boolean {
    return this.socket.write(lengthPrefixed(frame));
  }

  /** Resolves once an Ack covers `seq`. */
  waitForAck(seq: number): Promise<void> {
    if (this.lastAck >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.ackWaiters.push({ seq, resolve, reject }));
  }

  closed(): Promise<void> {
    return this.closedPromise;
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closedPromise;
  }

  private onFrame(frame: FepFrame): void {
    const k = frame.kind;
    if (!k) return;
    switch (k.$case) {
      case 'welcome':
        this.welcomeSeq = k.value.lastAckedSeq;
        this.lastAck = Math.max(this.lastAck, k.value.lastAckedSeq);
        this.welcomeWaiter?.resolve(k.value.lastAckedSeq);
        this.welcomeWaiter = undefined;
        break;
      case 'ack': {
        this.lastAck = Math.max(this.lastAck, k.value.upToSeq);
        this.events.onAck?.(k.value.upToSeq);
        const ready = this.ackWaiters.filter((w) => w.seq <= this.lastAck);
        this.ackWaiters = this.ackWaiters.filter((w) => w.seq > this.lastAck);
        for (const w of ready) w.resolve();
        break;
      }
      case 'result':
        if (this.events.retainResults !== false) this.results.push(k.value);
        this.events.onResult?.(k.value);
        break;
      case 'error':
        this.error = { code: k.value.code, message: k.value.message };
        this.events.onError?.(k.value.code, k.value.message);
        break;
      default:
        break;
    }
  }
}

export function encodeHello(sourceId: string, token: string, wantResults = false): Uint8Array {
  return FepFrame.encode({ kind: { $case: 'hello', value: { sourceId, token, wantResults } } }).finish();
}

/**
 * Encodes a Batch frame by hand around pre-encoded report bytes (FepFrame.batch=3 → Batch.events=1 →
 * FepEvent{seq=1, report=2, sent_at=3}), so the reports are not decoded and re-encoded.
 */
export function encodeBatch(firstSeq: number, reports: readonly Uint8Array[], sentAtUs = 0): Uint8Array {
  const batch = new BinaryWriter();
  for (let i = 0; i < reports.length; i++) {
    batch.uint32((1 << 3) | 2).fork();
    batch.uint32((1 << 3) | 0).uint64(firstSeq + i);
    batch.uint32((2 << 3) | 2).bytes(reports[i]!);
    if (sentAtUs) batch.uint32((3 << 3) | 0).int64(sentAtUs);
    batch.join();
  }
  const body = batch.finish();
  return new BinaryWriter().uint32((3 << 3) | 2).bytes(body).finish();
}
