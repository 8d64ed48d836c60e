/**
 * Splits a TCP byte stream into frames of a 4-byte big-endian length followed by that many bytes.
 * Frames that lie whole inside one read are returned as views into it (no copy). A frame that straddles
 * reads (a Batch of hundreds of events spans several 64 KiB reads) is copied once, straight into a
 * buffer of its announced length: each byte is copied at most once, whatever the number of reads.
 * (Gathering the unread tail and the next read into a fresh buffer at every read copied a 300 KB frame
 * about three times over: 5% of the engine's CPU, and the garbage that came with it.)
 *
 * A length over the current limit is refused from the prefix alone, before anything is allocated for it:
 * the limit bounds what one connection can make the engine allocate (small before Welcome, see tcp-listener.ts).
 */
export class FrameTooLargeError extends Error {
  readonly code = 'FRAME_TOO_LARGE';
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes exceeds the ${limit}-byte limit`);
  }
}

export class LengthPrefixedReader {
  /** The frame being filled across reads, and how many of its bytes have arrived. */
  private frame: Buffer | undefined;
  private filled = 0;
  /** A length prefix cut by the end of a read (fewer than 4 bytes). */
  private readonly head = Buffer.alloc(4);
  private headBytes = 0;

  /** `limit`: the largest frame accepted; it may change between reads (the listener raises it after Welcome). */
  constructor(public limit: number) {}

  /** Feeds one read; returns the frames it completed. Throws FrameTooLargeError before buffering an oversize frame. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const n = chunk.length;
    let pos = 0;
    if (this.headBytes > 0) {
      const take = Math.min(4 - this.headBytes, n);
      chunk.copy(this.head, this.headBytes, 0, take);
      this.headBytes += take;
      pos = take;
      if (this.headBytes < 4) return frames;
      this.headBytes = 0;
      this.frame = Buffer.allocUnsafe(this.checked(this.head.readUInt32BE(0)));
      this.filled = 0;
    }
    if (this.frame !== undefined) {
      const take = Math.min(this.frame.length - this.filled, n - pos);
      chunk.copy(this.frame, this.filled, pos, pos + take);
      this.filled += take;
      pos += take;
      if (this.filled < this.frame.length) return frames;
      frames.push(this.frame);
      this.frame = undefined;
    }
    while (n - pos >= 4) {
      const length = this.checked(chunk.readUInt32BE(pos));
      if (n - pos - 4 >= length) {
        frames.push(chunk.subarray(pos + 4, pos + 4 + length));
        pos += 4 + length;
      } else {
        this.frame = Buffer.allocUnsafe(length);
        this.filled = chunk.copy(this.frame, 0, pos + 4, n);
        return frames;
      }
    }
    this.headBytes = chunk.copy(this.head, 0, pos, n);
    return frames;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.frame !== undefined ? 4 + this.filled : this.headBytes;
  }

  private checked(length: number): number {
    if (length > this.limit) throw new FrameTooLargeError(length, this.limit);
    return length;
  }
}

/** Frames, each behind its length, in one buffer (one socket write for many frames). */
export function lengthPrefixedAll(frames: readonly Uint8Array[]): Buffer {
  if (frames.length === 1) return lengthPrefixed(frames[0]!);
  let total = 0;
  for (const f of frames) total += 4 + f.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const f of frames) {
    out.writeUInt32BE(f.length, at);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/** Prefixes an encoded frame with its 4-byte big-endian length. */
export function lengthPrefixed(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeUInt32BE(frame.length, 0);
  out.set(frame, 4);
  return out;
}
