/** What a FEP session needs from its connection, whether raw TCP or a gRPC stream. */
export interface Transport {
  readonly kind: 'tcp' | 'grpc';
  /** Peer address for logs. */
  readonly peer: string;
  /**
   * Sends encoded FepFrames in order (over TCP in one write: an Ack with its Results is one syscall, not one per
   * event); false when the peer reads slowly and outgoing bytes are piling up.
   */
  send(frames: readonly Uint8Array[]): boolean;
  /** Calls `cb` once the outgoing buffer has drained after `send` returned false. */
  onceDrained(cb: () => void): void;
  /** Stops / restarts reading from the peer (TCP: socket pause; gRPC: HTTP/2 flow control). */
  pause(): void;
  resume(): void;
  /** Closes after flushing what was sent. */
  close(): void;
  /**
   * The session's progress, for the limits the transport keeps: `hello` once a Hello frame has arrived (the
   * Hello deadline is met), `open` once Welcome was sent (the full frame size and the idle timeout apply).
   */
  progressed?(stage: 'hello' | 'open'): void;
}
