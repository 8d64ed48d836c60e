/**
 * Splits a TCP byte stream into frames of a 4-byte big-endian length followed by that many bytes.
 * Shaped after node-postgres' pg-protocol parser: one buffer that grows only when a frame straddles
 * reads, one read offset, no I/O. Frames that lie whole inside one read are returned as views (no copy).
 */
export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes exceeds the ${limit}-byte limit`);
  }
}

export class LengthPrefixedReader {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  private end = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds one read; returns the frames it completed. Throws FrameTooLargeError before buffering an oversize frame. */
  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    while (this.end - this.offset >= 4) {
      const length = this.buffer.readUInt32BE(this.offset);
      if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
      if (this.end - this.offset - 4 < length) break;
      frames.push(this.buffer.subarray(this.offset + 4, this.offset + 4 + length));
      this.offset += 4 + length;
    }
    if (this.offset === this.end) {
      // Everything consumed: drop the reference so returned frames own the old buffer alone.
      this.buffer = Buffer.alloc(0);
      this.offset = this.end = 0;
    }
    return frames;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.end - this.offset;
  }

  private append(chunk: Buffer): void {
    if (this.end === 0) {
      this.buffer = chunk;
      this.end = chunk.length;
      return;
    }
    const remaining = this.end - this.offset;
    // Copy the unread tail and the new chunk into a fresh buffer: earlier frames handed out still point
    // into the old one, so it must not be overwritten.
    const next = Buffer.allocUnsafe(Math.max(remaining + chunk.length, remaining * 2));
    this.buffer.copy(next, 0, this.offset, this.end);
    chunk.copy(next, remaining);
    this.buffer = next;
    this.offset = 0;
    this.end = remaining + chunk.length;
  }
}

/** Prefixes an encoded frame with its 4-byte big-endian length. */
export function lengthPrefixed(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeUInt32BE(frame.length, 0);
  out.set(frame, 4);
  return out;
}
