/**
 * Isolation forest (Liu, Ting & Zhou, 2008): random axis-parallel splits isolate unusual rows in fewer
 * steps. Each tree is grown on a subsample of `sampleSize` rows up to depth ceil(log2(sampleSize)); a
 * row's path length is the depth of its leaf plus c(leaf size), the expected depth of the unbuilt subtree;
 * the score is 2^(-mean path length / c(sampleSize)), in (0, 1), above ~0.6 for anomalies.
 *
 * Trees are stored flat (the layout TreeEnsembleRegressor takes). Thresholds are float32 and a row goes
 * left when x < threshold, the comparison ONNX Runtime makes with mode BRANCH_LT on float32 inputs, so the
 * reference scorer here and the exported graph take the same path for every row.
 */
import { Rng } from './rng.js';

export interface IsolationTree {
  /** Per node: feature index (-1 for a leaf). */
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** Per node: for a leaf, depth + c(size); unused for a split. */
  value: Float64Array;
}

export interface IsolationForest {
  kind: 'iforest';
  features: number;
  sampleSize: number;
  trees: IsolationTree[];
  /** c(sampleSize), the normaliser of the mean path length. */
  normalizer: number;
}

export interface IsolationForestOptions {
  trees: number;
  sampleSize: number;
  seed: number;
  /** Feature indices the splits may use (default: all). */
  features?: readonly number[];
}

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of n nodes. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

interface GrowingTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

function grow(t: GrowingTree, rows: Float32Array, f: number, usable: readonly number[], idx: Int32Array, depth: number, maxDepth: number, rng: Rng): number {
  const id = t.feature.length;
  t.feature.push(-1);
  t.threshold.push(0);
  t.left.push(-1);
  t.right.push(-1);
  t.value.push(depth + averagePathLength(idx.length));
  if (depth >= maxDepth || idx.length <= 1) return id;

  // Choose among features that still vary in this node (a constant feature cannot split anything).
  const candidates: { j: number; lo: number; hi: number }[] = [];
  for (const j of usable) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < idx.length; k++) {
      const v = rows[idx[k]! * f + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi > lo) candidates.push({ j, lo, hi });
  }
  if (candidates.length === 0) return id;
  const c = rng.pick(candidates);
  // A float32 threshold in (lo, hi]: then x < threshold sends lo left and hi right, so neither side is empty.
  let thr = Math.fround(rng.uniform(c.lo, c.hi));
  if (thr <= c.lo) thr = c.hi;
  let nLeft = 0;
  for (let k = 0; k < idx.length; k++) if (rows[idx[k]! * f + c.j]! < thr) nLeft++;
  const leftIdx = new Int32Array(nLeft);
  const rightIdx = new Int32Array(idx.length - nLeft);
  let a = 0;
  let b = 0;
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k]!;
    if (rows[r * f + c.j]! < thr) leftIdx[a++] = r;
    else rightIdx[b++] = r;
  }
  t.feature[id] = c.j;
  t.threshold[id] = thr;
  t.left[id] = grow(t, rows, f, usable, leftIdx, depth + 1, maxDepth, rng);
  t.right[id] = grow(t, rows, f, usable, rightIdx, depth + 1, maxDepth, rng);
  return id;
}

export function trainIsolationForest(rows: Float32Array, n: number, f: number, options: IsolationForestOptions): IsolationForest {
  const rng = new Rng(options.seed);
  const psi = Math.min(options.sampleSize, n);
  const maxDepth = Math.ceil(Math.log2(Math.max(2, psi)));
  const trees: IsolationTree[] = [];
  const usable = options.features ?? Array.from({ length: f }, (_, j) => j);
  const all = Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < options.trees; t++) {
    // Subsample without replacement: a partial Fisher-Yates shuffle of the first psi positions.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(n - i);
      const tmp = all[i]!;
      all[i] = all[j]!;
      all[j] = tmp;
    }
    const g: GrowingTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    grow(g, rows, f, usable, Int32Array.from(all.slice(0, psi)), 0, maxDepth, rng);
    trees.push({
      feature: Int32Array.from(g.feature),
      threshold: Float32Array.from(g.threshold),
      left: Int32Array.from(g.left),
      right: Int32Array.from(g.right),
      value: Float64Array.from(g.value),
    });
  }
  return { kind: 'iforest', features: f, sampleSize: psi, trees, normalizer: averagePathLength(psi) };
}

/** Reference scorer: 2^(-mean path length / c(psi)) per row. */
export function scoreIsolationForest(m: IsolationForest, rows: Float32Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const f = m.features;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const t of m.trees) {
      let node = 0;
      while (t.feature[node]! >= 0) node = rows[i * f + t.feature[node]!]! < t.threshold[node]! ? t.left[node]! : t.right[node]!;
      sum += t.value[node]!;
    }
    out[i] = Math.pow(2, -sum / m.trees.length / m.normalizer);
  }
  return out;
}

export function nodeCount(m: IsolationForest): number {
  return m.trees.reduce((a, t) => a + t.feature.length, 0);
}
