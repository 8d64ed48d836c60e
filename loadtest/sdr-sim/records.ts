/**
 * The simulator's view of a submitted record: one value per data-element column (the CSV column names of
 * engine/reports), whichever channel and format it came in. JSON records are decoded with the canonical codec
 * (an unknown field or a wrong JSON type is a schema error) and flattened with the same column table.
 */
import { parseJsonLossless, reportFromJson } from '../../engine/record/json.js';
import { csvColumns, parseCsvLine } from '../../engine/reports/index.js';
import { compileCsvWriter } from '../../engine/reports/csv.js';
import type { ReportRegime } from '../../engine/reports/types.js';

/** Column name -> value (absent columns have no entry). */
export type FlatRecord = Map<string, string>;

export type Parsed = { ok: true; row: FlatRecord } | { ok: false; errors: { code: string; message: string }[] };

const writers = new Map<ReportRegime, (rec: Record<string, unknown>, ctx: null) => string>();
const names = new Map<ReportRegime, string[]>();

function columnNames(regime: ReportRegime): string[] {
  let n = names.get(regime);
  if (!n) names.set(regime, (n = csvColumns(regime).map((c) => c.name)));
  return n;
}

/** Flattens a JSON record (text, or a value from parseJsonLossless: decimals kept exact) for a regime. */
export function flattenJson(regime: ReportRegime, value: unknown): Parsed {
  let v = value;
  if (typeof value === 'string') {
    try {
      v = parseJsonLossless(value);
    } catch (err) {
      return { ok: false, errors: [{ code: 'SCH-002', message: `not JSON: ${(err as Error).message}` }] };
    }
  }
  const decoded = reportFromJson(v);
  if (!decoded.ok) return { ok: false, errors: decoded.issues.slice(0, 20).map((i) => ({ code: 'SCH-002', message: `${i.path}: ${i.message}` })) };
  let w = writers.get(regime);
  if (!w) writers.set(regime, (w = compileCsvWriter<null>(regime)));
  return fromCells(columnNames(regime), parseCsvLine(w(decoded.report as unknown as Record<string, unknown>, null)));
}

/** Flattens one CSV data row given the file's header cells (after the submission id column). */
export function flattenCsv(regime: ReportRegime, header: readonly string[], cells: readonly string[]): Parsed {
  const known = new Set(columnNames(regime));
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length > 0) return { ok: false, errors: [{ code: 'SCH-003', message: `unknown columns: ${unknown.slice(0, 5).join(', ')}` }] };
  if (cells.length !== header.length) return { ok: false, errors: [{ code: 'SCH-004', message: `row has ${cells.length} fields, header ${header.length}` }] };
  return fromCells(header, cells);
}

function fromCells(header: readonly string[], cells: readonly string[]): Parsed {
  const row: FlatRecord = new Map();
  for (let i = 0; i < header.length; i++) if (cells[i] !== undefined && cells[i] !== '') row.set(header[i]!, cells[i]!);
  return { ok: true, row };
}
