/**
 * Reads a file as a stream and cuts it into decode tasks (slices of whole records, in file order). This is
 * the only part of reading that must run in order in one thread; decoding the tasks can run anywhere.
 * Memory is bounded by the read chunk, one task and the largest record allowed (ReaderLimits).
 */
import { createReadStream } from 'node:fs';
import { CsvParser, type CsvItem } from './csv-parser.js';
import { JsonSplitter, type JsonItem } from './json-splitter.js';
import type { DecodeTask } from './decode.js';
import { compileCsvHeader } from './csv-columns.js';
import { DEFAULT_LIMITS, FileFormatError, type FileFormat, type ReaderLimits } from './types.js';

export interface TaskOptions {
  limits?: ReaderLimits;
  /** Bytes per read (and roughly per task). */
  chunkBytes?: number;
  /** Called with the number of bytes read so far, after each read. */
  onBytes?: (bytesRead: number) => void;
}

const LF = 10;
const BOM = '\uFEFF';

export function fileTasks(path: string, format: FileFormat, options: TaskOptions = {}): AsyncGenerator<DecodeTask> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const chunk = options.chunkBytes ?? 1024 * 1024;
  switch (format) {
    case 'jsonl':
      return jsonlTasks(path, limits, chunk, options.onBytes);
    case 'json':
      return jsonTasks(path, limits, chunk, options.onBytes);
    case 'csv':
      return csvTasks(path, limits, chunk, options.onBytes);
  }
}

/** JSONL: whole lines as bytes (decoded from UTF-8 by whoever decodes the task). */
async function* jsonlTasks(path: string, limits: ReaderLimits, chunkBytes: number, onBytes?: (n: number) => void): AsyncGenerator<DecodeTask> {
  let carry: Buffer | undefined;
  let line = 1; // line number of the first line in carry (or of the next line)
  let skipping = false; // inside an over-long line: drop bytes up to its end
  let read = 0;
  let first = true;
  for await (const raw of createReadStream(path, { highWaterMark: chunkBytes })) {
    let buf = raw as Buffer;
    read += buf.length;
    onBytes?.(read);
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (skipping) {
      const nl = buf.indexOf(LF);
      if (nl === -1) continue;
      buf = buf.subarray(nl + 1);
      skipping = false;
      line++;
    }
    const last = buf.lastIndexOf(LF);
    if (last === -1) {
      carry = carry ? Buffer.concat([carry, buf]) : Buffer.from(buf);
      if (carry.length > limits.maxRecordBytes) {
        yield { kind: 'json', items: [{ line, error: `line longer than ${limits.maxRecordBytes} bytes`, tooLarge: true }] };
        carry = undefined;
        skipping = true;
      }
      continue;
    }
    const head = buf.subarray(0, last + 1);
    const bytes = new Uint8Array((carry?.length ?? 0) + head.length);
    if (carry) bytes.set(carry, 0);
    bytes.set(head, carry?.length ?? 0);
    carry = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : undefined;
    const firstLine = line;
    line += countLf(bytes);
    yield { kind: 'jsonl', bytes, firstLine };
  }
  if (carry && carry.length > 0 && !skipping) yield { kind: 'jsonl', bytes: new Uint8Array(carry), firstLine: line };
}

function countLf(b: Uint8Array): number {
  let k = 0;
  for (let i = b.indexOf(LF); i !== -1; i = b.indexOf(LF, i + 1)) k++;
  return k;
}

/** Splits text chunks into items and groups them into tasks of about `chunk` characters. */
async function* textTasks<T extends JsonItem | CsvItem>(
  path: string,
  chunkBytes: number,
  onBytes: ((n: number) => void) | undefined,
  splitter: { push(text: string): T[]; end(): T[] },
  size: (item: T) => number,
): AsyncGenerator<T[]> {
  let items: T[] = [];
  let chars = 0;
  let first = true;
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  stream.setEncoding('utf8');
  const take = (batch: T[]) => {
    for (const it of batch) {
      items.push(it);
      chars += size(it);
    }
  };
  for await (const piece of stream) {
    let text = piece as string;
    onBytes?.(stream.bytesRead);
    if (first) {
      first = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    take(splitter.push(text));
    if (chars >= chunkBytes || items.length >= 4096) {
      yield items;
      items = [];
      chars = 0;
    }
  }
  take(splitter.end());
  if (items.length > 0) yield items;
}

async function* jsonTasks(path: string, limits: ReaderLimits, chunkBytes: number, onBytes?: (n: number) => void): AsyncGenerator<DecodeTask> {
  const splitter = new JsonSplitter(limits.maxRecordBytes);
  for await (const items of textTasks(path, chunkBytes, onBytes, splitter, (it) => ('text' in it ? it.text.length : 64))) {
    yield { kind: 'json', items };
  }
}

/** CSV: the first record is the header (checked here, so a bad header fails the file before anything is sent). */
async function* csvTasks(path: string, limits: ReaderLimits, chunkBytes: number, onBytes?: (n: number) => void): AsyncGenerator<DecodeTask> {
  const parser = new CsvParser(limits.maxRecordBytes);
  let header: string[] | undefined;
  const size = (it: CsvItem) => ('fields' in it ? it.fields.reduce((a, f) => a + f.length + 1, 0) : 64);
  for await (const items of textTasks(path, chunkBytes, onBytes, parser, size)) {
    let rows = items;
    if (!header) {
      const h = rows[0]!;
      if ('error' in h) throw new FileFormatError(path, h.line, `the header row is not valid CSV: ${h.error}`);
      try {
        compileCsvHeader(h.fields);
      } catch (err) {
        throw new FileFormatError(path, h.line, (err as Error).message);
      }
      header = h.fields;
      rows = rows.slice(1);
    }
    if (rows.length > 0) yield { kind: 'csv', header, items: rows };
  }
}
