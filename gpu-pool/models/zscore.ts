/**
 * The robust z-score model: per feature, how many robust standard deviations the event is from the
 * training median (clipped), and the score is the mean of the squared z over all features. A diagonal
 * Mahalanobis distance with medians instead of means: cheap, transparent, and each feature's z² is directly
 * its contribution to the score, which is what a review item shows as "top features".
 */
import { standardizeRow, type Scaler } from './scaler.js';

export interface ZScoreModel {
  kind: 'zscore';
  features: number;
  scaler: Scaler;
}

export function trainZScore(scaler: Scaler, features: number): ZScoreModel {
  return { kind: 'zscore', features, scaler };
}

/** Reference scorer: the same arithmetic as the ONNX graph (float32 inputs, float64 accumulation). */
export function scoreZScore(m: ZScoreModel, rows: Float32Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const f = m.features;
  const z = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    standardizeRow(m.scaler, rows, i * f, f, z);
    let s = 0;
    for (let j = 0; j < f; j++) s += z[j]! * z[j]!;
    out[i] = s / f;
  }
  return out;
}

/** Per-feature contributions (z²/F, summing to the score) of one row. */
export function zscoreContributions(m: ZScoreModel, rows: Float32Array, row: number, out: Float64Array): void {
  const f = m.features;
  standardizeRow(m.scaler, rows, row * f, f, out);
  for (let j = 0; j < f; j++) out[j] = (out[j]! * out[j]!) / f;
}
