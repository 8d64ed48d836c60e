/**
 * CSV rows whose columns are the data elements in Technical Specification order.
 *
 * Layout (documented here because a repository's file spec would say it):
 * - one column per element; per-leg elements get one column per leg ("Notional amount-Leg 1", "-Leg 2");
 *   an element with a fixed and a floating variant (day count, payment frequency) is one column per leg
 *   holding whichever variant is present (the rules allow at most one per leg);
 * - header = the element labels of the Technical Specification (TR fields keep their "TR ..." labels);
 * - repeating groups (other payments, notional schedules, clearing swap UTIs) hold their values joined by
 *   ';' in item order;
 * - prices/spreads (PriceFormat) hold the value of whichever notation key is set (the notation is its
 *   own element);
 * - booleans are `true`/`false`; decimals are written exactly as held; RFC 4180 quoting, values unchanged: these
 *   lines go to the repository as the report itself (files for people neutralise formulas: engine/csv-cell.ts).
 */
import { rfc4180Field } from '../csv-cell.js';
import type { DataElement } from '../rules/elements.js';
import { elementsOf, propPath } from './profiles.js';
import type { ReportRegime } from './types.js';
import type { ValueOverride } from './json-writer.js';

export interface CsvColumn {
  /** Header text. */
  readonly name: string;
  /** CFTC data element number, or 'TR'. */
  readonly de: number | 'TR';
  /** Property paths read, first present wins ("[]" marks a repeated group). */
  readonly paths: readonly string[];
}

const PRICE_KEYS = ['monetary', 'percentage', 'decimal', 'basis'] as const;

/** The columns of a regime's CSV, in Technical Specification order. */
export function csvColumns(regime: ReportRegime): CsvColumn[] {
  const cols: CsvColumn[] = [];
  for (const e of elementsOf(regime)) cols.push(...columnsOf(e));
  return cols;
}

function columnsOf(e: DataElement): CsvColumn[] {
  const de = e.de as number | 'TR';
  const leg1 = e.paths.filter((p) => p.startsWith('leg1.'));
  const leg2 = e.paths.filter((p) => p.startsWith('leg2.'));
  const rest = e.paths.filter((p) => !p.startsWith('leg1.') && !p.startsWith('leg2.'));
  const out: CsvColumn[] = [];
  if (rest.length > 0) out.push({ name: e.label, de, paths: rest });
  if (leg1.length > 0) out.push({ name: `${e.label}-Leg 1`, de, paths: leg1 });
  if (leg2.length > 0) out.push({ name: `${e.label}-Leg 2`, de, paths: leg2 });
  return out;
}

/** One cell of a report line: RFC 4180, the value as reported. */
export const csvField = rfc4180Field;

export function csvHeader(regime: ReportRegime): string {
  return csvColumns(regime).map((c) => csvField(c.name)).join(',');
}

/** Text of one scalar or PriceFormat value, or undefined when absent. */
function cellText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const k of PRICE_KEYS) if (typeof o[k] === 'string') return o[k] as string;
  }
  return undefined;
}

type Getter<C> = (rec: Record<string, unknown>, ctx: C) => string | undefined;

/** A getter for one table path, applying an override to string values at that path. */
function pathGetter<C>(tablePath: string, override: ValueOverride<C> | undefined): Getter<C> {
  const segs = tablePath.split('.').map((s) => ({ name: s.replace('[]', ''), repeated: s.endsWith('[]') }));
  const apply = (v: unknown, ctx: C): string | undefined => {
    const t = cellText(v);
    return t !== undefined && override !== undefined && typeof v === 'string' ? override(t, ctx) : t;
  };
  // Collects every value reached by the path (more than one only through repeated segments).
  const walk = (node: unknown, i: number, ctx: C, out: string[]): void => {
    if (node === undefined || node === null) return;
    if (i === segs.length) {
      const t = apply(node, ctx);
      if (t !== undefined) out.push(t);
      return;
    }
    const seg = segs[i]!;
    const next = (node as Record<string, unknown>)[seg.name];
    if (seg.repeated) {
      if (Array.isArray(next)) for (const item of next) walk(item, i + 1, ctx, out);
    } else {
      walk(next, i + 1, ctx, out);
    }
  };
  if (segs.every((s) => !s.repeated)) {
    // The common case: a plain property chain, read without allocating.
    const names = segs.map((s) => s.name);
    return (rec, ctx) => {
      let node: unknown = rec;
      for (let i = 0; i < names.length && node !== undefined && node !== null; i++) node = (node as Record<string, unknown>)[names[i]!];
      return node === undefined || node === null ? undefined : apply(node, ctx);
    };
  }
  return (rec, ctx) => {
    const out: string[] = [];
    walk(rec, 0, ctx, out);
    return out.length === 0 ? undefined : out.join(';');
  };
}

/**
 * Compiles the row writer of a regime: record -> one CSV line (no line end). Generated code, like the JSON
 * writer (json-writer.ts explains why): plain property chains are read inline, one monomorphic site each;
 * repeated groups and overridden paths go through their compiled getter.
 */
export function compileCsvWriter<C>(regime: ReportRegime, overrides: ReadonlyMap<string, ValueOverride<C>> = new Map()): (rec: Record<string, unknown>, ctx: C) => string {
  const helpers: Getter<C>[] = [];
  const parts: string[] = [];
  const columns = csvColumns(regime);
  columns.forEach((c, i) => {
    const exprs = c.paths.map((p) => {
      const override = overrides.get(propPath(p));
      if (p.includes('[]') || override) {
        helpers.push(pathGetter<C>(p, override));
        return `G[${helpers.length - 1}](m, ctx)`;
      }
      // m?.["a"]?.["b"]: names come from the element table, written as JSON string literals.
      const chain = p.split('.').map((seg) => `?.[${JSON.stringify(seg)}]`).join('');
      return `T(m${chain})`;
    });
    const value = exprs.length === 1 ? exprs[0]! : exprs.reduce((acc, e) => `(${acc}) ?? (${e})`);
    parts.push(`${i > 0 ? "s += ',';" : ''} v = ${value}; if (v !== undefined) s += F(v);`);
  });
  const source = `return function row(m, ctx) { let s = ''; let v; ${parts.join('\n')} return s; };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the element table's paths (see above)
  return new Function('G', 'T', 'F', source)(helpers, cellText, csvField) as (rec: Record<string, unknown>, ctx: C) => string;
}

/** Splits one CSV line into fields (RFC 4180, no embedded line ends: rows are written one per line). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted CSV field');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
    } else {
      const c = line.indexOf(',', i);
      out.push(c < 0 ? line.slice(i) : line.slice(i, c));
      if (c < 0) return out;
      i = c;
    }
    if (i >= line.length) return out;
    if (line[i] !== ',') throw new Error(`unexpected character after quoted CSV field at ${i}`);
    i++;
    if (i === line.length) {
      out.push('');
      return out;
    }
  }
}
