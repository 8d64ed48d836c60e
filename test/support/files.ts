import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecords } from '../../engine/ingest/files/read-records.js';
import type { FileRecord } from '../../engine/ingest/files/types.js';

/** Writes `content` to a fresh temporary file called `name` and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'swaprep-files-')), name);
  writeFileSync(path, content);
  return path;
}

/** Every record of a file, read with a small chunk size so that records straddle reads. */
export async function readAll(path: string, chunkBytes = 7): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for await (const r of readRecords(path, { chunkBytes })) out.push(r);
  return out;
}

/** Compact view for assertions: [line, actionType or first issue "RULE path"]. */
export function summary(records: FileRecord[]): [number, string][] {
  return records.map((r) => ['report' in r ? r.line : r.line, 'report' in r ? `ok ${r.report.uniqueTransactionIdentifier ?? ''}` : `${r.issues[0]!.rule} ${r.issues[0]!.path}`]);
}
