import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode } from '../../proto/gen/fep.js';
import { FrameTooLargeError, LengthPrefixedReader, lengthPrefixedAll } from './length-prefixed.js';
import { FepSession } from './session.js';
import type { IngestHub } from './ingest-hub.js';
import type { Transport } from './transport.js';
import { log } from '../log.js';

export interface TcpListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

/** The raw TCP FEP listener: 4-byte big-endian length + FepFrame, optionally over TLS. */
export async function listenTcp(hub: IngestHub, options: TcpListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const transport: Transport = {
      kind: 'tcp',
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      send: (frames) => socket.write(lengthPrefixedAll(frames)),
      onceDrained: (cb) => socket.once('drain', cb),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      close: () => socket.end(),
    };
    const session = new FepSession(transport, hub);
    hub.metrics.connections.inc({ transport: 'tcp' });
    socket.once('close', () => {
      hub.metrics.connections.dec({ transport: 'tcp' });
      session.closed();
    });
    socket.on('error', (err) => log('debug', `tcp ${transport.peer}: ${err.message}`));
    if (!hub.register(session)) return;
    const reader = new LengthPrefixedReader(options.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      if (!session.isOpen) return;
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (err instanceof FrameTooLargeError) {
          session.reject(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, `${err.message} (configure SWAPREP_MAX_FRAME_BYTES)`);
          return;
        }
        throw err;
      }
      if (frames.length > 0) session.receive(frames);
    });
  };
  const server = options.tls ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Peers that do not close their side after our Error frame are cut after a grace period.
        setTimeout(() => sockets.forEach((s) => s.destroy()), 2_000).unref();
      }),
  };
}
