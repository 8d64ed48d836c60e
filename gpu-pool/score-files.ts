/**
 * Offline scoring of record files (`swaprep score`): records are replayed in file order through the feature
 * code (a fresh feature state, as `swaprep train --from FILE` builds it) and scored in batches by the same
 * ONNX scorer the workers use, in this process. One result per record, unreadable records included.
 */
import { FEATURE_COUNT } from './features/table.js';
import { featurize, FeatureState } from './features/featurize.js';
import { inputFromReport } from './features/input.js';
import { fileFlow, readRecordFile, type FileRecord } from './sources.js';
import type { OnnxScorer } from './scorer.js';
import type { TopFeature } from './explain.js';

export interface FileScore {
  file: string;
  index: number;
  uti: string | null;
  score: number | null;
  flagged: boolean;
  top_features: TopFeature[];
  error?: string;
}

const BATCH = 4096;

/** Scores the records of `files` (in order) and hands each result to `emit`. */
export async function scoreFiles(scorer: OnnxScorer, files: readonly string[], emit: (s: FileScore) => void): Promise<{ records: number; flagged: number; errors: number }> {
  const totals = { records: 0, flagged: 0, errors: 0 };
  const state = new FeatureState();
  for (const file of files) {
    const records = readRecordFile(file);
    const flow = fileFlow(records);
    // fileFlow skips unreadable records: walk both in step.
    const good = records.filter((r): r is FileRecord & { report: NonNullable<FileRecord['report']> } => r.report !== undefined);
    for (const r of records) {
      if (!r.report) {
        emit({ file, index: r.index, uti: null, score: null, flagged: false, top_features: [], error: r.error ?? 'unreadable' });
        totals.errors++;
      }
    }
    for (let start = 0; start < good.length; start += BATCH) {
      const n = Math.min(BATCH, good.length - start);
      const rows = new Float32Array(n * FEATURE_COUNT);
      for (let i = 0; i < n; i++) {
        const e = flow[start + i]!;
        featurize(state, inputFromReport(e.report), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, rows, i * FEATURE_COUNT);
      }
      const out = await scorer.score(rows, n);
      const flagged = new Map(out.flagged.map((f) => [f.index, f.top]));
      for (let i = 0; i < n; i++) {
        const r = good[start + i]!;
        const top = flagged.get(i);
        emit({
          file,
          index: r.index,
          uti: r.report.uniqueTransactionIdentifier ?? r.report.uniqueSwapIdentifier ?? null,
          score: Math.round(out.ensemble[i]! * 1e4) / 1e4,
          flagged: top !== undefined,
          top_features: top ?? [],
        });
        totals.records++;
        if (top) totals.flagged++;
      }
    }
  }
  return totals;
}
