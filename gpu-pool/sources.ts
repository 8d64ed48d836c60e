/**
 * Where training and offline scoring get their events: record files (the corpus JSON shape, one record per
 * .json file or one per line of a .jsonl file, or a directory of them), the engine's event log, or the
 * synthetic sampler.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type pg from 'pg';
import { SwapReport } from '../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../engine/record/json.js';
import type { TrainEvent } from './train.js';
import { defaultCorpusDir, loadRecords, productTemplates } from './sample/templates.js';
import { syntheticFlow } from './sample/synthetic.js';
import { FlowGenerator, type FlowConfig } from '../loadtest/generator.js';

export interface FileRecord {
  file: string;
  /** Position in the file (0 for a .json file, the line's record index for .jsonl). */
  index: number;
  report: SwapReport | undefined;
  /** Why the record could not be read. */
  error?: string;
}

function decode(value: unknown): { report?: SwapReport; error?: string } {
  const d = reportFromJson(value);
  return d.ok ? { report: d.report } : { error: d.issues.map((i) => `${i.path || '(record)'}: ${i.message}`).join('; ') };
}

/** The records of one file (.jsonl: one per non-empty line; .json: one record, or an array of records). */
export function readRecordFile(file: string): FileRecord[] {
  const text = readFileSync(file, 'utf8');
  const out: FileRecord[] = [];
  if (file.endsWith('.jsonl') || file.endsWith('.ndjson')) {
    let index = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const d = decode(parseJsonLossless(line));
        out.push({ file, index, report: d.report, ...(d.error ? { error: d.error } : {}) });
      } catch (err) {
        out.push({ file, index, report: undefined, error: `not JSON: ${(err as Error).message}` });
      }
      index++;
    }
    return out;
  }
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch (err) {
    return [{ file, index: 0, report: undefined, error: `not JSON: ${(err as Error).message}` }];
  }
  const values = Array.isArray(value) ? value : [value];
  values.forEach((v, index) => {
    const d = decode(v);
    out.push({ file, index, report: d.report, ...(d.error ? { error: d.error } : {}) });
  });
  return out;
}

/** Files named, directories expanded to their .json/.jsonl files (sorted, recursively). */
export function expandFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const q = join(p, name);
        if (statSync(q).isDirectory() || /\.(jsonl?|ndjson)$/.test(name)) walk(q);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

/**
 * Records of files as a flow: one source per file, trade key = UTI (else 'USI:' + USI), version counted per
 * trade, receive time = the reporting timestamp (else the previous record's), in file order.
 */
export function fileFlow(records: readonly FileRecord[]): TrainEvent[] {
  const versions = new Map<string, number>();
  let lastMs = Date.UTC(2026, 0, 1);
  const out: TrainEvent[] = [];
  for (const r of records) {
    if (!r.report) continue;
    const key = r.report.uniqueTransactionIdentifier ?? (r.report.uniqueSwapIdentifier !== undefined ? 'USI:' + r.report.uniqueSwapIdentifier : `${r.file}#${r.index}`);
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    const reported = Date.parse(r.report.reportingTimestamp ?? '');
    if (Number.isFinite(reported)) lastMs = reported;
    out.push({ report: r.report, sourceId: `file:${basename(r.file)}`, receivedAtMs: lastMs, tradeKey: key, version });
  }
  return out;
}

/**
 * The load generator's flow (loadtest/generator.ts), its valid events without planted anomalies (the evaluation
 * plants its own): what the engine scores under `swaprep loadtest`, `swaprep replay` of generated files and the
 * benchmarks. Received when reported.
 *
 * Taken as `STRETCHES` flows of one source each, starting every three hours of a day, their events interleaved in
 * runs of `RUN` (each source's in order): one flow of 20,000 events at 500 a second covers 40 seconds, and a model
 * trained on it took every later time of day for an anomaly (`time_of_day_sin` was the top feature of 74% of the
 * flags in a 1,000,000-line replay spanning half an hour). The held-out tail of the interleaved events covers the
 * whole day too.
 *
 * At 100 events a second rather than the generator's 500, so that each stretch's source lives 25 seconds: a source's
 * 10-second rate reads low against its 10-minute rate in its first seconds (its latest reporting time runs ahead by
 * the longest reporting lag), and sources 5 seconds old taught the model that `source_burst` sits at -0.17. Every
 * long-running source (an FEP, a replayed file, a load test) sits near 0, and the bootstrap flagged 2.3 to 3.9% of
 * load tests' events for it. 100 a second is also where `source_rate_log` is capped, as busy sources are.
 */
export function generatorEvents(events: number, seed: number, config: Partial<FlowConfig> = {}): TrainEvent[] {
  const STRETCHES = 8;
  const RUN = 500;
  const EVENTS_PER_SECOND = 100;
  const dayMs = Date.UTC(2024, 3, 1);
  const stretches = Array.from({ length: STRETCHES }, (_, k) => {
    const n = Math.floor(events / STRETCHES) + (k < events % STRETCHES ? 1 : 0);
    const versions = new Map<string, number>();
    const out: TrainEvent[] = [];
    const flow = new FlowGenerator({ startMs: dayMs + k * 3 * 3_600_000, eventsPerSecond: EVENTS_PER_SECOND, ...config, seed: seed * STRETCHES + k, invalidRate: 0, anomalyRate: 0 });
    for (const e of flow.take(n)) {
      const version = (versions.get(e.tradeKey) ?? 0) + 1;
      versions.set(e.tradeKey, version);
      out.push({ report: e.report, sourceId: `generator-${k}`, receivedAtMs: Date.parse(e.report.reportingTimestamp ?? ''), tradeKey: e.tradeKey, version });
    }
    return out;
  });
  const out: TrainEvent[] = [];
  for (let at = 0; out.length < events; at += RUN) for (const s of stretches) out.push(...s.slice(at, at + RUN));
  return out;
}

/** The synthetic sampler over the corpus templates. */
export function syntheticEvents(events: number, seed: number, corpusDir = defaultCorpusDir()): TrainEvent[] {
  return [...syntheticFlow(productTemplates(loadRecords(corpusDir)), { seed, events })];
}

/** The most recent `limit` events of the event log, oldest first, with analysts' latest verdicts. */
export async function databaseEvents(db: pg.Pool, limit: number): Promise<TrainEvent[]> {
  const r = await db.query<{ source_id: string; seq: string; received_at: Date; trade_key: string | null; version: number | null; report: Buffer; verdict: string | null }>(
    `SELECT e.source_id, e.seq, e.received_at, e.trade_key, e.version, e.report,
            (SELECT l.verdict FROM review_label l WHERE l.source_id = e.source_id AND l.seq = e.seq ORDER BY l.id DESC LIMIT 1) AS verdict
       FROM (SELECT * FROM event_log WHERE status <> 'rejected' ORDER BY received_at DESC, seq DESC LIMIT $1) e
      ORDER BY e.received_at, e.seq`,
    [limit],
  );
  const out: TrainEvent[] = [];
  for (const row of r.rows) {
    let report: SwapReport;
    try {
      report = SwapReport.decode(row.report);
    } catch {
      continue;
    }
    const e: TrainEvent = {
      report,
      sourceId: row.source_id,
      receivedAtMs: row.received_at.getTime(),
      tradeKey: row.trade_key ?? report.uniqueTransactionIdentifier ?? `${row.source_id}#${row.seq}`,
      version: row.version ?? 1,
    };
    if (row.verdict === 'confirmed' || row.verdict === 'dismissed') e.verdict = row.verdict;
    out.push(e);
  }
  return out;
}
