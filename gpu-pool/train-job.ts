/**
 * One training run end to end, shared by `swaprep train`, the service's bootstrap and its scheduled
 * retraining: load events (synthetic, database or files), train and evaluate, check that ONNX Runtime agrees
 * with the reference scorers on real rows (a version that fails is never registered).
 */
import pg from 'pg';
import { FEATURE_COUNT } from './features/table.js';
import { featurize, FeatureState } from './features/featurize.js';
import { inputFromReport } from './features/input.js';
import { databaseEvents, expandFiles, fileFlow, generatorEvents, readRecordFile, syntheticEvents } from './sources.js';
import { defaultTrainOptions, trainAndEvaluate, type Log, type TrainedVersion, type TrainEvent, type TrainOptions } from './train.js';
import { checkParity, type Parity } from './verify.js';

export type TrainSource = { kind: 'synthetic' | 'generator'; events: number; seed: number } | { kind: 'db'; databaseUrl: string; events: number } | { kind: 'files'; paths: string[] };

export interface TrainJob {
  source: TrainSource;
  options?: Partial<TrainOptions>;
}

export interface TrainJobResult {
  version: TrainedVersion;
  parity: Parity;
}

export async function loadTrainEvents(source: TrainSource): Promise<TrainEvent[]> {
  switch (source.kind) {
    case 'synthetic':
      return syntheticEvents(source.events, source.seed);
    case 'generator':
      return generatorEvents(source.events, source.seed);
    case 'files':
      return fileFlow(expandFiles(source.paths).flatMap(readRecordFile));
    case 'db': {
      const db = new pg.Pool({ connectionString: source.databaseUrl, max: 1 });
      try {
        return await databaseEvents(db, source.events);
      } finally {
        await db.end();
      }
    }
  }
}

function sourceName(s: TrainSource): string {
  return s.kind === 'files' ? s.paths.join(',') : s.kind;
}

export async function runTrainJob(job: TrainJob, log: Log = () => {}): Promise<TrainJobResult> {
  const events = await loadTrainEvents(job.source);
  log(`${events.length} events from ${sourceName(job.source)}`);
  const options: TrainOptions = { ...defaultTrainOptions, source: sourceName(job.source), ...job.options };
  const version = trainAndEvaluate(events, options, log);
  // Parity on the last events of the flow, featurised in order.
  const tail = events.slice(-2000);
  const state = new FeatureState();
  const rows = new Float32Array(tail.length * FEATURE_COUNT);
  tail.forEach((e, i) => featurize(state, inputFromReport(e.report), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, rows, i * FEATURE_COUNT));
  const parity = await checkParity(version.models, version.files, rows, tail.length);
  if (!parity.ok) throw new Error(`ONNX Runtime disagrees with the reference scorers: ${JSON.stringify(parity.maxError)}`);
  log(`ONNX Runtime agrees with the reference scorers on ${parity.rows} rows (max error ${Math.max(...Object.values(parity.maxError)).toExponential(1)})`);
  return { version, parity };
}
