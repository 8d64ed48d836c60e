/**
 * Writes a synthetic flow to a file in any format replay reads (JSONL, a JSON array, CSV with JSON-path
 * columns), with the labels beside it (`FILE.labels.jsonl`: one line per planted record, with its line),
 * streaming, so a million-line file needs little memory. Used by the replay benchmark and tests:
 *
 *   node dist/loadtest/flow-files.js --out flow.jsonl --count 1000000 [--seed 1] [--invalid-rate 0.01] [--anomaly-rate 0.005]
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSchema, type MessageSpec } from '../engine/record/schema.js';
import { FlowGenerator, type FlowConfig, type GeneratedEvent } from './generator.js';

export type FlowFileFormat = 'jsonl' | 'json' | 'csv';

export interface FlowFileResult {
  records: number;
  invalid: number;
  anomalies: number;
  labelsFile: string;
}

/** Decimal fields' JSON names (text in the record, raw JSON numbers in files, as DRR writes them). */
function decimalNames(): RegExp {
  const decimal = new Set<string>();
  const other = new Set<string>();
  const walk = (m: MessageSpec, seen: Set<MessageSpec>) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const f of m.fields) {
      (f.kind === 'decimal' ? decimal : other).add(f.jsonName);
      if (f.message) walk(f.message, seen);
    }
  };
  walk(buildSchema(), new Set());
  // A name that is a decimal in one message and text in another cannot be told apart by name: left quoted.
  const names = [...decimal].filter((n) => !other.has(n));
  return new RegExp(`"(${names.join('|')})":"(-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?)"`, 'g');
}

let decimalPattern: RegExp | undefined;

/** One record as compact JSON text with decimals as numbers (JSON.stringify and one replace: fast). */
export function flowJsonText(e: GeneratedEvent): string {
  decimalPattern ??= decimalNames();
  return JSON.stringify(e.record).replace(decimalPattern, '"$1":$2');
}

/** Flattened CSV columns of a record: JSON paths to leaf values (arrays indexed, Struct fields as JSON). */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null) {
    out.set(prefix, String(value));
  }
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function writeFlowFile(path: string, count: number, config: Partial<FlowConfig> & { seed: number }, format?: FlowFileFormat): Promise<FlowFileResult> {
  const fmt = format ?? (extname(path) === '.csv' ? 'csv' : extname(path) === '.json' ? 'json' : 'jsonl');
  const out = createWriteStream(path);
  const labelsFile = `${path}.labels.jsonl`;
  const labels = createWriteStream(labelsFile);
  const result: FlowFileResult = { records: 0, invalid: 0, anomalies: 0, labelsFile };
  let header: string[] | undefined;
  if (fmt === 'csv') {
    // A first pass over the same flow finds every column the records use (same seed, same flow).
    const cols = new Set<string>();
    for (const e of new FlowGenerator(config).take(count)) {
      const m = new Map<string, string>();
      flatten(e.record, '', m);
      for (const k of m.keys()) cols.add(k);
    }
    header = [...cols].sort();
    await write(out, header.map(csvField).join(',') + '\r\n');
  }
  if (fmt === 'json') await write(out, '[\n');
  let line = fmt === 'csv' ? 2 : fmt === 'json' ? 2 : 1;
  for (const e of new FlowGenerator(config).take(count)) {
    if (fmt === 'csv') {
      const m = new Map<string, string>();
      flatten(e.record, '', m);
      await write(out, header!.map((h) => csvField(m.get(h) ?? '')).join(',') + '\r\n');
    } else {
      await write(out, (fmt === 'json' && result.records > 0 ? ',\n' : '') + flowJsonText(e) + (fmt === 'jsonl' ? '\n' : ''));
    }
    if (e.invalid || e.anomaly) {
      labels.write(JSON.stringify({ line, n: e.n, uti: e.tradeKey, actionType: e.actionType, ...(e.invalid ? { invalid: e.invalid } : {}), ...(e.anomaly ? { anomaly: e.anomaly } : {}) }) + '\n');
    }
    if (e.invalid) result.invalid++;
    if (e.anomaly) result.anomalies++;
    result.records++;
    line++;
  }
  if (fmt === 'json') await write(out, '\n]\n');
  out.end();
  labels.end();
  await Promise.all([once(out, 'close'), once(labels, 'close')]);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, format: { type: 'string' },
      'invalid-rate': { type: 'string' }, 'anomaly-rate': { type: 'string' },
    },
  });
  if (!values.out || !values.count) {
    process.stderr.write('usage: node dist/loadtest/flow-files.js --out FILE(.jsonl|.json|.csv) --count N [--seed S] [--invalid-rate R] [--anomaly-rate R]\n');
    process.exitCode = 2;
    return;
  }
  const config: Partial<FlowConfig> & { seed: number } = { seed: Number(values.seed ?? 1) };
  if (values['invalid-rate'] !== undefined) config.invalidRate = Number(values['invalid-rate']);
  if (values['anomaly-rate'] !== undefined) config.anomalyRate = Number(values['anomaly-rate']);
  const t0 = Date.now();
  const r = await writeFlowFile(values.out, Number(values.count), config, values.format as FlowFileFormat | undefined);
  process.stderr.write(`${values.out}: ${r.records} records (${r.invalid} invalid, ${r.anomalies} anomalies; labels in ${r.labelsFile}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
