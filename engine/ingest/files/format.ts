import { extname } from 'node:path';
import { FileFormatError, type FileFormat } from './types.js';

const BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
};

/** The reader for a file, by its extension (case-insensitive). */
export function formatOf(path: string): FileFormat {
  const format = BY_EXTENSION[extname(path).toLowerCase()];
  if (!format) throw new FileFormatError(path, undefined, `unsupported file type "${extname(path)}": expected .json, .jsonl, .ndjson or .csv`);
  return format;
}

/** Whether a path has one of the extensions replay reads (used by directory walks and watch mode). */
export function isRecordFile(path: string): boolean {
  return BY_EXTENSION[extname(path).toLowerCase()] !== undefined;
}
