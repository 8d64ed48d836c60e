/**
 * Detection quality on labelled scores: ROC-AUC (probability that a random anomaly outscores a random normal
 * event, ties counting half), PR-AUC as average precision, and recall at a fixed false-positive rate (the
 * share of anomalies an analyst would see if the alert threshold let through that share of normal events).
 */
export interface Quality {
  positives: number;
  negatives: number;
  rocAuc: number;
  prAuc: number;
  recallAt1PctFpr: number;
}

export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based; ties share their average rank
    for (let k = i; k <= j; k++) if (labels[order[k]!]) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (labels[i]) totalPos++;
  if (totalPos === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    // Events with equal scores are one threshold step.
    let j = i;
    let stepPos = 0;
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!]) stepPos++;
      j++;
    }
    tp += stepPos;
    seen += j - i;
    ap += (stepPos / totalPos) * (tp / seen);
    i = j;
  }
  return ap;
}

/** Recall at the strictest threshold that keeps the false-positive rate at or below `fpr`. */
export function recallAtFpr(scores: ArrayLike<number>, labels: ArrayLike<boolean>, fpr = 0.01): number {
  const neg: number[] = [];
  const pos: number[] = [];
  for (let i = 0; i < scores.length; i++) (labels[i] ? pos : neg).push(scores[i]!);
  if (pos.length === 0 || neg.length === 0) return NaN;
  neg.sort((a, b) => b - a);
  const allowed = Math.floor(fpr * neg.length);
  // Flag when score > t; t is the (allowed+1)-th largest negative, so at most `allowed` negatives exceed it.
  const t = neg[allowed]!;
  return pos.filter((s) => s > t).length / pos.length;
}

export function quality(scores: ArrayLike<number>, labels: ArrayLike<boolean>): Quality {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  return {
    positives,
    negatives: labels.length - positives,
    rocAuc: rocAuc(scores, labels),
    prAuc: averagePrecision(scores, labels),
    recallAt1PctFpr: recallAtFpr(scores, labels, 0.01),
  };
}

/** The q-quantile (linear interpolation) of the values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
