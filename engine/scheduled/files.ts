/**
 * Report files: made on schedule or on demand, written as CSV, kept with their metadata (report_file) so they
 * can be listed and downloaded later (the HTTP API reads them through listReportFiles / readReportFile).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { csvCell } from '../csv-cell.js';
import { buildReport, type BuildOptions, type ReportKind, type ReportTable } from './kinds.js';

export interface ReportFile {
  id: number;
  kind: string;
  reportDate: string;
  path: string;
  format: string;
  rows: number;
  bytes: number;
  sha256: string;
  createdAt: string;
  createdBy: string;
  /** The repository whose channel delivers it, if any, and whether it has been: 'pending' until then. */
  deliveryTarget: string | null;
  deliveryStatus: 'pending' | 'delivered' | null;
  deliveredAt: string | null;
}

export function toCsv(t: ReportTable): string {
  const line = (cells: readonly (string | number | null)[]) => cells.map((c) => (c === null ? '' : csvCell(String(c)))).join(',');
  return [line(t.header), ...t.rows.map(line)].join('\n') + '\n';
}

/**
 * Builds report `kind` for day `date`, writes it to `out` (default: under `dir`), records it, returns its metadata.
 * With `deliverTo`, it is recorded as pending delivery to that repository in the same row (deliverPending sends it).
 */
export async function makeReportFile(db: pg.Pool, kind: ReportKind, date: string,
  opts: { out?: string; dir?: string; createdBy: string; nowMs?: number; build?: BuildOptions; deliverTo?: string }): Promise<ReportFile> {
  const table = await buildReport(db, kind, date, opts.build);
  const text = toCsv(table);
  const path = opts.out ?? join(opts.dir ?? 'reports', date, `${kind}-${date}.csv`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const { rows } = await db.query<RawFile>(
    `INSERT INTO report_file (kind, report_date, path, format, rows, bytes, sha256, created_by, created_at, delivery_target, delivery_status)
     VALUES ($1, $2, $3, 'csv', $4, $5, $6, $7, $8::timestamptz, $9, CASE WHEN $9::text IS NULL THEN NULL ELSE 'pending' END) RETURNING *`,
    [kind, date, path, table.rows.length, Buffer.byteLength(text), sha256, opts.createdBy, new Date(opts.nowMs ?? Date.now()).toISOString(), opts.deliverTo ?? null],
  );
  return toFile(rows[0]!);
}

interface RawFile {
  id: string; kind: string; report_date: Date | string; path: string; format: string; rows: number; bytes: string; sha256: string; created_at: Date; created_by: string;
  delivery_target: string | null; delivery_status: 'pending' | 'delivered' | null; delivered_at: Date | null;
}

function toFile(r: RawFile): ReportFile {
  const d = typeof r.report_date === 'string' ? r.report_date : `${r.report_date.getFullYear()}-${String(r.report_date.getMonth() + 1).padStart(2, '0')}-${String(r.report_date.getDate()).padStart(2, '0')}`;
  return { id: Number(r.id), kind: r.kind, reportDate: d, path: r.path, format: r.format, rows: r.rows, bytes: Number(r.bytes), sha256: r.sha256, createdAt: r.created_at.toISOString(), createdBy: r.created_by,
    deliveryTarget: r.delivery_target, deliveryStatus: r.delivery_status, deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null };
}

export async function listReportFiles(db: pg.Pool | pg.ClientBase, filter: { kind?: string; date?: string } = {}): Promise<ReportFile[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.kind) where.push(`kind = $${args.push(filter.kind)}`);
  if (filter.date) where.push(`report_date = $${args.push(filter.date)}`);
  const { rows } = await db.query<RawFile>(`SELECT * FROM report_file ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`, args);
  return rows.map(toFile);
}

/** A kept file's content, checked against its recorded hash (a changed file is an error, not a silent download). */
export async function readReportFile(db: pg.Pool | pg.ClientBase, id: number): Promise<{ file: ReportFile; content: Buffer } | undefined> {
  const { rows } = await db.query<RawFile>('SELECT * FROM report_file WHERE id = $1', [id]);
  if (!rows[0]) return undefined;
  const file = toFile(rows[0]);
  const content = readFileSync(file.path);
  if (createHash('sha256').update(content).digest('hex') !== file.sha256) throw new Error(`report file ${id} (${file.path}) changed since it was made`);
  return { file, content };
}
