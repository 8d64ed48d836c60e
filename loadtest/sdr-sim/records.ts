/**
 * The simulator's view of a submitted record: one value per data-element column (the CSV column names of
 * engine/reports), whichever channel and format it came in. JSON records are decoded with the canonical codec
 * (an unknown field or a wrong JSON type is a schema error) and flattened with the same column table.
 */
import { parseJsonLossless, reportFromJson } from '../../engine/record/json.js';
import { csvColumns } from '../../engine/reports/index.js';
import { COL } from './columns.js';
import type { ReportRegime, SwapReport } from '../../engine/reports/types.js';

/** Column name -> value (absent columns have no entry). */
export type FlatRecord = Map<string, string>;

/** A JSON record also keeps its decoded report: the public tape (public-tape.ts) disseminates from it. */
export type Parsed = { ok: true; row: FlatRecord; report?: SwapReport } | { ok: false; errors: { code: string; message: string }[] };

const names = new Map<ReportRegime, string[]>();

function columnNames(regime: ReportRegime): string[] {
  let n = names.get(regime);
  if (!n) names.set(regime, (n = csvColumns(regime).map((c) => c.name)));
  return n;
}

/**
 * The columns the repository's checks and state read (checks.ts COL): a JSON record is decoded in full (the
 * schema check) but only these cells are taken from it, by their element-table paths. Writing and re-parsing a
 * whole CSV row per record cost more than the checks themselves at 100,000 records/s.
 */
const picks = new Map<ReportRegime, { name: string; get: (m: Record<string, unknown>) => unknown }[]>();

function pickersFor(regime: ReportRegime): { name: string; get: (m: Record<string, unknown>) => unknown }[] {
  let p = picks.get(regime);
  if (p) return p;
  const wanted = new Set<string>(Object.values(COL));
  p = csvColumns(regime).filter((c) => wanted.has(c.name)).map((c) => {
    const chains = c.paths.map((path) => {
      if (path.includes('[]')) throw new Error(`sdr-sim: column ${c.name} reads a repeated group (${path}); pick it from the CSV row instead`);
      return path.split('.');
    });
    return {
      name: c.name,
      get: (m: Record<string, unknown>) => {
        for (const chain of chains) {
          let v: unknown = m;
          for (const k of chain) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[k];
          if (v !== undefined && v !== null) return v;
        }
        return undefined;
      },
    };
  });
  picks.set(regime, p);
  return p;
}

/** Flattens a JSON record (text, or a parsed value: decimals kept exact when parsed losslessly) for a regime. */
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
  const row: FlatRecord = new Map();
  for (const p of pickersFor(regime)) {
    const v = p.get(decoded.report as unknown as Record<string, unknown>);
    if (v !== undefined && v !== '') row.set(p.name, String(v));
  }
  return { ok: true, row, report: decoded.report };
}

/** Whether a JSON text has a number that a double cannot hold exactly (16+ digits): then it is parsed losslessly. */
const LONG_NUMBER = /[:,[]\s*-?\d[\d.]{15,}/;

/**
 * Parses a request body: JSON.parse (native, several times faster) unless a number in it may not survive a
 * double, in which case the lossless parser keeps its digits exactly as written.
 */
export function parseBody(text: string): unknown {
  return LONG_NUMBER.test(text) ? parseJsonLossless(text) : JSON.parse(text);
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
