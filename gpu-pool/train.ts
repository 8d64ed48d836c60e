/**
 * Training and evaluation of one model version from a flow of events (synthetic, the database, or a file):
 *
 *  1. The flow is replayed in order through the feature code; the first part (80%) gives the training rows.
 *  2. The rest is held out, alternately into a validation and a test split. Into both, anomalies of each
 *     kind are planted (a held-out event is replaced by a broken copy of itself with probability `plantRate`
 *     per kind); the broken copy is scored as it would arrive while the feature state continues from the
 *     genuine event, so an anomaly does not also make the trade's next event look odd.
 *  3. The three models are trained on the training rows; the ensemble is normalised on them and its alert
 *     threshold set there; its three weights are chosen on the validation split (planted anomalies and
 *     analyst-confirmed events); every model and the ensemble are evaluated on the test split, overall and
 *     per kind, and on analyst labels when there are any.
 *  4. The models are exported to ONNX.
 *
 * The reference scorers do the evaluation; the exported graphs are checked against them separately
 * (verify.ts) before a version is registered.
 */
import { randomBytes } from 'node:crypto';
import { featurize, FeatureState, type EventContext } from './features/featurize.js';
import { inputFromReport } from './features/input.js';
import { DEVIATION_FEATURES, FEATURE_COUNT, FEATURES, FEATURES_VERSION } from './features/table.js';
import { trainIsolationForest, scoreIsolationForest, nodeCount, type IsolationForest } from './models/iforest.js';
import { trainAutoencoder, scoreAutoencoder, parameterCount, defaultAutoencoderOptions, type Autoencoder, type AutoencoderOptions } from './models/autoencoder.js';
import { trainZScore, scoreZScore, type ZScoreModel } from './models/zscore.js';
import { fitScaler, type Scaler } from './models/scaler.js';
import { Rng } from './models/rng.js';
import { chooseEnsemble, ensembleScores, fitEnsemble, fitNormalizers, MODEL_NAMES, DEFAULT_ALERT_RATE, type ModelName } from './ensemble.js';
import { quality, quantile } from './metrics.js';
import { ANOMALY_KINDS, plantAnomaly, type AnomalyKind } from './sample/anomalies.js';
import type { FlowEvent } from './sample/synthetic.js';
import { exportAutoencoder, exportIsolationForest, exportZScore } from './onnx/export.js';
import { MODEL_FILES, REFERENCE_FILE, TAIL_RATES, type Evaluation, type ModelManifest, type ModelQuality, type ReferenceParams, type ScalerParams } from './manifest.js';

export interface TrainOptions {
  seed: number;
  holdoutFraction: number;
  /** Probability, per anomaly kind, that a held-out event is replaced by an anomaly of that kind. */
  plantRate: number;
  iforest: { trees: number; sampleSize: number };
  autoencoder: AutoencoderOptions;
  /** The autoencoder and scaler train on at most this many rows (evenly spaced over the training part). */
  maxTrainRows: number;
  alertRate: number;
  /** Where the events came from, recorded in the manifest ("synthetic", "db", a file name). */
  source: string;
}

export const defaultTrainOptions: TrainOptions = {
  seed: 1,
  holdoutFraction: 0.2,
  plantRate: 0.01,
  iforest: { trees: 100, sampleSize: 256 },
  autoencoder: defaultAutoencoderOptions,
  maxTrainRows: 100_000,
  alertRate: DEFAULT_ALERT_RATE,
  source: 'synthetic',
};

/** A flow event that may carry an analyst's verdict. */
export interface TrainEvent extends FlowEvent {
  verdict?: 'confirmed' | 'dismissed';
}

export interface TrainedModels {
  iforest: IsolationForest;
  autoencoder: Autoencoder;
  zscore: ZScoreModel;
}

export interface TrainedVersion {
  manifest: ModelManifest;
  files: Record<string, Uint8Array>;
  models: TrainedModels;
}

export type Log = (message: string) => void;

function scalerParams(s: Scaler): ScalerParams {
  return { center: Array.from(s.center), scale: Array.from(s.scale), clip: s.clip };
}

export function referenceParams(m: TrainedModels): ReferenceParams {
  return {
    zscore: { ...scalerParams(m.zscore.scaler), weights: Array.from(m.zscore.weights) },
    autoencoder: {
      scaler: scalerParams(m.autoencoder.scaler),
      layers: m.autoencoder.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, relu: l.relu, weights: Array.from(l.weights), bias: Array.from(l.bias) })),
    },
  };
}

export function scoreModels(m: TrainedModels, rows: Float32Array, n: number): Record<ModelName, Float64Array> {
  return {
    iforest: scoreIsolationForest(m.iforest, rows, n),
    autoencoder: scoreAutoencoder(m.autoencoder, rows, n),
    zscore: scoreZScore(m.zscore, rows, n),
  };
}

function contextOf(e: FlowEvent): EventContext {
  return { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version };
}

/** Rows [start, end) spaced evenly to at most `max` rows (a view when nothing needs dropping). */
function subsample(rows: Float32Array, n: number, max: number): { rows: Float32Array; n: number } {
  if (n <= max) return { rows: rows.subarray(0, n * FEATURE_COUNT), n };
  const out = new Float32Array(max * FEATURE_COUNT);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * n) / max);
    out.set(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), k * FEATURE_COUNT);
  }
  return { rows: out, n: max };
}

/** A sortable, unique id: creation time plus random bits (not the seeded stream: equal seeds must not collide). */
function versionId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `v${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Rows of one evaluation split with their planted kinds (undefined = genuine event). */
interface LabelledRows {
  rows: Float32Array;
  n: number;
  kinds: (AnomalyKind | undefined)[];
  /** Analyst verdicts of the split's genuine events (by row). */
  verdicts: Map<number, 'confirmed' | 'dismissed'>;
}

function newSplit(capacity: number): LabelledRows {
  return { rows: new Float32Array(capacity * FEATURE_COUNT), n: 0, kinds: [], verdicts: new Map() };
}

/** Groups for ensemble selection: planted kinds, and analyst-confirmed events as one more group. */
function groupsOf(split: LabelledRows): (string | undefined)[] {
  return split.kinds.map((k, i) => k ?? (split.verdicts.get(i) === 'confirmed' ? 'analyst_confirmed' : undefined));
}

/** Everything of steps 1-4. `events` must be in arrival order. */
export function trainAndEvaluate(events: readonly TrainEvent[], options: TrainOptions = defaultTrainOptions, log: Log = () => {}): TrainedVersion {
  const started = Date.now();
  const f = FEATURE_COUNT;
  const rng = new Rng(options.seed);
  const plantRng = rng.fork();
  if (events.length < 100) throw new Error(`training needs at least 100 events, got ${events.length}`);
  const nTrain = Math.floor(events.length * (1 - options.holdoutFraction));
  const state = new FeatureState();

  // 1. Training rows (analyst-confirmed anomalies are kept out of what "normal" means).
  const trainRows = new Float32Array(nTrain * f);
  let kept = 0;
  const scratch = new Float32Array(f);
  for (let i = 0; i < nTrain; i++) {
    const e = events[i]!;
    featurize(state, inputFromReport(e.report), contextOf(e), scratch, 0);
    if (e.verdict === 'confirmed') continue;
    trainRows.set(scratch, kept * f);
    kept++;
  }
  log(`featurised ${nTrain} training events (${kept} rows) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // 2. Held-out events, alternately into a validation split (chooses the ensemble weights) and a test split
  // (the figures reported), both with planted anomalies and covering the same stretch of time.
  const nHeld = events.length - nTrain;
  const validation = newSplit(Math.ceil(nHeld / 2));
  const test = newSplit(Math.ceil(nHeld / 2));
  const counterparties = [...new Set(events.slice(0, nTrain).map((e) => e.report.counterparty2).filter((c): c is string => c !== undefined))];
  // Small held-out sets (a file of a few hundred records) get a higher planting rate, so that every kind
  // appears at all; the evaluation of such a set is indicative only.
  const plantRate = Math.max(options.plantRate, Math.min(0.04, 30 / nHeld));
  for (let i = 0; i < nHeld; i++) {
    const e = events[nTrain + i]!;
    const split = i % 2 === 0 ? validation : test;
    let report = e.report;
    let kind: AnomalyKind | undefined;
    for (const k of ANOMALY_KINDS) {
      if (kind !== undefined || plantRng.next() >= plantRate) continue;
      const broken = plantAnomaly(k, report, plantRng, {
        hasPrevious: e.version > 1 || (e.report.actionType !== undefined && e.report.actionType !== 'NEWT'),
        otherCounterparty: counterparties.length > 0 ? plantRng.pick(counterparties) : 'X'.repeat(20),
      });
      if (broken) {
        report = broken;
        kind = k;
      }
    }
    const at = split.n++;
    if (kind !== undefined) {
      // The anomaly is scored as it would arrive, but the state continues from the genuine event.
      featurize(state, inputFromReport(report), contextOf(e), split.rows, at * f, false);
      featurize(state, inputFromReport(e.report), contextOf(e), scratch, 0);
    } else {
      featurize(state, inputFromReport(report), contextOf(e), split.rows, at * f);
      if (e.verdict) split.verdicts.set(at, e.verdict);
    }
    split.kinds.push(kind);
  }
  const planted = (s: LabelledRows) => s.kinds.filter((k) => k !== undefined).length;
  log(`featurised ${nHeld} held-out events: validation ${validation.n} (${planted(validation)} planted), test ${test.n} (${planted(test)} planted)`);

  // 3. Models.
  const fit = subsample(trainRows, kept, options.maxTrainRows);
  const scaler = fitScaler(fit.rows, fit.n, f);
  const zscore = trainZScore(scaler, f, DEVIATION_FEATURES);
  let t = Date.now();
  const iforest = trainIsolationForest(trainRows.subarray(0, kept * f), kept, f, { ...options.iforest, seed: options.seed + 1, features: DEVIATION_FEATURES });
  log(`isolation forest: ${iforest.trees.length} trees, ${nodeCount(iforest)} nodes in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  let finalLoss = NaN;
  const autoencoder = trainAutoencoder(fit.rows, fit.n, f, scaler, { ...options.autoencoder, seed: options.seed + 2 }, (p) => {
    finalLoss = p.loss;
    if (p.epoch % 5 === 4 || p.epoch === options.autoencoder.epochs - 1) log(`autoencoder epoch ${p.epoch + 1}: loss ${p.loss.toFixed(4)}`);
  });
  log(`autoencoder trained in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const models: TrainedModels = { iforest, autoencoder, zscore };

  // Ensemble: normalisers and threshold from the training rows, weights from the validation split.
  const trainScores = scoreModels(models, fit.rows, fit.n);
  const normalizers = fitNormalizers(trainScores);
  const validationScores = scoreModels(models, validation.rows, validation.n);
  const choice = chooseEnsemble(normalizers, validationScores, groupsOf(validation));
  log(`ensemble: ${choice.combine} of ${MODEL_NAMES.map((m) => `${m} x${choice.weights[m]}`).join(', ')} (validation objective ${choice.objective.toFixed(3)})`);
  // The alert threshold: a quantile of the ensemble score over the validation split's genuine events, the
  // most recent events with a warm feature state (the training rows start cold, with small product windows
  // and noisier deviations, and would set it too high); the training rows when the split is too small.
  const isGenuine = validation.kinds.map((k, i) => k === undefined && validation.verdicts.get(i) !== 'confirmed');
  const core = { normalizers, weights: choice.weights, combine: choice.combine };
  const calibration =
    isGenuine.filter(Boolean).length >= 1000
      ? ensembleScores(core, validationScores, validation.n).filter((_, i) => isGenuine[i])
      : ensembleScores(core, trainScores, fit.n);
  const ensemble = { ...fitEnsemble(trainScores, fit.n, options.alertRate, choice.weights, choice.combine, normalizers), threshold: quantile(calibration, 1 - options.alertRate) };
  const tail = TAIL_RATES.map((rate) => ({ rate, threshold: quantile(calibration, 1 - rate) }));

  // Evaluation on the test split.
  const testScores = scoreModels(models, test.rows, test.n);
  const testEnsemble = ensembleScores(ensemble, testScores, test.n);
  const labels = test.kinds.map((k) => k !== undefined);
  const evaluate = (scores: ArrayLike<number>): ModelQuality => {
    const byKind: ModelQuality['byKind'] = {};
    for (const k of ANOMALY_KINDS) {
      // Each kind against all genuine events: which kinds a model catches.
      const idx: number[] = [];
      test.kinds.forEach((tk, i) => (tk === undefined || tk === k) && idx.push(i));
      if (idx.some((i) => test.kinds[i] === k)) byKind[k] = quality(idx.map((i) => scores[i]!), idx.map((i) => test.kinds[i] === k));
    }
    return { overall: quality(scores, labels), byKind };
  };
  const plantedByKind: Evaluation['plantedByKind'] = {};
  for (const k of test.kinds) if (k) plantedByKind[k] = (plantedByKind[k] ?? 0) + 1;
  let normals = 0;
  let normalsAbove = 0;
  test.kinds.forEach((k, i) => {
    if (k !== undefined) return;
    normals++;
    if (testEnsemble[i]! > ensemble.threshold) normalsAbove++;
  });
  const evaluation: Evaluation = {
    heldOutEvents: test.n,
    plantedAnomalies: labels.filter(Boolean).length,
    plantedByKind,
    models: {
      iforest: evaluate(testScores.iforest),
      autoencoder: evaluate(testScores.autoencoder),
      zscore: evaluate(testScores.zscore),
      ensemble: evaluate(testEnsemble),
    },
    heldOutAlertRate: normals > 0 ? normalsAbove / normals : NaN,
    validationEvents: validation.n,
  };
  const verdicts = [...validation.verdicts.values(), ...test.verdicts.values()];
  if (verdicts.length > 0) {
    // Labelled events of the test split are the honest figure; validation ones helped choose the weights.
    const idx = [...test.verdicts.keys()];
    const confirmed = idx.filter((i) => test.verdicts.get(i) === 'confirmed').length;
    evaluation.analystLabels = {
      confirmed: verdicts.filter((v) => v === 'confirmed').length,
      dismissed: verdicts.filter((v) => v === 'dismissed').length,
      ...(confirmed > 0 && confirmed < idx.length
        ? { ensemble: quality(idx.map((i) => testEnsemble[i]!), idx.map((i) => test.verdicts.get(i) === 'confirmed')) }
        : {}),
    };
  }

  // 4. Files.
  const files: Record<string, Uint8Array> = {
    [MODEL_FILES.iforest]: exportIsolationForest(iforest),
    [MODEL_FILES.autoencoder]: exportAutoencoder(autoencoder),
    [MODEL_FILES.zscore]: exportZScore(zscore),
    [REFERENCE_FILE]: new TextEncoder().encode(JSON.stringify(referenceParams(models))),
  };
  const now = new Date();
  const manifest: ModelManifest = {
    versionId: versionId(now),
    createdAt: now.toISOString(),
    featuresVersion: FEATURES_VERSION,
    featureNames: FEATURES.map((x) => x.name),
    files: { ...MODEL_FILES },
    ensemble: { ...ensemble, tail },
    models: {
      iforest: { trees: iforest.trees.length, sampleSize: iforest.sampleSize, nodes: nodeCount(iforest), bytes: files[MODEL_FILES.iforest]!.length },
      autoencoder: {
        layers: [f, ...autoencoder.layers.map((l) => l.outputs)],
        parameters: parameterCount(autoencoder),
        epochs: options.autoencoder.epochs,
        finalLoss,
        bytes: files[MODEL_FILES.autoencoder]!.length,
      },
      zscore: { features: DEVIATION_FEATURES.length, bytes: files[MODEL_FILES.zscore]!.length },
    },
    training: { source: options.source, events: events.length, trainRows: kept, seed: options.seed, seconds: (Date.now() - started) / 1000, options },
    evaluation,
  };
  return { manifest, files, models };
}

/** A compact text table of an evaluation (for `swaprep train` and the bench log). */
export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');
  const lines = [`held-out events ${e.heldOutEvents}, planted anomalies ${e.plantedAnomalies} (${Object.entries(e.plantedByKind).map(([k, v]) => `${k} ${v}`).join(', ')})`];
  lines.push(`${'model'.padEnd(12)} ${'ROC-AUC'.padStart(7)} ${'PR-AUC'.padStart(7)} ${'R@1%FPR'.padStart(7)}   recall@1%FPR by kind`);
  for (const [name, q] of Object.entries(e.models)) {
    const kinds = Object.entries(q.byKind).map(([k, v]) => `${k} ${pct(v.recallAt1PctFpr)}`).join(', ');
    lines.push(`${name.padEnd(12)} ${pct(q.overall.rocAuc).padStart(7)} ${pct(q.overall.prAuc).padStart(7)} ${pct(q.overall.recallAt1PctFpr).padStart(7)}   ${kinds}`);
  }
  lines.push(`alert rate on held-out genuine events: ${(e.heldOutAlertRate * 100).toFixed(2)}%`);
  if (e.analystLabels) {
    const a = e.analystLabels;
    lines.push(`analyst labels: ${a.confirmed} confirmed, ${a.dismissed} dismissed${a.ensemble ? `; ensemble ROC-AUC ${pct(a.ensemble.rocAuc)}` : ''}`);
  }
  return lines.join('\n');
}
