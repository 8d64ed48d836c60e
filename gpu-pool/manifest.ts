/**
 * What a model version is: its ONNX files, the reference parameters the workers use to explain a flag
 * (top contributing features), the ensemble normalisation and thresholds, the features version it was
 * trained on, how it was trained and how well it did. Stored as manifest.json beside the files, in a
 * directory registry or in the database (registry.ts).
 */
import type { EnsembleSpec, ModelName } from './ensemble.js';
import type { AnomalyKind } from './sample/anomalies.js';
import type { Quality } from './metrics.js';

export const MODEL_FILES: Record<ModelName, string> = { iforest: 'iforest.onnx', autoencoder: 'autoencoder.onnx', zscore: 'zscore.onnx' };
export const REFERENCE_FILE = 'reference.json';
export const MANIFEST_FILE = 'manifest.json';

/** Alert rates whose thresholds a version records, so the service can be configured with another rate. */
export const TAIL_RATES = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1] as const;

export interface ModelQuality {
  overall: Quality;
  byKind: Partial<Record<AnomalyKind, Quality>>;
}

export interface Evaluation {
  /** Events of the test split the figures are measured on. */
  heldOutEvents: number;
  plantedAnomalies: number;
  plantedByKind: Partial<Record<AnomalyKind, number>>;
  models: Record<ModelName | 'ensemble', ModelQuality>;
  /** Share of held-out genuine events above the alert threshold (should be near the alert rate). */
  heldOutAlertRate: number;
  /** Events of the validation split, which chose the ensemble weights (the figures are on the test split). */
  validationEvents: number;
  analystLabels?: { confirmed: number; dismissed: number; ensemble?: Quality };
}

export interface ModelManifest {
  versionId: string;
  createdAt: string;
  featuresVersion: number;
  featureNames: string[];
  files: Record<ModelName, string>;
  ensemble: EnsembleSpec & { tail: { rate: number; threshold: number }[] };
  models: {
    iforest: { trees: number; sampleSize: number; nodes: number; bytes: number };
    autoencoder: { layers: number[]; parameters: number; epochs: number; finalLoss: number; bytes: number };
    zscore: { features: number; bytes: number };
  };
  training: { source: string; events: number; trainRows: number; seed: number; seconds: number; options: unknown };
  evaluation: Evaluation;
}

/** The parameters the workers' reference scorers need to compute per-feature contributions. */
export interface ScalerParams {
  center: number[];
  scale: number[];
  clip: number;
}

export interface ReferenceParams {
  zscore: ScalerParams & { weights: number[] };
  autoencoder: { scaler: ScalerParams; layers: { inputs: number; outputs: number; relu: boolean; weights: number[]; bias: number[] }[] };
}

/** Threshold for `alertRate`, interpolated (in log rate) between the recorded tail thresholds. */
export function thresholdForRate(m: Pick<ModelManifest, 'ensemble'>, alertRate: number): number {
  const tail = m.ensemble.tail;
  if (tail.length === 0) return m.ensemble.threshold;
  if (alertRate <= tail[0]!.rate) return tail[0]!.threshold;
  for (let k = 1; k < tail.length; k++) {
    const a = tail[k - 1]!;
    const b = tail[k]!;
    if (alertRate <= b.rate) {
      const t = (Math.log(alertRate) - Math.log(a.rate)) / (Math.log(b.rate) - Math.log(a.rate));
      return a.threshold + t * (b.threshold - a.threshold);
    }
  }
  return tail[tail.length - 1]!.threshold;
}
