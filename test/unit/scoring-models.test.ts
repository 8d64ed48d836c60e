// The three models: training sanity, ONNX export (a real ONNX file, decoded back), and agreement between
// ONNX Runtime (real CPU sessions) and each model's JavaScript reference scorer on real feature rows.
import { describe, expect, it } from 'vitest';
import { ModelProto } from '../../proto/gen/onnx.js';
import { MODEL_FILES } from '../../gpu-pool/manifest.js';
import { checkParity, onnxScores, PARITY_TOLERANCE } from '../../gpu-pool/verify.js';
import { FEATURE_COUNT } from '../../gpu-pool/features/table.js';
import { averagePathLength, scoreIsolationForest, trainIsolationForest } from '../../gpu-pool/models/iforest.js';
import { trainAutoencoder } from '../../gpu-pool/models/autoencoder.js';
import { fitScaler } from '../../gpu-pool/models/scaler.js';
import { Rng } from '../../gpu-pool/models/rng.js';
import { exportIsolationForest } from '../../gpu-pool/onnx/export.js';
import { averagePrecision, recallAtFpr, rocAuc } from '../../gpu-pool/metrics.js';
import { fitNormalizer, surprise } from '../../gpu-pool/ensemble.js';
import { ANOMALY_KINDS, plantAnomaly } from '../../gpu-pool/sample/anomalies.js';
import { featurize, FeatureState } from '../../gpu-pool/features/featurize.js';
import { inputFromReport } from '../../gpu-pool/features/input.js';
import { loadRecords, defaultCorpusDir } from '../../gpu-pool/sample/templates.js';
import { rowsOf, smallVersion } from './scoring-helpers.js';

describe('ONNX export', () => {
  it('writes ONNX files that decode as ModelProto with the expected graphs', () => {
    const { version } = smallVersion();
    const forest = ModelProto.decode(version.files[MODEL_FILES.iforest]!);
    expect(forest.irVersion).toBe(8);
    expect(forest.opsetImport).toEqual(expect.arrayContaining([{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }]));
    expect(forest.graph!.node.map((n) => n.opType)).toEqual(['TreeEnsembleRegressor', 'Mul', 'Exp', 'Reshape']);
    const ae = ModelProto.decode(version.files[MODEL_FILES.autoencoder]!);
    expect(ae.graph!.node.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Clip', 'Gemm', 'Relu', 'Gemm', 'Gemm', 'Relu', 'Gemm', 'Sub', 'Mul', 'ReduceMean']);
    const keepdims = ae.graph!.node.at(-1)!.attribute.find((a) => a.name === 'keepdims')!;
    // keepdims = 0 must be on the wire (proto3 would drop a plain 0): see proto/onnx.proto.
    expect(keepdims.i).toBe(0);
    const z = ModelProto.decode(version.files[MODEL_FILES.zscore]!);
    expect(z.graph!.node.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Clip', 'Mul', 'Mul', 'ReduceMax']);
    expect(z.metadataProps).toContainEqual({ key: 'swaprep.model', value: 'zscore' });
  });
});

describe('ONNX Runtime agrees with the reference scorers', () => {
  it(`within ${PARITY_TOLERANCE} on synthetic flow rows, corpus rows and planted anomalies`, async () => {
    const { version, events } = smallVersion();
    // Real rows: the tail of the synthetic flow, every corpus record, and each kind of anomaly.
    const flowRows = rowsOf(events.slice(-1500));
    const corpus = loadRecords(defaultCorpusDir());
    const state = new FeatureState();
    const rng = new Rng(9);
    const extra: Float32Array[] = [];
    for (const r of corpus) {
      const row = new Float32Array(FEATURE_COUNT);
      featurize(state, inputFromReport(r), { sourceId: 'corpus', receivedAtMs: 0, tradeKey: undefined }, row);
      extra.push(row);
    }
    for (const e of events.slice(-300)) {
      for (const k of ANOMALY_KINDS) {
        const broken = plantAnomaly(k, e.report, rng, { hasPrevious: e.version > 1, otherCounterparty: '5493C00000000000999900' });
        if (!broken) continue;
        const row = new Float32Array(FEATURE_COUNT);
        featurize(state, inputFromReport(broken), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey }, row, 0, false);
        extra.push(row);
      }
    }
    const n = flowRows.length / FEATURE_COUNT + extra.length;
    const rows = new Float32Array(n * FEATURE_COUNT);
    rows.set(flowRows);
    extra.forEach((r, i) => rows.set(r, flowRows.length + i * FEATURE_COUNT));
    const parity = await checkParity(version.models, version.files, rows, n);
    expect(parity.rows).toBeGreaterThan(2000);
    for (const [model, err] of Object.entries(parity.maxError)) expect(err, model).toBeLessThanOrEqual(PARITY_TOLERANCE);
  });

  it('scores batches of any size, including one row', async () => {
    const { version, events } = smallVersion();
    const rows = rowsOf(events.slice(0, 3));
    const one = await onnxScores(version.files[MODEL_FILES.zscore]!, rows, 1);
    const three = await onnxScores(version.files[MODEL_FILES.zscore]!, rows, 3);
    expect(one.length).toBe(1);
    expect(three[0]).toBeCloseTo(one[0]!, 6);
  });
});

describe('isolation forest', () => {
  it('gives isolated points shorter paths than the bulk', async () => {
    const rng = new Rng(1);
    const n = 2000;
    const f = FEATURE_COUNT;
    const rows = new Float32Array((n + 1) * f);
    for (let i = 0; i < n * f; i++) rows[i] = rng.normal();
    for (let j = 0; j < f; j++) rows[n * f + j] = 8;
    const forest = trainIsolationForest(rows, n, f, { trees: 50, sampleSize: 256, seed: 2 });
    const s = scoreIsolationForest(forest, rows, n + 1);
    const bulk = Array.from(s.subarray(0, n)).sort((a, b) => a - b);
    expect(s[n]!).toBeGreaterThan(bulk[n - 1]!);
    expect(averagePathLength(256)).toBeCloseTo(10.24, 1);
    const onnx = await onnxScores(exportIsolationForest(forest), rows, n + 1);
    expect(Math.abs(onnx[n]! - s[n]!)).toBeLessThan(1e-6);
  });
});

describe('autoencoder', () => {
  it('lowers its reconstruction loss with training', () => {
    const { events } = smallVersion();
    const rows = rowsOf(events.slice(0, 3000));
    const scaler = fitScaler(rows, 3000, FEATURE_COUNT);
    const losses: number[] = [];
    trainAutoencoder(rows, 3000, FEATURE_COUNT, scaler, { hidden: 16, code: 4, epochs: 4, batchSize: 128, learningRate: 2e-3, seed: 1 }, (p) => losses.push(p.loss));
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.8);
  });
});

describe('metrics and normalisation', () => {
  it('computes ROC-AUC, average precision and recall at a false-positive rate', () => {
    const scores = [0.1, 0.2, 0.3, 0.4, 0.9, 0.8];
    const labels = [false, false, false, false, true, true];
    expect(rocAuc(scores, labels)).toBe(1);
    expect(averagePrecision(scores, labels)).toBe(1);
    expect(rocAuc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
    expect(recallAtFpr([0, 0.1, 0.2, 5, 0.15], [false, false, false, true, true], 0.01)).toBe(0.5);
  });

  it('maps scores to surprise: 1 at the 90th percentile, 2 at the 99th, growing beyond', () => {
    const scores = Array.from({ length: 10001 }, (_, i) => i);
    const nrm = fitNormalizer(scores);
    expect(surprise(nrm, 9000)).toBeCloseTo(1, 2);
    expect(surprise(nrm, 9900)).toBeCloseTo(2, 2);
    expect(surprise(nrm, 20000)).toBeGreaterThan(3);
    expect(surprise(nrm, 0)).toBe(0);
  });
});
