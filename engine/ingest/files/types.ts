/**
 * What the file readers produce. A file is a sequence of records, each located by the line it starts on
 * (1-based, counted in the file as stored, BOM excluded). A record either decodes into the canonical
 * SwapReport or is a client-side rejection that names its line, the rule and the field.
 */
import type { SwapReport } from '../../../proto/gen/swap_report.js';

/** Rule ids of the rejections a reader makes itself, before anything reaches the engine. */
export const FILE_RULES = {
  /** The line (JSONL), element (JSON) or record (CSV) is not well-formed JSON or CSV. */
  syntax: 'FILE-SYNTAX',
  /** Well-formed, but not a SwapReport: unknown key, wrong JSON type, non-object (path names the field). */
  schema: 'FILE-SCHEMA',
  /** A CSV record whose number of fields differs from the header's. */
  fields: 'FILE-FIELDS',
  /** A line or record larger than the reader's limit (it is skipped, not buffered). */
  size: 'FILE-SIZE',
} as const;

export type FileRule = (typeof FILE_RULES)[keyof typeof FILE_RULES];

export interface FileIssue {
  rule: FileRule;
  /** JSON path of the offending field ("" when the record as a whole is at fault). */
  path: string;
  message: string;
}

export type FileRecord = { line: number; report: SwapReport } | { line: number; issues: FileIssue[] };

export type FileFormat = 'json' | 'jsonl' | 'csv';

/**
 * The file as a whole cannot be read as records (unsupported extension, a CSV header naming an unknown
 * field, an I/O error). Bad records never raise this: they become rejections.
 */
export class FileFormatError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, message: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
    this.name = 'FileFormatError';
  }
}

/** Limits that keep memory bounded whatever the input (a 10 GB single line must not be buffered). */
export interface ReaderLimits {
  /** Longest JSONL line / JSON element / CSV record, in bytes (UTF-16 code units for JSON and CSV). */
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxRecordBytes: 16 * 1024 * 1024 };
