import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { FepFrame, FepService } from '../../proto/gen/fep.js';
import { LengthPrefixedReader, lengthPrefixed } from '../../engine/ingest/length-prefixed.js';

/**
 * A fake FEP engine for driver tests: it answers Hello with Welcome{0} and acknowledges each Batch after
 * `ackDelayMs(now)` milliseconds (a known latency, or a stall), over TCP and gRPC.
 */
export interface FakeFep {
  tcpPort: number;
  grpcPort: number;
  batches: number;
  close(): Promise<void>;
}

const identity = (b: Buffer) => b;

export async function startFakeFep(ackDelayMs: (nowMs: number) => number): Promise<FakeFep> {
  const state = { batches: 0 };
  const handle = (bytes: Uint8Array, send: (frame: Uint8Array) => void) => {
    const k = FepFrame.decode(bytes).kind;
    if (k?.$case === 'hello') send(FepFrame.encode({ kind: { $case: 'welcome', value: { lastAckedSeq: 0, engineVersion: 'fake' } } }).finish());
    if (k?.$case === 'batch') {
      state.batches++;
      const last = k.value.events[k.value.events.length - 1]!.seq;
      const ack = FepFrame.encode({ kind: { $case: 'ack', value: { upToSeq: last } } }).finish();
      setTimeout(() => send(ack), Math.max(0, ackDelayMs(performance.now())));
    }
  };
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new LengthPrefixedReader(64 * 1024 * 1024);
    socket.on('data', (c: Buffer) => {
      for (const f of reader.push(c)) handle(f, (frame) => !socket.destroyed && socket.write(lengthPrefixed(frame)));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const server = new grpc.Server();
  const definition = { stream: { ...FepService.stream, requestDeserialize: identity, responseSerialize: identity } };
  server.addService(definition as unknown as grpc.ServiceDefinition, {
    stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      let ended = false;
      call.on('data', (b: Buffer) => handle(b, (frame) => !ended && call.write(Buffer.from(frame))));
      call.on('end', () => {
        ended = true;
        call.end();
      });
      call.on('error', () => (ended = true));
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    tcpPort: (tcp.address() as net.AddressInfo).port,
    grpcPort,
    get batches() {
      return state.batches;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      server.forceShutdown();
    },
  };
}
