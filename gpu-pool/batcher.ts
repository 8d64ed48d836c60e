/**
 * Micro-batching: feature rows are written straight into a batch buffer, and a batch is handed on when it
 * holds `maxBatch` rows or when its first row has waited `maxWaitMs`, whichever comes first. Big batches
 * are what make ONNX Runtime (and a GPU) efficient; the wait bound keeps a quiet stream's latency low.
 *
 * Buffers are transferred to the workers and come back with the scores; `recycle` puts them back in use,
 * so a steady stream allocates nothing.
 */
export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  features: number;
}

export interface Batch<T> {
  rows: Float32Array;
  items: T[];
  n: number;
}

export class MicroBatcher<T> {
  private rows: Float32Array | undefined;
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly free: Float32Array[] = [];

  constructor(
    private readonly options: BatcherOptions,
    private readonly onBatch: (batch: Batch<T>) => void,
  ) {
    if (options.maxBatch < 1) throw new Error('maxBatch must be at least 1');
  }

  /** Rows currently waiting in the open batch. */
  get open(): number {
    return this.items.length;
  }

  /** Appends one row: `write` fills FEATURES floats at `offset` of `rows`. */
  add(item: T, write: (rows: Float32Array, offset: number) => void): void {
    if (!this.rows) {
      this.rows = this.free.pop() ?? new Float32Array(this.options.maxBatch * this.options.features);
      this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    }
    write(this.rows, this.items.length * this.options.features);
    this.items.push(item);
    if (this.items.length >= this.options.maxBatch) this.flush();
  }

  /** Hands on the open batch now (no-op when empty). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.rows;
    if (!rows || this.items.length === 0) return;
    const batch: Batch<T> = { rows, items: this.items, n: this.items.length };
    this.rows = undefined;
    this.items = [];
    this.onBatch(batch);
  }

  /** Gives a buffer back (one that came back from a worker) for later batches. */
  recycle(rows: Float32Array): void {
    if (rows.length === this.options.maxBatch * this.options.features && this.free.length < 8) this.free.push(rows);
  }

  /** A fresh buffer of batch size (for rebuilding a batch after a worker crash). */
  buffer(): Float32Array {
    return this.free.pop() ?? new Float32Array(this.options.maxBatch * this.options.features);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
