import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FepService } from '../../proto/gen/fep.js';
import { FepSession } from './session.js';
import type { IngestHub } from './ingest-hub.js';
import type { Transport } from './transport.js';

export interface GrpcListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

const identity = (b: Buffer) => b;

/**
 * The gRPC FEP listener: service swaprep.fep.Fep, bidirectional Stream of FepFrame. Messages are kept
 * as raw bytes (identity serializers) and go through the same frame scanner and session as TCP.
 */
export async function listenGrpc(hub: IngestHub, options: GrpcListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server({
    // Let oversize messages through to the session (up to a margin) so the client gets an Error frame
    // naming the limit rather than a bare RESOURCE_EXHAUSTED status.
    'grpc.max_receive_message_length': options.maxFrameBytes + 1024 * 1024,
  });
  const definition = { stream: { ...FepService.stream, requestDeserialize: identity, responseSerialize: identity } };
  server.addService(definition as unknown as grpc.ServiceDefinition, {
    stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      let ended = false;
      const transport: Transport = {
        kind: 'grpc',
        peer: call.getPeer(),
        send: (frames) => {
          let ok = true;
          for (const f of frames) if (!ended) ok = call.write(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
          return ok;
        },
        onceDrained: (cb) => call.once('drain', cb),
        pause: () => call.pause(),
        resume: () => call.resume(),
        close: () => {
          if (!ended) {
            ended = true;
            call.end();
          }
        },
      };
      const session = new FepSession(transport, hub);
      hub.metrics.connections.inc({ transport: 'grpc' });
      let counted = true;
      const done = () => {
        if (counted) {
          counted = false;
          hub.metrics.connections.dec({ transport: 'grpc' });
        }
        session.closed();
      };
      call.on('close', done);
      call.on('error', done);
      call.on('cancelled', done);
      call.on('end', () => transport.close());
      if (!hub.register(session)) return;
      call.on('data', (frame: Buffer) => {
        if (frame.length > options.maxFrameBytes) {
          session.reject(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, `frame of ${frame.length} bytes exceeds the ${options.maxFrameBytes}-byte limit`);
          return;
        }
        session.receive([frame]);
      });
    },
  });
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], false)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams that do not end by themselves are cut after a grace period.
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}
