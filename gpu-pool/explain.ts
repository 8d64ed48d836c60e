/**
 * Why an event was flagged: per feature, its share of the z-score model's and the autoencoder's verdicts.
 * For the z-score model a feature's contribution is its squared robust z; for the autoencoder, its squared
 * reconstruction error. Each is turned into that model's surprise units (ensemble.ts) and weighted like the
 * ensemble weights the models, so the features listed are the ones that made the score. The isolation forest
 * has no per-feature decomposition and is not part of the explanation.
 */
import { surprise, type EnsembleSpec } from './ensemble.js';
import { FEATURES } from './features/table.js';
import type { ReferenceParams, ScalerParams } from './manifest.js';

export interface TopFeature {
  feature: string;
  /** The feature's value in the row. */
  value: number;
  /** Its weighted contribution, in surprise units (decades of rarity). */
  contribution: number;
}

function standardize(s: ScalerParams, rows: Float32Array, offset: number, f: number): Float64Array {
  const z = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    const v = Math.fround(Math.fround(rows[offset + j]! - s.center[j]!) / s.scale[j]!);
    z[j] = v > s.clip ? s.clip : v < -s.clip ? -s.clip : v;
  }
  return z;
}

/** Squared reconstruction error per feature of one row. */
export function reconstructionErrors(ref: ReferenceParams, rows: Float32Array, row: number): Float64Array {
  const f = FEATURES.length;
  const z = standardize(ref.autoencoder.scaler, rows, row * f, f);
  let x: Float64Array = z;
  for (const l of ref.autoencoder.layers) {
    const y = Float64Array.from(l.bias);
    for (let i = 0; i < l.inputs; i++) {
      const xv = x[i]!;
      for (let o = 0; o < l.outputs; o++) y[o] = y[o]! + xv * l.weights[i * l.outputs + o]!;
    }
    if (l.relu) for (let o = 0; o < l.outputs; o++) if (y[o]! < 0) y[o] = 0;
    x = y;
  }
  const out = new Float64Array(f);
  for (let j = 0; j < f; j++) out[j] = (x[j]! - z[j]!) ** 2;
  return out;
}

export function topFeatures(ref: ReferenceParams, spec: Pick<EnsembleSpec, 'normalizers' | 'weights'>, rows: Float32Array, row: number, k: number): TopFeature[] {
  const f = FEATURES.length;
  const z = standardize(ref.zscore, rows, row * f, f);
  const ae = reconstructionErrors(ref, rows, row);
  const scored = FEATURES.map((feat, j) => {
    // The z-score model's score is the largest weighted z²; the autoencoder's the mean squared error.
    const zc = spec.weights.zscore * surprise(spec.normalizers.zscore, z[j]! * z[j]! * ref.zscore.weights[j]!);
    const ac = spec.weights.autoencoder * surprise(spec.normalizers.autoencoder, ae[j]! / f);
    return { feature: feat.name, value: rows[row * f + j]!, contribution: Math.max(zc, ac) };
  });
  return scored.sort((a, b) => b.contribution - a.contribution).slice(0, k).map((t) => ({ ...t, contribution: Math.round(t.contribution * 1000) / 1000 }));
}
