/**
 * Combining the models. Each model's score is normalised on the training distribution into "surprise":
 * -log10 of the share of training events that scored at least as high, so 1 is the model's 1-in-10, 2 its
 * 1-in-100, 3 its 1-in-1000, whatever the units (path-length score, reconstruction error, squared z). The
 * mapping is piecewise linear through the training quantiles and continues beyond the 99.9% quantile with
 * the slope of its last segment, so far-out events keep their distance instead of all being "the maximum".
 * (A first version divided by the 99th percentile; models whose tails have different shapes then drowned each
 * other's anomalies.) The ensemble score is the largest weighted surprise ('max': any one model can raise an
 * alert) or their weighted mean. The alert threshold is the ensemble score's (1 - alertRate) quantile on the
 * training rows: with the default 0.5%, about 1 event in 200 is flagged for review.
 */
import { quantile, recallAtFpr, rocAuc } from './metrics.js';

export const MODEL_NAMES = ['iforest', 'autoencoder', 'zscore'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Knots (score, surprise), scores strictly increasing. */
export interface Normalizer {
  scores: number[];
  surprise: number[];
}

const KNOT_QUANTILES = [0.5, 0.9, 0.99, 0.999];

/** How normalised scores combine: 'max' lets any one model raise an alert, 'mean' needs them to agree. */
export type Combine = 'max' | 'mean';

export interface EnsembleSpec {
  normalizers: Record<ModelName, Normalizer>;
  weights: Record<ModelName, number>;
  combine: Combine;
  threshold: number;
  alertRate: number;
}

export const DEFAULT_ALERT_RATE = 0.005;
export type EnsembleCore = Pick<EnsembleSpec, 'normalizers' | 'weights' | 'combine'>;
export const DEFAULT_COMBINE: Combine = 'max';
export const DEFAULT_WEIGHTS: Record<ModelName, number> = { iforest: 1, autoencoder: 1, zscore: 1 };

export function fitNormalizer(scores: ArrayLike<number>): Normalizer {
  const knots = KNOT_QUANTILES.map((q) => ({ score: quantile(scores, q), surprise: -Math.log10(1 - q) }));
  // Ties (a score with a point mass, e.g. an all-zero feature set) would make a vertical segment: keep the
  // highest surprise of each score and nudge later scores so the knots stay strictly increasing.
  const out: Normalizer = { scores: [], surprise: [] };
  for (const k of knots) {
    const last = out.scores.length - 1;
    if (last >= 0 && k.score <= out.scores[last]!) {
      const eps = Math.max(1e-9, Math.abs(out.scores[last]!) * 1e-6);
      if (k.score < out.scores[last]! + eps) {
        out.surprise[last] = k.surprise;
        continue;
      }
    }
    out.scores.push(k.score);
    out.surprise.push(k.surprise);
  }
  if (out.scores.length === 1) {
    // Everything tied: one unit of score is one decade of surprise.
    out.scores.push(out.scores[0]! + 1);
    out.surprise.push(out.surprise[0]! + 1);
  }
  return out;
}

/** Surprise of one score (piecewise linear; extrapolated linearly at both ends, never below 0). */
export function surprise(n: Normalizer, s: number): number {
  const xs = n.scores;
  const ys = n.surprise;
  let k = 1;
  while (k < xs.length - 1 && s > xs[k]!) k++;
  const x0 = xs[k - 1]!, x1 = xs[k]!, y0 = ys[k - 1]!, y1 = ys[k]!;
  const y = y0 + ((s - x0) * (y1 - y0)) / (x1 - x0);
  return y > 0 ? y : 0;
}

/** Ensemble score of row i from the per-model scores. */
export function ensembleScore(spec: EnsembleCore, perModel: Record<ModelName, ArrayLike<number>>, i: number): number {
  let sum = 0;
  let wsum = 0;
  let max = -Infinity;
  for (const m of MODEL_NAMES) {
    const w = spec.weights[m];
    if (w === 0) continue;
    const v = w * surprise(spec.normalizers[m], perModel[m][i]!);
    sum += v;
    wsum += w;
    if (v > max) max = v;
  }
  return spec.combine === 'max' ? max : sum / wsum;
}

export function ensembleScores(spec: EnsembleCore, perModel: Record<ModelName, ArrayLike<number>>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ensembleScore(spec, perModel, i);
  return out;
}

export function fitNormalizers(perModel: Record<ModelName, ArrayLike<number>>): Record<ModelName, Normalizer> {
  const normalizers = {} as Record<ModelName, Normalizer>;
  for (const m of MODEL_NAMES) normalizers[m] = fitNormalizer(perModel[m]);
  return normalizers;
}

/** Normalisers (unless given) and the alert threshold from the training rows' model scores. */
export function fitEnsemble(
  perModel: Record<ModelName, ArrayLike<number>>,
  n: number,
  alertRate = DEFAULT_ALERT_RATE,
  weights = DEFAULT_WEIGHTS,
  combine: Combine = DEFAULT_COMBINE,
  normalizers = fitNormalizers(perModel),
): EnsembleSpec {
  const scores = ensembleScores({ normalizers, weights, combine }, perModel, n);
  return { normalizers, weights: { ...weights }, combine, threshold: quantile(scores, 1 - alertRate), alertRate };
}

/** Weight grid searched by `chooseEnsemble` for each model (all-zero excluded). */
const WEIGHT_GRID = [0, 0.25, 0.5, 1];

export interface Candidate {
  weights: Record<ModelName, number>;
  combine: Combine;
  objective: number;
}

/**
 * Chooses the weights and the combination on a validation set with known anomalies (planted, and analyst
 * labels when there are any): each candidate is scored by the mean over anomaly groups (kinds) of recall at
 * 1% false-positive rate, plus ROC-AUC as a tie-break. The unsupervised models stay unsupervised; only the
 * three weights are fitted, which is what lets a weak model be turned down instead of adding its false alarms.
 * The validation set must be disjoint from the one the version is evaluated on.
 */
export function chooseEnsemble(
  normalizers: Record<ModelName, Normalizer>,
  perModel: Record<ModelName, ArrayLike<number>>,
  groups: readonly (string | undefined)[],
): Candidate {
  const n = groups.length;
  const names = [...new Set(groups.filter((g): g is string => g !== undefined))];
  // Nothing to learn from (no anomaly in the validation split): every model counts, any one can alert.
  if (names.length === 0 || names.length === n) return { weights: { ...DEFAULT_WEIGHTS }, combine: DEFAULT_COMBINE, objective: NaN };
  let best: Candidate | undefined;
  for (const combine of ['max', 'mean'] as const) {
    for (const a of WEIGHT_GRID) for (const b of WEIGHT_GRID) for (const c of WEIGHT_GRID) {
      if (Math.max(a, b, c) !== 1) continue; // scale-free: the largest weight is 1
      const weights = { iforest: a, autoencoder: b, zscore: c };
      const scores = ensembleScores({ normalizers, weights, combine }, perModel, n);
      let objective = 0;
      for (const g of names) {
        const idx: number[] = [];
        for (let i = 0; i < n; i++) if (groups[i] === undefined || groups[i] === g) idx.push(i);
        objective += recallAtFpr(idx.map((i) => scores[i]!), idx.map((i) => groups[i] === g), 0.01) / names.length;
      }
      objective += 0.1 * rocAuc(scores, groups.map((g) => g !== undefined));
      if (!best || objective > best.objective + 1e-12) best = { weights, combine, objective };
    }
  }
  return best ?? { weights: { ...DEFAULT_WEIGHTS }, combine: DEFAULT_COMBINE, objective: NaN };
}

/** The threshold for another alert rate on the same training distribution (the service's `alertRate`). */
export function thresholdFor(trainingScores: ArrayLike<number>, alertRate: number): number {
  return quantile(trainingScores, 1 - alertRate);
}
