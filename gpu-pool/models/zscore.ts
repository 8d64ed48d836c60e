/**
 * The robust z-score model: per deviation feature (features/table.ts), how many robust standard deviations
 * the event is from the training median (clipped); the score is the largest squared z over those features.
 * The classic robust outlier rule (flag |x - median| > k·σ), which suits the anomalies that matter here: each
 * one moves one feature far (a rate 100x, a notional x1000, a lag of days, a changed counterparty). A mean of
 * the squared z's was tried first and let the noise of 18 features drown a single 7σ deviation. Each
 * feature's z² is its contribution, which a review item shows as "top features".
 */
import { standardizeRow, type Scaler } from './scaler.js';

export interface ZScoreModel {
  kind: 'zscore';
  features: number;
  scaler: Scaler;
  /** Per feature: 1 for the features used, 0 for the others (a multiplier, so the graph stays one Mul). */
  weights: Float32Array;
}

/**
 * Clip for the z-score model: wide, because a single feature far out (a notional x1000 is ~7σ, a changed
 * counterparty never seen in training far more) must dominate the mean of the squared z's; the autoencoder
 * keeps the scaler's narrower clip for stable training.
 */
export const ZSCORE_CLIP = 50;

export function trainZScore(scaler: Scaler, features: number, used: readonly number[], clip = ZSCORE_CLIP): ZScoreModel {
  const weights = new Float32Array(features);
  for (const j of used) weights[j] = 1;
  return { kind: 'zscore', features, scaler: { ...scaler, clip }, weights };
}

/** Reference scorer: the same arithmetic as the ONNX graph (float32 inputs, float64 accumulation). */
export function scoreZScore(m: ZScoreModel, rows: Float32Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const f = m.features;
  const z = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    standardizeRow(m.scaler, rows, i * f, f, z);
    let s = 0;
    for (let j = 0; j < f; j++) {
      const v = Math.fround(Math.fround(z[j]! * z[j]!) * m.weights[j]!);
      if (v > s) s = v;
    }
    out[i] = s;
  }
  return out;
}

/** Per-feature contributions (weighted z²; the score is their maximum) of one row. */
export function zscoreContributions(m: ZScoreModel, rows: Float32Array, row: number, out: Float64Array): void {
  const f = m.features;
  standardizeRow(m.scaler, rows, row * f, f, out);
  for (let j = 0; j < f; j++) out[j] = out[j]! * out[j]! * m.weights[j]!;
}
