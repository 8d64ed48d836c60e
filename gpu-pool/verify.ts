/**
 * Checks that ONNX Runtime computes what the reference scorers compute, on real feature rows, before a
 * version is registered (and in the parity test). Agreement is |onnx - reference| <= tol · max(1, |reference|):
 * absolute near 0, relative for the large scores of far-out rows (float32 graphs against float64 sums).
 */
import * as ort from 'onnxruntime-node';
import { MODEL_NAMES, type ModelName } from './ensemble.js';
import { FEATURE_COUNT } from './features/table.js';
import { MODEL_FILES } from './manifest.js';
import { INPUT, OUTPUT } from './onnx/names.js';
import { scoreModels, type TrainedModels } from './train.js';

export const PARITY_TOLERANCE = 1e-5;

export interface Parity {
  /** Largest |onnx - reference| / max(1, |reference|) per model. */
  maxError: Record<ModelName, number>;
  rows: number;
  ok: boolean;
}

export async function onnxScores(model: Uint8Array, rows: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = await session.run({ [INPUT]: new ort.Tensor('float32', rows.subarray(0, n * FEATURE_COUNT), [n, FEATURE_COUNT]) });
    return out[OUTPUT]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export async function checkParity(models: TrainedModels, files: Record<string, Uint8Array>, rows: Float32Array, n: number, tol = PARITY_TOLERANCE): Promise<Parity> {
  const reference = scoreModels(models, rows, n);
  const maxError = {} as Record<ModelName, number>;
  for (const m of MODEL_NAMES) {
    const onnx = await onnxScores(files[MODEL_FILES[m]]!, rows, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const ref = reference[m][i]!;
      const err = Math.abs(onnx[i]! - ref) / Math.max(1, Math.abs(ref));
      if (!(err <= worst)) worst = err; // NaN counts as the worst
    }
    maxError[m] = worst;
  }
  return { maxError, rows: n, ok: MODEL_NAMES.every((m) => maxError[m] <= tol) };
}
