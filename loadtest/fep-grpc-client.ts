import * as grpc from '@grpc/grpc-js';
import { FepFrame, FepService, ErrorCode, type Result } from '../proto/gen/fep.js';
import { encodeBatch, encodeHello, type FepClientEvents } from './fep-client.js';

const identity = (b: Buffer) => b;

/** A minimal FEP client over gRPC (Fep.Stream), sending pre-encoded frames as raw bytes. */
export class FepGrpcClient {
  lastAck = 0;
  error: { code: ErrorCode; message: string } | undefined;
  readonly results: Result[] = [];
  private welcome: Promise<number>;
  private ackWaiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly ended: Promise<void>;

  private constructor(
    private readonly client: grpc.Client,
    readonly call: grpc.ClientDuplexStream<Buffer, Buffer>,
    private readonly events: FepClientEvents = {},
  ) {
    let welcomed: (seq: number) => void = () => {};
    let refused: (e: Error) => void = () => {};
    this.welcome = new Promise<number>((resolve, reject) => ((welcomed = resolve), (refused = reject)));
    this.welcome.catch(() => {});
    call.on('data', (bytes: Buffer) => {
      const k = FepFrame.decode(bytes).kind;
      if (k?.$case === 'welcome') {
        this.lastAck = k.value.lastAckedSeq;
        welcomed(k.value.lastAckedSeq);
      } else if (k?.$case === 'ack') {
        this.lastAck = Math.max(this.lastAck, k.value.upToSeq);
        this.events.onAck?.(k.value.upToSeq);
        const ready = this.ackWaiters.filter((w) => w.seq <= this.lastAck);
        this.ackWaiters = this.ackWaiters.filter((w) => w.seq > this.lastAck);
        ready.forEach((w) => w.resolve());
      } else if (k?.$case === 'result') {
        if (this.events.retainResults !== false) this.results.push(k.value);
        this.events.onResult?.(k.value);
      } else if (k?.$case === 'error') {
        this.error = { code: k.value.code, message: k.value.message };
        this.events.onError?.(k.value.code, k.value.message);
      }
    });
    this.ended = new Promise((resolve) => {
      const finish = () => {
        const err = new Error(this.error ? `stream ended: ${ErrorCode[this.error.code]} ${this.error.message}` : 'stream ended');
        refused(err);
        this.ackWaiters.forEach((w) => w.reject(err));
        this.ackWaiters = [];
        resolve();
      };
      call.on('end', finish);
      call.on('error', finish);
    });
  }

  static connect(port: number, host = '127.0.0.1', events: FepClientEvents = {}): FepGrpcClient {
    const definition = { stream: { ...FepService.stream, requestSerialize: identity, responseDeserialize: identity } };
    const Ctor = grpc.makeGenericClientConstructor(definition as unknown as grpc.ServiceDefinition, 'swaprep.fep.Fep');
    const client = new Ctor(`${host}:${port}`, grpc.credentials.createInsecure());
    const call = (client as unknown as { stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).stream();
    return new FepGrpcClient(client, call, events);
  }

  hello(sourceId: string, token: string, wantResults = false): Promise<number> {
    this.call.write(Buffer.from(encodeHello(sourceId, token, wantResults)));
    return this.welcome;
  }

  sendBatch(firstSeq: number, reports: readonly Uint8Array[]): boolean {
    return this.call.write(Buffer.from(encodeBatch(firstSeq, reports)));
  }

  sendRaw(bytes: Uint8Array): void {
    this.call.write(Buffer.from(bytes));
  }

  /** Sends one FepFrame; false when the stream's buffer is full (wait for the call's 'drain'). */
  sendFrame(bytes: Uint8Array): boolean {
    return this.call.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  waitForAck(seq: number): Promise<void> {
    if (this.lastAck >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.ackWaiters.push({ seq, resolve, reject }));
  }

  endedPromise(): Promise<void> {
    return this.ended;
  }

  async close(): Promise<void> {
    this.call.end();
    await this.ended;
    this.client.close();
  }
}
