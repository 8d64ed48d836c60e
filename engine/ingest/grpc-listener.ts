import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FepService } from '../../proto/gen/fep.js';
import { FepSession } from './session.js';
import { ConnectionWatch } from './connection-watch.js';
import { LIMIT_ERROR_CODE, defaultConnectionLimits, peerAddress, type IngestConnectionLimits } from './connection-limits.js';
import type { IngestHub } from './ingest-hub.js';
import type { Transport } from './transport.js';

export interface GrpcListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Before-Hello, idle and gRPC limits (default: defaultConnectionLimits); the caps are the hub's. */
  limits?: IngestConnectionLimits;
}

const identity = (b: Buffer) => b;

/** grpc-js options from the limits: what a client connection may hold, and how a dead one is found. */
export function grpcServerOptions(maxFrameBytes: number, limits: IngestConnectionLimits): grpc.ServerOptions {
  return {
    // grpc-js refuses a larger message from its 5-byte header, before buffering it: RESOURCE_EXHAUSTED
    // "Received message larger than max (N vs. maxFrameBytes)".
    'grpc.max_receive_message_length': maxFrameBytes,
    'grpc.max_concurrent_streams': limits.grpc.maxConcurrentStreams,
    ...(limits.grpc.keepaliveMs > 0 ? { 'grpc.keepalive_time_ms': limits.grpc.keepaliveMs, 'grpc.keepalive_timeout_ms': limits.grpc.keepaliveTimeoutMs } : {}),
    // A connection with no stream open gets the time an unauthenticated peer gets: the Hello deadline.
    ...(limits.helloTimeoutMs > 0 ? { 'grpc.max_connection_idle_ms': limits.helloTimeoutMs } : {}),
  };
}

/**
 * The gRPC FEP listener: service swaprep.fep.Fep, bidirectional Stream of FepFrame. Messages are kept
 * as raw bytes (identity serializers) and go through the same frame scanner and session as TCP. Each stream
 * counts as one connection against the hub's caps, and gets the same Hello deadline and idle timeout.
 */
export async function listenGrpc(hub: IngestHub, options: GrpcListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const limits = options.limits ?? defaultConnectionLimits;
  const preHelloLimit = Math.min(limits.preHelloMaxFrameBytes, options.maxFrameBytes);
  const server = new grpc.Server(grpcServerOptions(options.maxFrameBytes, limits));
  const definition = { stream: { ...FepService.stream, requestDeserialize: identity, responseSerialize: identity } };
  server.addService(definition as unknown as grpc.ServiceDefinition, {
    stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      let ended = false;
      let frameLimit = preHelloLimit;
      const watch = new ConnectionWatch(limits, (message) => session.terminate(LIMIT_ERROR_CODE, message), () => session.owesAcks);
      const transport: Transport = {
        kind: 'grpc',
        peer: call.getPeer(),
        send: (frames) => {
          watch.activity();
          let ok = true;
          for (const f of frames) if (!ended) ok = call.write(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
          return ok;
        },
        onceDrained: (cb) => call.once('drain', cb),
        pause: () => {
          watch.setPaused(true);
          call.pause();
        },
        resume: () => {
          watch.setPaused(false);
          call.resume();
        },
        close: () => {
          watch.stop();
          if (!ended) {
            ended = true;
            call.end();
          }
        },
        progressed: (stage) => {
          if (stage === 'hello') watch.helloReceived();
          else {
            frameLimit = options.maxFrameBytes;
            watch.opened();
          }
        },
      };
      const session = new FepSession(transport, hub);
      hub.metrics.connections.inc({ transport: 'grpc' });
      let counted = true;
      const done = () => {
        watch.stop();
        if (counted) {
          counted = false;
          hub.metrics.connections.dec({ transport: 'grpc' });
          hub.disconnected(session);
        }
        session.closed();
      };
      call.on('close', done);
      call.on('error', done);
      call.on('cancelled', done);
      call.on('end', () => transport.close());
      if (!hub.register(session, peerAddress(transport.peer))) return;
      call.on('data', (frame: Buffer) => {
        if (!session.isOpen) return;
        watch.activity();
        // Larger than maxFrameBytes never gets here (grpc-js refuses it); until Welcome the small limit applies.
        if (frame.length > frameLimit) {
          const setting = frameLimit < options.maxFrameBytes ? 'SWAPREP_PRE_HELLO_MAX_FRAME_BYTES, the limit until Welcome' : 'SWAPREP_MAX_FRAME_BYTES';
          session.reject(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, `frame of ${frame.length} bytes exceeds the ${frameLimit}-byte limit (${setting})`);
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
