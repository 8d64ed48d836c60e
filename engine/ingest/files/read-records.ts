/**
 * The record readers: stream a JSON, JSONL or CSV file and yield each record in file order, decoded into
 * the canonical SwapReport or rejected with its line, rule and field. Bad records never throw; only a file
 * that cannot be read as records at all (unknown extension, bad CSV header, I/O error) does.
 *
 *   for await (const r of readRecords('trades.jsonl')) 'report' in r ? use(r.report) : log(r.line, r.issues);
 *
 * Line numbers: JSONL the line itself; CSV the line a record starts on (a quoted field may span lines; the
 * header is line 1 or the first non-blank line); JSON the line where the record's value (the array element,
 * or the top-level object) starts. Blank lines are not records.
 */
import { decodeTask } from './decode.js';
import { fileTasks, type TaskOptions } from './file-tasks.js';
import { formatOf } from './format.js';
import type { FileFormat, FileRecord } from './types.js';

export async function* readRecords(path: string, options: TaskOptions & { format?: FileFormat } = {}): AsyncGenerator<FileRecord> {
  for await (const task of fileTasks(path, options.format ?? formatOf(path), options)) {
    const out: FileRecord[] = [];
    decodeTask(task, {
      record: (line, report) => out.push({ line, report }),
      reject: (line, issues) => out.push({ line, issues }),
    });
    yield* out;
  }
}
