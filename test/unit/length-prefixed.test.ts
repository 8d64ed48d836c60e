import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameTooLargeError, LengthPrefixedReader, lengthPrefixed, lengthPrefixedAll } from '../../engine/ingest/length-prefixed.js';

const frames = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(70_000, 7)];
const stream = Buffer.concat(frames.map((f) => lengthPrefixed(f)));

describe('LengthPrefixedReader', () => {
  it('returns the same frames however the stream is cut into reads', () => {
    for (const size of [1, 2, 3, 5, 4096, stream.length]) {
      const reader = new LengthPrefixedReader(1 << 20);
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...reader.push(stream.subarray(i, i + size)).map((f) => Buffer.from(f)));
      expect(got, `reads of ${size} bytes`).toEqual(frames);
      expect(reader.pending).toBe(0);
    }
  });

  it('writes many frames into one buffer that reads back as the same frames', () => {
    expect(lengthPrefixedAll(frames)).toEqual(stream);
    expect(lengthPrefixedAll([frames[2]!])).toEqual(lengthPrefixed(frames[2]!));
    expect(new LengthPrefixedReader(1 << 20).push(lengthPrefixedAll(frames)).map((f) => Buffer.from(f))).toEqual(frames);
  });

  it('keeps frames handed out intact while later reads arrive', () => {
    const reader = new LengthPrefixedReader(1 << 20);
    const first = reader.push(Buffer.concat([lengthPrefixed(Buffer.from('first')), lengthPrefixed(Buffer.from('sec')).subarray(0, 5)]));
    expect(reader.push(Buffer.from('e'))).toEqual([]);
    const rest = reader.push(Buffer.from('c'));
    expect(first.map(String)).toEqual(['first']);
    expect(rest.map(String)).toEqual(['sec']);
  });

  it('refuses a frame over the limit from its length prefix alone, before buffering it', () => {
    const reader = new LengthPrefixedReader(1000);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(1001);
    expect(() => reader.push(prefix)).toThrow(FrameTooLargeError);
    expect(() => new LengthPrefixedReader(1000).push(lengthPrefixed(Buffer.alloc(1000)))).not.toThrow();
  });

  afterEach(() => vi.restoreAllMocks());

  it('allocates nothing for a frame announced over the limit, even with part of its body in the same read', () => {
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const alloc = vi.spyOn(Buffer, 'alloc');
    const reader = new LengthPrefixedReader(64 * 1024);
    const read = Buffer.alloc(4 + 1000);
    read.writeUInt32BE(3 * 1024 * 1024);
    allocUnsafe.mockClear();
    alloc.mockClear();
    expect(() => reader.push(read)).toThrow(FrameTooLargeError);
    const sizes = [...allocUnsafe.mock.calls, ...alloc.mock.calls].map((c) => Number(c[0]));
    expect(sizes.filter((n) => n > 64 * 1024)).toEqual([]);
  });

  it('applies the limit in force at each read: small until raised, then the larger one', () => {
    const big = lengthPrefixed(Buffer.alloc(5000, 1));
    const small = new LengthPrefixedReader(1024);
    expect(() => small.push(big.subarray(0, 10))).toThrow(/5000 bytes exceeds the 1024-byte limit/);
    const reader = new LengthPrefixedReader(1024);
    expect(reader.push(lengthPrefixed(Buffer.from('hello')))).toHaveLength(1);
    reader.limit = 8192;
    // A frame straddling reads is buffered at its announced length, which the limit bounds.
    expect(reader.push(big.subarray(0, 100))).toEqual([]);
    expect(reader.pending).toBe(100);
    const [frame] = reader.push(big.subarray(100));
    expect(frame).toEqual(Buffer.alloc(5000, 1));
  });
});
