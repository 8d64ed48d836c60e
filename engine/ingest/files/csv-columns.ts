/**
 * CSV columns of the canonical record. The header row names each column by its JSON path in the DRR flat
 * shape, so a CSV row maps onto the same JSON object a JSON file would hold and goes through the same strict
 * decoder (engine/record/json.ts):
 *
 *   leg1.notionalAmount                  a scalar inside a nested object
 *   otherPayment[0].amount               a member of the first element of a repeated group (0-based index)
 *   clearingSwapUTIs[1]                  the second element of a repeated scalar
 *   nonReportable.preUpiData             a free-form (Struct) field: the cell holds JSON text
 *   leg1 / otherPayment                  any object or repeated group as a whole: the cell holds JSON text
 *
 * An empty cell means "not populated" (as an absent JSON key). Booleans are true/false (any case), int32
 * fields integers; anything else is passed on as text, so a wrong value is reported by the decoder with
 * its path, never guessed. Indices need not be contiguous: absent elements are dropped, order is kept.
 */
import { parseJsonLossless, reportFromJson } from '../../record/json.js';
import { buildSchema, type FieldSpec, type MessageSpec } from '../../record/schema.js';
import { FILE_RULES, type FileIssue } from './types.js';
import type { SwapReport } from '../../../proto/gen/swap_report.js';

type Step = { key: string; index?: number };
type CellKind = 'text' | 'bool' | 'int32' | 'json';

interface Column {
  readonly path: string;
  readonly steps: readonly Step[];
  readonly kind: CellKind;
}

export type CsvRowResult = { ok: true; report: SwapReport } | { ok: false; issues: FileIssue[] };

export interface CsvHeader {
  readonly columns: readonly Column[];
  /** Decodes one row (exactly one cell per column; the caller checks the count). */
  decode(row: readonly string[]): CsvRowResult;
}

let schema: MessageSpec | undefined;
const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(0|[1-9][0-9]{0,5})\])?$/;
const INT = /^[+-]?[0-9]+$/;

/** Compiles a header row; throws an Error naming each column that is not a path of the record. */
export function compileCsvHeader(names: readonly string[]): CsvHeader {
  schema ??= buildSchema();
  const problems: string[] = [];
  const columns: Column[] = [];
  const seen = new Map<string, number>();
  names.forEach((raw, i) => {
    const path = raw.trim();
    const where = `column ${i + 1} "${path}"`;
    if (path === '') return void problems.push(`${where}: empty column name`);
    const c = compileColumn(path);
    if (typeof c === 'string') return void problems.push(`${where}: ${c}`);
    const key = canonical(c.steps);
    if (seen.has(key)) return void problems.push(`${where}: same field as column ${seen.get(key)! + 1}`);
    seen.set(key, i);
    columns.push(c);
  });
  // A column that holds a whole object (JSON) cannot be combined with columns inside that object.
  const keys = [...seen.keys()];
  for (const a of keys) for (const b of keys) if (a !== b && (b.startsWith(a + '.') || b.startsWith(a + '['))) problems.push(`column "${a}" holds JSON for a field that column "${b}" sets too`);
  if (problems.length > 0) throw new Error(`CSV header: ${problems.join('; ')}`);
  return { columns, decode: (row) => decodeRow(columns, row) };
}

function canonical(steps: readonly Step[]): string {
  return steps.map((s, i) => (i > 0 ? '.' : '') + s.key + (s.index !== undefined ? `[${s.index}]` : '')).join('');
}

function compileColumn(path: string): Column | string {
  const steps: Step[] = [];
  let spec: MessageSpec | undefined = schema;
  let field: FieldSpec | undefined;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const m = SEGMENT.exec(segments[i]!);
    if (!m) return `"${segments[i]}" is not a field name or name[index]`;
    if (!spec) return `"${segments.slice(0, i).join('.')}" has no fields (it is not an object)`;
    field = spec.fields.find((f) => f.jsonName === m[1]);
    if (!field) return `no field "${m[1]}" in ${spec.typeName}`;
    const index = m[2] !== undefined ? Number(m[2]) : undefined;
    if (index !== undefined && !field.repeated) return `"${m[1]}" is not a repeated field, so it takes no [index]`;
    const last = i === segments.length - 1;
    // Below a repeated field the path must pick an element; at the end, no index means "the whole array as JSON".
    if (!last && field.repeated && index === undefined) return `"${m[1]}" is repeated: write ${m[1]}[0].… to pick an element`;
    steps.push(index !== undefined ? { key: m[1]!, index } : { key: m[1]! });
    spec = field.kind === 'message' ? field.message : undefined;
  }
  const f = field!;
  const whole = f.repeated && steps[steps.length - 1]!.index === undefined;
  let kind: CellKind;
  if (whole || f.kind === 'message' || f.kind === 'struct') kind = 'json';
  else if (f.kind === 'bool') kind = 'bool';
  else if (f.kind === 'int32') kind = 'int32';
  else kind = 'text';
  return { path, steps, kind };
}

function cellValue(kind: CellKind, cell: string, path: string, issues: FileIssue[]): unknown {
  switch (kind) {
    case 'text':
      return cell;
    case 'bool': {
      const lower = cell.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : cell; // the decoder names the type error
    }
    case 'int32':
      return INT.test(cell) ? Number(cell) : cell;
    case 'json':
      try {
        return parseJsonLossless(cell);
      } catch (err) {
        issues.push({ rule: FILE_RULES.syntax, path, message: `cell is not valid JSON: ${(err as Error).message}` });
        return undefined;
      }
  }
}

function decodeRow(columns: readonly Column[], row: readonly string[]): CsvRowResult {
  const root: Record<string, unknown> = {};
  const issues: FileIssue[] = [];
  let sparse: unknown[][] | undefined;
  for (let c = 0; c < columns.length; c++) {
    const cell = row[c]!;
    if (cell === '') continue;
    const col = columns[c]!;
    const value = cellValue(col.kind, cell, col.path, issues);
    if (value === undefined) continue;
    let node: Record<string, unknown> = root;
    const steps = col.steps;
    for (let s = 0; s < steps.length; s++) {
      const { key, index } = steps[s]!;
      const last = s === steps.length - 1;
      if (index === undefined) {
        if (last) node[key] = value;
        else node = (node[key] ??= {}) as Record<string, unknown>;
        continue;
      }
      let arr = node[key] as unknown[] | undefined;
      if (arr === undefined) node[key] = arr = [];
      if (index > arr.length) (sparse ??= []).push(arr);
      if (last) arr[index] = value;
      else node = (arr[index] ??= {}) as Record<string, unknown>;
    }
  }
  if (sparse) for (const arr of sparse) compact(arr);
  if (issues.length > 0) return { ok: false, issues };
  const decoded = reportFromJson(root);
  if (decoded.ok) return decoded;
  return { ok: false, issues: decoded.issues.map((i) => ({ rule: FILE_RULES.schema, path: i.path, message: i.message })) };
}

/** Drops the holes left by non-contiguous indices, in place, keeping order. */
function compact(arr: unknown[]): void {
  let w = 0;
  for (let r = 0; r < arr.length; r++) if (r in arr && arr[r] !== undefined) arr[w++] = arr[r];
  arr.length = w;
}
