/**
 * One FEP client connection, over TCP or gRPC, behind the few operations a replay needs. The protocol is
 * the same on both transports; only framing and flow control differ (length prefix and socket drain for
 * TCP, messages and stream drain for gRPC).
 */
import { ErrorCode, type Result } from '../../../proto/gen/fep.js';
import { FepTcpClient } from '../../../loadtest/fep-client.js';
import { FepGrpcClient } from '../../../loadtest/fep-grpc-client.js';

export interface FepTarget {
  transport: 'tcp' | 'grpc';
  host: string;
  port: number;
}

/** `tcp://HOST:PORT` or `grpc://HOST:PORT` (IPv6 hosts in brackets). Throws naming the bad value. */
export function parseTarget(url: string): FepTarget {
  const m = /^(tcp|grpc):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url);
  if (!m || Number(m[3]) > 65535) throw new Error(`--to ${url}: expected tcp://HOST:PORT or grpc://HOST:PORT`);
  return { transport: m[1] as 'tcp' | 'grpc', host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

export interface FepLinkEvents {
  onAck?: (upToSeq: number) => void;
  onResult?: (result: Result) => void;
}

export interface FepLink {
  /** Hello; resolves with Welcome.last_acked_seq. */
  hello(sourceId: string, token: string, wantResults: boolean): Promise<number>;
  /** Sends one FepFrame (not length-prefixed). False: the transport buffer is full, await drained(). */
  send(frame: Uint8Array): boolean;
  drained(): Promise<void>;
  readonly lastAck: number;
  /** Resolves once an Ack covers seq; rejects if the connection ends first. */
  waitForAck(seq: number): Promise<void>;
  /** Resolves when the connection has ended (for any reason). */
  readonly ended: Promise<void>;
  /** Why the engine ended the connection, if it sent an Error frame. */
  errorText(): string | undefined;
  close(): Promise<void>;
}

export async function connectFep(target: FepTarget, events: FepLinkEvents = {}): Promise<FepLink> {
  const opts = { ...events, retainResults: false };
  const describe = (e: { code: ErrorCode; message: string } | undefined) => (e ? `${ErrorCode[e.code]}: ${e.message}` : undefined);
  if (target.transport === 'tcp') {
    const c = await FepTcpClient.connect(target.port, target.host, opts);
    return {
      hello: (s, t, w) => c.hello(s, t, w),
      send: (f) => c.sendFrame(f),
      drained: () => new Promise((resolve) => {
        if (!c.socket.writableNeedDrain) return resolve();
        const done = () => {
          c.socket.off('drain', done);
          c.socket.off('close', done);
          resolve();
        };
        c.socket.on('drain', done);
        c.socket.on('close', done);
      }),
      get lastAck() {
        return c.lastAck;
      },
      waitForAck: (seq) => c.waitForAck(seq),
      ended: c.closed(),
      errorText: () => describe(c.error),
      close: () => c.close(),
    };
  }
  const c = FepGrpcClient.connect(target.port, target.host, opts);
  return {
    hello: (s, t, w) => c.hello(s, t, w),
    send: (f) => c.sendFrame(f),
    drained: () => new Promise((resolve) => {
      const done = () => {
        c.call.off('drain', done);
        resolve();
      };
      c.call.on('drain', done);
      void c.endedPromise().then(done);
    }),
    get lastAck() {
      return c.lastAck;
    },
    waitForAck: (seq) => c.waitForAck(seq),
    ended: c.endedPromise(),
    errorText: () => describe(c.error),
    close: () => c.close(),
  };
}
