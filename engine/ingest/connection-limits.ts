import { ErrorCode } from '../../proto/gen/fep.js';

/** Limits on FEP connections, before and after Hello (engine/config.ts `ingestLimits`; 0 turns a limit off unless said otherwise). */
export interface IngestConnectionLimits {
  /** Connections (TCP connections and gRPC streams together) open at once. */
  maxConnections: number;
  /** Connections open at once from one peer address. */
  maxConnectionsPerAddress: number;
  /** From connecting until the Hello frame has arrived; also how long a connection closed with an Error frame may linger. */
  helloTimeoutMs: number;
  /** Frames above this size are refused until Welcome (the peer is not yet authenticated). */
  preHelloMaxFrameBytes: number;
  /** An authenticated connection that sends nothing for this long is closed (not counted while the engine is not reading it). */
  idleTimeoutMs: number;
  /** Token checks that may query the database at once; further Hellos wait their turn. At least 1. */
  maxConcurrentAuth: number;
  /** How long a source's accepted token is remembered, so that its reconnects skip the database (and any queue of Hellos). */
  authCacheMs: number;
  grpc: {
    /** Streams at once on one HTTP/2 connection (its SETTINGS_MAX_CONCURRENT_STREAMS). */
    maxConcurrentStreams: number;
    /** The engine pings a client connection after this long without traffic, and drops it when no answer comes within `keepaliveTimeoutMs`. */
    keepaliveMs: number;
    keepaliveTimeoutMs: number;
  };
}

export const defaultConnectionLimits: IngestConnectionLimits = {
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  helloTimeoutMs: 10_000,
  preHelloMaxFrameBytes: 64 * 1024,
  idleTimeoutMs: 300_000,
  maxConcurrentAuth: 2,
  authCacheMs: 60_000,
  grpc: { maxConcurrentStreams: 16, keepaliveMs: 60_000, keepaliveTimeoutMs: 20_000 },
};

/** The Error code of a connection closed by a limit (too many connections, no Hello in time, idle); the message names the setting. */
export const LIMIT_ERROR_CODE = ErrorCode.ERROR_CODE_LIMIT;

/** Counts open connections, in all and per peer address, and refuses those over the caps. */
export class ConnectionCaps {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: Pick<IngestConnectionLimits, 'maxConnections' | 'maxConnectionsPerAddress'>) {}

  /** Takes a slot for a connection from `address`; returns why it is refused instead, if it is. */
  take(address: string): string | undefined {
    const { maxConnections, maxConnectionsPerAddress } = this.limits;
    if (maxConnections > 0 && this.total >= maxConnections) {
      return `too many connections: the engine takes at most ${maxConnections} at once (SWAPREP_MAX_CONNECTIONS); retry later`;
    }
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (maxConnectionsPerAddress > 0 && fromAddress >= maxConnectionsPerAddress) {
      return `too many connections from this address: at most ${maxConnectionsPerAddress} at once (SWAPREP_MAX_CONNECTIONS_PER_ADDRESS); retry later`;
    }
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    return undefined;
  }

  release(address: string): void {
    const n = this.byAddress.get(address);
    if (n === undefined) return;
    this.total--;
    if (n <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, n - 1);
  }

  get open(): number {
    return this.total;
  }
}

/**
 * The address part of a peer as grpc-js names a stream's peer (`remoteAddress:remotePort`, so `::1:5000` for
 * IPv6; `[::1]:5000` is read too), so that every stream from one host counts against the same per-address cap.
 */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^(ipv4|ipv6):/, '');
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(bare);
  if (bracketed) return normalAddress(bracketed[1]!);
  const withPort = /^(.*):\d+$/.exec(bare);
  return normalAddress(withPort && withPort[1] !== '' ? withPort[1]! : bare);
}

/** An IPv4 peer of a dual-stack listener (`::ffff:10.0.0.1`) counts as the IPv4 address it is. */
export function normalAddress(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}
