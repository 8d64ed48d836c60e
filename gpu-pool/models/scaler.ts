/**
 * Robust per-feature standardisation shared by the z-score model and the autoencoder's input:
 * z = clip((x - center) / scale, -clip, clip), center = median, scale = IQR/1.349 (a normal's σ).
 *
 * Many features are 0 for most events (indicators, changes versus the previous version, and "vs product"
 * features of records without a rate or price), so their IQR is 0 or tiny; the scale is therefore the
 * largest of IQR/1.349, the standard deviation of the values between the 0.5% and 99.5% quantiles (trimmed,
 * so that anomalies in the training data do not widen it) and, when at least 1% of the values differ from
 * the median, 1.4826 x the median distance of those values from it (the typical size of a deviation when
 * there is one: a partial termination's notional change is then ordinary, a notional x1000 is not). A flag
 * never set in training (a changed counterparty) keeps the floor, so it stands out; the floor also keeps a
 * constant feature from dividing by 0.
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
  const deviations = new Float64Array(n);
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
    const c = q(0.5);
    let off = 0;
    for (let i = 0; i < n; i++) if (Math.abs(column[i]! - c) > 1e-9) deviations[off++] = Math.abs(column[i]! - c);
    let typical = 0;
    if (off >= Math.max(20, n * 0.01)) {
      const d = deviations.subarray(0, off).sort();
      typical = 1.4826 * d[Math.floor(off / 2)]!;
    }
    center[j] = c;
    scale[j] = Math.max((q(0.75) - q(0.25)) / 1.349, trimmedStd, typical, SCALE_FLOOR);
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
