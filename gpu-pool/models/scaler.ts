/**
 * Robust per-feature standardisation shared by the z-score model and the autoencoder's input:
 * z = clip((x - center) / scale, -clip, clip), center = median, scale = IQR/1.349 (a normal's σ).
 *
 * Many features are 0 for most events (indicators, and "vs product" features of records without a rate or
 * price), so their IQR is 0 or tiny; the scale is therefore the larger of IQR/1.349 and the standard
 * deviation of the values between the 0.5% and 99.5% quantiles (trimmed, so that anomalies in the training
 * data do not widen it). A flag that is common (a TERM event) then moves z by a few units while a flag never
 * seen in training (a changed counterparty) stands out. A floor keeps a constant feature from dividing by 0.
 * Parameters are rounded to float32 because the ONNX graphs hold them as float32.
 */
export interface Scaler {
  center: Float32Array;
  scale: Float32Array;
  clip: number;
}

export const SCALE_FLOOR = 0.05;
export const DEFAULT_CLIP = 10;

/** Fits the scaler on `n` rows of `f` features laid out row-major. */
export function fitScaler(rows: Float32Array, n: number, f: number, clip = DEFAULT_CLIP): Scaler {
  const center = new Float32Array(f);
  const scale = new Float32Array(f);
  const column = new Float64Array(n);
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < n; i++) column[i] = rows[i * f + j]!;
    column.sort();
    const q = (p: number) => {
      const pos = p * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      return column[lo]! + (column[hi]! - column[lo]!) * (pos - lo);
    };
    const from = Math.floor(n * 0.005);
    const to = Math.max(from + 1, Math.ceil(n * 0.995));
    let tsum = 0;
    for (let i = from; i < to; i++) tsum += column[i]!;
    const tmean = tsum / (to - from);
    let ss = 0;
    for (let i = from; i < to; i++) ss += (column[i]! - tmean) ** 2;
    const trimmedStd = Math.sqrt(ss / Math.max(1, to - from - 1));
    center[j] = q(0.5);
    scale[j] = Math.max((q(0.75) - q(0.25)) / 1.349, trimmedStd, SCALE_FLOOR);
  }
  return { center, scale, clip };
}

/** Standardises one row (float32 arithmetic order as in the ONNX graphs: subtract, divide, clip). */
export function standardizeRow(s: Scaler, rows: Float32Array, offset: number, f: number, out: Float64Array): void {
  for (let j = 0; j < f; j++) {
    const z = Math.fround(Math.fround(rows[offset + j]! - s.center[j]!) / s.scale[j]!);
    out[j] = z > s.clip ? s.clip : z < -s.clip ? -s.clip : z;
  }
}
