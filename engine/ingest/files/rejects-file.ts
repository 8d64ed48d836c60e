/**
 * The rejects file written beside an input (`trades.jsonl` → `trades.jsonl.rejects.csv`): one row per
 * finding of every rejected record, whether the reader rejected it (rule FILE-*, no seq: it never reached
 * the engine) or the engine did (its rule, element and seq). Columns:
 *
 *   line,seq,rule,element,severity,path,message
 *
 * Rows come in the order the rejections are known, not sorted by line. Line ends inside messages are
 * written as spaces so that every row is one line (grep-able).
 *
 * A resumed replay (the engine had acknowledged up to seq W) keeps the engine's rows for seq <= W from the
 * previous file, since those records are not sent again; the reader's own rows are written afresh by
 * every run (re-reading the file finds them again).
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { csvCell } from '../../csv-cell.js';
import { CsvParser } from './csv-parser.js';

export const REJECTS_HEADER = ['line', 'seq', 'rule', 'element', 'severity', 'path', 'message'] as const;

export interface RejectRow {
  line: number;
  seq?: number;
  rule: string;
  element?: string;
  severity: 'error' | 'warning';
  path: string;
  message: string;
}

/** One line per row: line ends become spaces; then the engine's shared CSV cell (formula-neutralised, quoted). */
function csvField(v: string): string {
  return csvCell(v.replace(/\r\n|\r|\n/g, ' '));
}

export class RejectsFile {
  private out: WriteStream | undefined;
  private rows = 0;
  private failed: Error | undefined;

  private constructor(readonly path: string) {}

  /** Starts the file for a run that resumes after seq `resumeAfter` (0: a fresh run). */
  static async open(path: string, resumeAfter: number): Promise<RejectsFile> {
    const f = new RejectsFile(path);
    if (!existsSync(path)) return f;
    if (resumeAfter <= 0) {
      rmSync(path, { force: true });
      return f;
    }
    const prev = `${path}.prev`;
    renameSync(path, prev);
    await f.copyEngineRows(prev, resumeAfter);
    rmSync(prev, { force: true });
    return f;
  }

  get rowCount(): number {
    return this.rows;
  }

  write(row: RejectRow): void {
    if (this.failed) throw this.failed;
    if (!this.out) {
      this.out = createWriteStream(this.path, { flags: 'w' });
      this.out.on('error', (err) => (this.failed ??= err));
      this.out.write(REJECTS_HEADER.join(',') + '\n');
    }
    this.rows++;
    this.out.write(
      [String(row.line), row.seq !== undefined ? String(row.seq) : '', row.rule, row.element ?? '', row.severity, row.path, row.message].map(csvField).join(',') + '\n',
    );
  }

  /** Resolves when the file's write buffer has room again (call between chunks: a file of bad lines must not pile up in memory). */
  async ready(): Promise<void> {
    if (this.out?.writableNeedDrain) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    if (!this.out) return;
    this.out.end();
    await once(this.out, 'close');
    if (this.failed) throw new Error(`writing ${this.path}: ${this.failed.message}`);
  }

  private async copyEngineRows(prev: string, upToSeq: number): Promise<void> {
    const parser = new CsvParser();
    let header = true;
    const take = (items: ReturnType<CsvParser['push']>) => {
      for (const it of items) {
        if (header) {
          header = false;
          continue;
        }
        if (!('fields' in it) || it.fields.length !== REJECTS_HEADER.length) continue;
        const [line, seq, rule, element, severity, path, message] = it.fields as [string, string, string, string, string, string, string];
        if (seq === '' || Number(seq) > upToSeq) continue;
        this.write({ line: Number(line), seq: Number(seq), rule, element, severity: severity === 'warning' ? 'warning' : 'error', path, message });
      }
    };
    const stream = createReadStream(prev, { encoding: 'utf8' });
    for await (const text of stream) {
      take(parser.push(text as string));
      if (this.out?.writableNeedDrain) await once(this.out, 'drain');
    }
    take(parser.end());
  }
}
