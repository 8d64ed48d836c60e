/**
 * A small autoencoder: standardised features (scaler.ts) → 32 ReLU → 8 linear (the code) → 32 ReLU →
 * features, trained in plain TypeScript with backpropagation and Adam on the mean squared reconstruction
 * error. What the network cannot reconstruct from 8 numbers — combinations of features it never saw
 * together — is the anomaly score: the mean squared error over features.
 *
 * The code layer is linear: with a ReLU there, units that die early never recover and an 8-unit code
 * loses capacity for nothing. Weights are kept as float32 after training because the ONNX graph holds
 * them as float32; the reference scorer multiplies those same values.
 */
import { Rng } from './rng.js';
import { standardizeRow, type Scaler } from './scaler.js';

export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major [inputs][outputs], the layout of ONNX Gemm's B with transB = 0. */
  weights: Float32Array;
  bias: Float32Array;
  relu: boolean;
}

export interface Autoencoder {
  kind: 'autoencoder';
  features: number;
  scaler: Scaler;
  layers: DenseLayer[];
}

export interface AutoencoderOptions {
  hidden: number;
  code: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export const defaultAutoencoderOptions: AutoencoderOptions = { hidden: 32, code: 8, epochs: 20, batchSize: 256, learningRate: 1e-3, seed: 1 };

interface TrainLayer {
  inputs: number;
  outputs: number;
  relu: boolean;
  w: Float64Array;
  b: Float64Array;
  // Adam moments.
  mw: Float64Array;
  vw: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
  gw: Float64Array;
  gb: Float64Array;
}

function makeLayer(inputs: number, outputs: number, relu: boolean, rng: Rng): TrainLayer {
  // He initialisation for ReLU layers, Glorot for linear ones.
  const std = relu ? Math.sqrt(2 / inputs) : Math.sqrt(2 / (inputs + outputs));
  const w = new Float64Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  const z = () => new Float64Array(inputs * outputs);
  return { inputs, outputs, relu, w, b: new Float64Array(outputs), mw: z(), vw: z(), mb: new Float64Array(outputs), vb: new Float64Array(outputs), gw: z(), gb: new Float64Array(outputs) };
}

/** y[B×out] = x[B×in] · w + b, then ReLU when asked. */
function forward(l: TrainLayer, x: Float64Array, rows: number, y: Float64Array): void {
  const { inputs: I, outputs: O, w, b } = l;
  for (let r = 0; r < rows; r++) {
    const yo = r * O;
    for (let o = 0; o < O; o++) y[yo + o] = b[o]!;
    const xo = r * I;
    for (let i = 0; i < I; i++) {
      const xv = x[xo + i]!;
      if (xv === 0) continue;
      const wo = i * O;
      for (let o = 0; o < O; o++) y[yo + o] = y[yo + o]! + xv * w[wo + o]!;
    }
    if (l.relu) for (let o = 0; o < O; o++) if (y[yo + o]! < 0) y[yo + o] = 0;
  }
}

/**
 * Given dL/dy (already masked by the ReLU derivative), accumulates dL/dw, dL/db and writes dL/dx
 * (unmasked: the previous layer masks it with its own activation).
 */
function backward(l: TrainLayer, x: Float64Array, dy: Float64Array, rows: number, dx: Float64Array | undefined): void {
  const { inputs: I, outputs: O, w, gw, gb } = l;
  gw.fill(0);
  gb.fill(0);
  for (let r = 0; r < rows; r++) {
    const yo = r * O;
    const xo = r * I;
    for (let o = 0; o < O; o++) gb[o] = gb[o]! + dy[yo + o]!;
    for (let i = 0; i < I; i++) {
      const xv = x[xo + i]!;
      const wo = i * O;
      let acc = 0;
      for (let o = 0; o < O; o++) {
        const d = dy[yo + o]!;
        gw[wo + o] = gw[wo + o]! + xv * d;
        acc += w[wo + o]! * d;
      }
      if (dx) dx[xo + i] = acc;
    }
  }
}

function adam(l: TrainLayer, lr: number, step: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const c1 = 1 - Math.pow(b1, step);
  const c2 = 1 - Math.pow(b2, step);
  const update = (p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array) => {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      p[i] = p[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
    }
  };
  update(l.w, l.gw, l.mw, l.vw);
  update(l.b, l.gb, l.mb, l.vb);
}

export interface TrainProgress {
  epoch: number;
  loss: number;
}

/** Trains on `n` rows of `f` features (raw feature rows; the scaler standardises them). */
export function trainAutoencoder(
  rows: Float32Array,
  n: number,
  f: number,
  scaler: Scaler,
  options: AutoencoderOptions = defaultAutoencoderOptions,
  onEpoch?: (p: TrainProgress) => void,
): Autoencoder {
  const rng = new Rng(options.seed);
  const sizes = [f, options.hidden, options.code, options.hidden, f];
  const relus = [true, false, true, false];
  const layers = relus.map((relu, k) => makeLayer(sizes[k]!, sizes[k + 1]!, relu, rng));

  // Standardise once: training reads each row many times.
  const z = new Float64Array(n * f);
  const tmp = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    standardizeRow(scaler, rows, i * f, f, tmp);
    z.set(tmp, i * f);
  }

  const B = Math.max(1, Math.min(options.batchSize, n));
  const acts = sizes.map((s) => new Float64Array(B * s)); // acts[0] = input batch, acts[k+1] = layer k output
  const grads = sizes.map((s) => new Float64Array(B * s));
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    // Shuffle the row order each epoch.
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let lossSum = 0;
    for (let start = 0; start < n; start += B) {
      const rowsInBatch = Math.min(B, n - start);
      const x0 = acts[0]!;
      for (let r = 0; r < rowsInBatch; r++) x0.set(z.subarray(order[start + r]! * f, order[start + r]! * f + f), r * f);
      for (let k = 0; k < layers.length; k++) forward(layers[k]!, acts[k]!, rowsInBatch, acts[k + 1]!);
      // Loss = mean over rows and features of (out - in)²; dL/dout = 2 (out - in) / (rows · f).
      const out = acts[layers.length]!;
      const dOut = grads[layers.length]!;
      const scale = 2 / (rowsInBatch * f);
      for (let i = 0; i < rowsInBatch * f; i++) {
        const d = out[i]! - x0[i]!;
        lossSum += d * d;
        dOut[i] = d * scale;
      }
      for (let k = layers.length - 1; k >= 0; k--) {
        const l = layers[k]!;
        const dy = grads[k + 1]!;
        if (l.relu) {
          const y = acts[k + 1]!;
          for (let i = 0; i < rowsInBatch * l.outputs; i++) if (y[i]! <= 0) dy[i] = 0;
        }
        backward(l, acts[k]!, dy, rowsInBatch, k > 0 ? grads[k]! : undefined);
      }
      step++;
      for (const l of layers) adam(l, options.learningRate, step);
    }
    onEpoch?.({ epoch, loss: lossSum / (n * f) });
  }
  return {
    kind: 'autoencoder',
    features: f,
    scaler,
    layers: layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, relu: l.relu, weights: Float32Array.from(l.w), bias: Float32Array.from(l.b) })),
  };
}

/** Reconstruction of one standardised row (float32 weights, float64 accumulation). */
function reconstruct(m: Autoencoder, z: Float64Array): Float64Array {
  let x: Float64Array = z;
  for (const l of m.layers) {
    const y = new Float64Array(l.outputs);
    for (let o = 0; o < l.outputs; o++) y[o] = l.bias[o]!;
    for (let i = 0; i < l.inputs; i++) {
      const xv = x[i]!;
      const wo = i * l.outputs;
      for (let o = 0; o < l.outputs; o++) y[o] = y[o]! + xv * l.weights[wo + o]!;
    }
    if (l.relu) for (let o = 0; o < l.outputs; o++) if (y[o]! < 0) y[o] = 0;
    x = y;
  }
  return x;
}

/** Reference scorer: mean squared reconstruction error per row, as the ONNX graph computes it. */
export function scoreAutoencoder(m: Autoencoder, rows: Float32Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const f = m.features;
  const z = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    standardizeRow(m.scaler, rows, i * f, f, z);
    const y = reconstruct(m, z);
    let s = 0;
    for (let j = 0; j < f; j++) s += (y[j]! - z[j]!) ** 2;
    out[i] = s / f;
  }
  return out;
}

/** Per-feature squared reconstruction errors / F (summing to the score) of one row. */
export function autoencoderContributions(m: Autoencoder, rows: Float32Array, row: number, out: Float64Array): void {
  const f = m.features;
  const z = new Float64Array(f);
  standardizeRow(m.scaler, rows, row * f, f, z);
  const y = reconstruct(m, z);
  for (let j = 0; j < f; j++) out[j] = (y[j]! - z[j]!) ** 2 / f;
}

export function parameterCount(m: Autoencoder): number {
  return m.layers.reduce((a, l) => a + l.weights.length + l.bias.length, 0);
}
