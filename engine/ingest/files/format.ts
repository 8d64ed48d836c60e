import { basename, extname } from 'node:path';
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

/** What replay writes beside an input; never read back as input. */
export const OUTPUT_SUFFIXES = ['.rejects.csv', '.summary.json'] as const;

/**
 * Whether a file is one replay reads when walking a directory or watching one: a supported extension, not
 * one of replay's own outputs, not hidden (dotfiles are the usual temporary names of a write-then-rename).
 */
export function isRecordFile(path: string): boolean {
  const name = basename(path);
  if (name.startsWith('.')) return false;
  if (OUTPUT_SUFFIXES.some((s) => name.endsWith(s))) return false;
  return BY_EXTENSION[extname(name).toLowerCase()] !== undefined;
}
