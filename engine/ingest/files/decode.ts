/**
 * Turns the raw units the splitters cut from a file (JSONL lines, JSON values, CSV rows) into records.
 * Pure and synchronous, so the same code runs in the reading thread (readRecords) or in decode workers
 * (the replay's fast path, see decode-pool.ts), which send back encoded SwapReport bytes.
 */
import { SwapReport } from '../../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../../record/json.js';
import { compileCsvHeader, type CsvHeader } from './csv-columns.js';
import type { CsvItem } from './csv-parser.js';
import type { JsonItem } from './json-splitter.js';
import { ByteSink, Transcoder } from './transcode.js';
import { FILE_RULES, type FileIssue } from './types.js';

/** A slice of a file, in file order. */
export type DecodeTask =
  /** Whole JSONL lines (UTF-8, BOM removed), the first being line firstLine. */
  | { kind: 'jsonl'; bytes: Uint8Array<ArrayBuffer>; firstLine: number }
  /** Values of a JSON file (or the splitter's rejections). */
  | { kind: 'json'; items: JsonItem[] }
  /** CSV rows (or the parser's rejections) under a header. */
  | { kind: 'csv'; header: string[]; items: CsvItem[] };

export interface RecordSink {
  record(line: number, report: SwapReport): void;
  reject(line: number, issues: FileIssue[]): void;
}

/** One JSON text (a JSONL line or a JSON value) to a record or its rejection. */
export function decodeJsonText(text: string, line: number, sink: RecordSink): void {
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch (err) {
    sink.reject(line, [{ rule: FILE_RULES.syntax, path: '', message: `not valid JSON: ${(err as Error).message}` }]);
    return;
  }
  const decoded = reportFromJson(value);
  if (decoded.ok) sink.record(line, decoded.report);
  else sink.reject(line, decoded.issues.map((i) => ({ rule: FILE_RULES.schema, path: i.path, message: i.message })));
}

const headers = new Map<string, CsvHeader>();

function csvHeader(names: string[]): CsvHeader {
  const key = names.join('\u0000');
  let h = headers.get(key);
  if (!h) {
    h = compileCsvHeader(names);
    if (headers.size > 16) headers.clear();
    headers.set(key, h);
  }
  return h;
}

const decoder = new TextDecoder('utf-8');

export function decodeTask(task: DecodeTask, sink: RecordSink): void {
  switch (task.kind) {
    case 'jsonl': {
      const text = decoder.decode(task.bytes);
      let line = task.firstLine;
      let from = 0;
      while (from < text.length) {
        let to = text.indexOf('\n', from);
        if (to === -1) to = text.length;
        const end = to > from && text.charCodeAt(to - 1) === 13 ? to - 1 : to;
        if (!isBlank(text, from, end)) decodeJsonText(text.slice(from, end), line, sink);
        line++;
        from = to + 1;
      }
      return;
    }
    case 'json':
      for (const item of task.items) {
        if ('text' in item) decodeJsonText(item.text, item.line, sink);
        else sink.reject(item.line, [{ rule: item.tooLarge ? FILE_RULES.size : FILE_RULES.syntax, path: '', message: item.error }]);
      }
      return;
    case 'csv': {
      const header = csvHeader(task.header);
      const width = header.columns.length;
      for (const item of task.items) {
        if ('error' in item) {
          sink.reject(item.line, [{ rule: item.tooLarge ? FILE_RULES.size : FILE_RULES.syntax, path: '', message: item.error }]);
        } else if (item.fields.length !== width) {
          sink.reject(item.line, [{ rule: FILE_RULES.fields, path: '', message: `${item.fields.length} fields, but the header has ${width}` }]);
        } else {
          const r = header.decode(item.fields);
          if (r.ok) sink.record(item.line, r.report);
          else sink.reject(item.line, r.issues);
        }
      }
      return;
    }
  }
}

function isBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** A decoded slice: encoded SwapReports (one buffer, transferable between threads) and rejections. */
export interface EncodedChunk {
  /** Line of each record, in file order. */
  lines: Float64Array<ArrayBuffer>;
  /** Record i is bytes[ends[i-1] ?? 0, ends[i]). */
  ends: Uint32Array<ArrayBuffer>;
  bytes: Uint8Array<ArrayBuffer>;
  rejects: { line: number; issues: FileIssue[] }[];
}

let transcoder: Transcoder | undefined;

/**
 * Decodes a task into encoded records: JSON records through the transcoder (transcode.ts) when they are
 * the plain case, everything else (and CSV) through the strict path, which yields the same bytes' meaning.
 */
export function encodeTask(task: DecodeTask): EncodedChunk {
  transcoder ??= new Transcoder();
  const t = transcoder;
  const sink = new ByteSink(task.kind === 'jsonl' ? Math.max(1024, task.bytes.length >> 1) : 64 * 1024);
  const lines: number[] = [];
  const ends: number[] = [];
  const rejects: EncodedChunk['rejects'] = [];
  const strict: RecordSink = {
    record(line, report) {
      sink.append(SwapReport.encode(report).finish());
      lines.push(line);
      ends.push(sink.pos);
    },
    reject(line, issues) {
      rejects.push({ line, issues });
    },
  };
  const fast = (bytes: Uint8Array, from: number, to: number, line: number): boolean => {
    if (!t.record(bytes, from, to, sink)) return false;
    lines.push(line);
    ends.push(sink.pos);
    return true;
  };
  switch (task.kind) {
    case 'jsonl': {
      const bytes = task.bytes;
      let line = task.firstLine;
      let from = 0;
      while (from < bytes.length) {
        let to = bytes.indexOf(10, from);
        if (to === -1) to = bytes.length;
        const end = to > from && bytes[to - 1] === 13 ? to - 1 : to;
        if (!isBlankBytes(bytes, from, end) && !fast(bytes, from, end, line)) decodeJsonText(decoder.decode(bytes.subarray(from, end)), line, strict);
        line++;
        from = to + 1;
      }
      break;
    }
    case 'json':
      for (const item of task.items) {
        if (!('text' in item)) decodeTask({ kind: 'json', items: [item] }, strict);
        else {
          const bytes = Buffer.from(item.text, 'utf8');
          if (!fast(bytes, 0, bytes.length, item.line)) decodeJsonText(item.text, item.line, strict);
        }
      }
      break;
    case 'csv':
      decodeTask(task, strict);
      break;
  }
  return { lines: Float64Array.from(lines), ends: Uint32Array.from(ends), bytes: sink.take(), rejects };
}

function isBlankBytes(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
