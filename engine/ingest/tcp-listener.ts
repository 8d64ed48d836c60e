import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode } from '../../proto/gen/fep.js';
import { FrameTooLargeError, LengthPrefixedReader, lengthPrefixedAll } from './length-prefixed.js';
import { FepSession } from './session.js';
import { ConnectionWatch } from './connection-watch.js';
import { LIMIT_ERROR_CODE, defaultConnectionLimits, normalAddress, type IngestConnectionLimits } from './connection-limits.js';
import type { IngestHub } from './ingest-hub.js';
import type { Transport } from './transport.js';
import { log } from '../log.js';
import { oneLine } from './peer-text.js';

export interface TcpListenerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Before-Hello and idle limits (default: defaultConnectionLimits); the caps are the hub's. */
  limits?: IngestConnectionLimits;
}

/** The raw TCP FEP listener: 4-byte big-endian length + FepFrame, optionally over TLS. */
export async function listenTcp(hub: IngestHub, options: TcpListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const limits = options.limits ?? defaultConnectionLimits;
  // A connection closed with an Error frame whose peer does not close its side is cut after this long: it must not
  // keep holding a socket (the Hello deadline, the time an unauthenticated peer is given anyway; 2 s when that is off).
  const lingerMs = limits.helloTimeoutMs > 0 ? limits.helloTimeoutMs : 2_000;
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Until Welcome the peer is unknown: only a small frame (a Hello) is read, and nothing larger is allocated for it.
    const reader = new LengthPrefixedReader(Math.min(limits.preHelloMaxFrameBytes, options.maxFrameBytes));
    let welcomed = false;
    const watch = new ConnectionWatch(limits, (message) => session.terminate(LIMIT_ERROR_CODE, message), () => session.owesAcks);
    const transport: Transport = {
      kind: 'tcp',
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      send: (frames) => {
        watch.activity();
        return socket.write(lengthPrefixedAll(frames));
      },
      onceDrained: (cb) => socket.once('drain', cb),
      pause: () => {
        watch.setPaused(true);
        socket.pause();
      },
      resume: () => {
        watch.setPaused(false);
        socket.resume();
      },
      close: () => {
        watch.stop();
        socket.end();
        setTimeout(() => socket.destroy(), lingerMs).unref();
      },
      progressed: (stage) => {
        if (stage === 'hello') watch.helloReceived();
        else {
          welcomed = true;
          reader.limit = options.maxFrameBytes;
          watch.opened();
        }
      },
    };
    const session = new FepSession(transport, hub);
    hub.metrics.connections.inc({ transport: 'tcp' });
    socket.once('close', () => {
      watch.stop();
      hub.metrics.connections.dec({ transport: 'tcp' });
      hub.disconnected(session);
      session.closed();
    });
    socket.on('error', (err) => log('debug', `tcp ${transport.peer}: ${oneLine(err.message)}`));
    if (!hub.register(session, normalAddress(socket.remoteAddress ?? 'unknown'))) {
      // Refused: read and drop what the peer still sends, so that its closing is seen and the socket goes at once.
      socket.resume();
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      if (!session.isOpen) return;
      watch.activity();
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (err instanceof FrameTooLargeError) {
          const setting = welcomed ? 'SWAPREP_MAX_FRAME_BYTES' : 'SWAPREP_PRE_HELLO_MAX_FRAME_BYTES, the limit until Welcome';
          session.reject(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, `${err.message} (${setting})`);
          return;
        }
        throw err;
      }
      if (frames.length > 0) session.receive(frames);
    });
  };
  // A TLS handshake counts against the Hello deadline too (Node's default would wait 120 s for it).
  const handshakeTimeout = limits.helloTimeoutMs > 0 ? limits.helloTimeoutMs : undefined;
  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, ...(handshakeTimeout ? { handshakeTimeout } : {}) }, onConnection)
    : net.createServer(onConnection);
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
