// The worker pool and the pipeline in front of it: micro-batching by size and by time, rows transferred
// (not copied) to the workers, a crashed worker replaced and its batch retried once, backpressure at the
// bound, and a hot swap of the model version that neither drops nor double-scores an event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { MicroBatcher, type Batch } from '../../gpu-pool/batcher.js';
import { ScoringPool } from '../../gpu-pool/pool.js';
import { ScoringPipeline, type EventResult, type ScoringEvent } from '../../gpu-pool/pipeline.js';
import { FEATURE_COUNT } from '../../gpu-pool/features/table.js';
import { ensembleScores } from '../../gpu-pool/ensemble.js';
import { scoreModels, trainAndEvaluate } from '../../gpu-pool/train.js';
import { DirectoryRegistry } from '../../gpu-pool/registry.js';
import { rowsOf, savedSmallVersion, smallOptions, smallVersion } from './scoring-helpers.js';

function events(n: number, from = 0): ScoringEvent[] {
  const { events: flow } = smallVersion();
  return flow.slice(from, from + n).map((e, i) => ({
    sourceId: e.sourceId,
    seq: from + i + 1,
    report: SwapReport.encode(e.report).finish(),
    receivedAtMs: e.receivedAtMs,
    tradeKey: e.tradeKey,
    version: e.version,
  }));
}

describe('micro-batcher', () => {
  it('hands on a batch when it is full, and a partial one after the wait', async () => {
    const batches: Batch<number>[] = [];
    const b = new MicroBatcher<number>({ maxBatch: 4, maxWaitMs: 30, features: 2 }, (x) => batches.push(x));
    for (let i = 0; i < 5; i++) b.add(i, (rows, o) => rows.set([i, -i], o));
    expect(batches.map((x) => x.n)).toEqual([4]);
    expect(Array.from(batches[0]!.rows.subarray(0, 8))).toEqual([0, -0, 1, -1, 2, -2, 3, -3]);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches.map((x) => x.n)).toEqual([4, 1]);
    expect(batches[1]!.items).toEqual([4]);
    // A returned buffer is reused by the next batch.
    b.recycle(batches[0]!.rows);
    b.add(9, () => {});
    b.flush();
    expect(batches[2]!.rows).toBe(batches[0]!.rows);
    b.close();
  });
});

describe('scoring pool', () => {
  let pool: ScoringPool;
  let dir: string;

  beforeAll(async () => {
    dir = (await savedSmallVersion()).dir;
    pool = await ScoringPool.start({ versionDir: dir, workers: 2, providers: ['cpu'] });
  });
  afterAll(async () => {
    await pool?.destroy();
  });

  it('transfers the rows to a worker (no copy) and returns the ensemble scores of the reference models', async () => {
    const { version, events: flow } = smallVersion();
    const n = 500;
    const rows = rowsOf(flow.slice(0, n));
    const expected = ensembleScores(version.manifest.ensemble, scoreModels(version.models, rows, n), n);
    const batch = new Float32Array(rows);
    const pending = pool.run(batch, n);
    // Transferred: this thread's view is detached at once.
    expect(batch.buffer.byteLength).toBe(0);
    const out = await pending;
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.batch.rows.length).toBe(n * FEATURE_COUNT); // the buffer came back
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out.batch.ensemble[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-4);
    expect(pool.providers()).toEqual({ iforest: 'cpu', autoencoder: 'cpu', zscore: 'cpu' });
    for (const f of out.batch.flagged) expect(f.top.length).toBe(3);
  });

  it('replaces a worker that exits on a poisoned batch and retries the batch once', async () => {
    const once = new SharedArrayBuffer(4);
    const faulty = await ScoringPool.start({ versionDir: dir, workers: 1, providers: ['cpu'], fault: { poison: 12345, mode: 'exit', once } });
    try {
      const { events: flow } = smallVersion();
      const good = rowsOf(flow.slice(0, 10));
      const poisoned = new Float32Array(good);
      poisoned[0] = 12345;
      const out = await faulty.run(poisoned, 10, () => new Float32Array(good));
      expect(out.ok && out.batch.attempts).toBe(2);
      // The replacement worker serves the next batch.
      const next = await faulty.run(new Float32Array(good), 10);
      expect(next.ok).toBe(true);
    } finally {
      await faulty.destroy();
    }
  });

  it('gives up after the retry when the batch keeps failing, without losing the outcome', async () => {
    const faulty = await ScoringPool.start({ versionDir: dir, workers: 1, providers: ['cpu'], fault: { poison: 777, mode: 'throw' } });
    try {
      const rows = new Float32Array(FEATURE_COUNT * 2);
      rows[0] = 777;
      const out = await faulty.run(rows, 2, () => {
        const again = new Float32Array(FEATURE_COUNT * 2);
        again[0] = 777;
        return again;
      });
      expect(out).toEqual({ ok: false, error: expect.stringMatching(/poisoned/), attempts: 2 });
    } finally {
      await faulty.destroy();
    }
  });
});

/** A sink that stores results and can be held closed to simulate a slow database. */
class MemorySink {
  results: EventResult[] = [];
  private gate: Promise<void> = Promise.resolve();
  private open: (() => void) | undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
  }
  async write(results: readonly EventResult[]): Promise<void> {
    await this.gate;
    this.results.push(...results);
  }
}

describe('scoring pipeline', () => {
  it('returns false at the bound, keeps every event, and calls onDrain when there is room again', async () => {
    const sink = new MemorySink();
    const pipeline = new ScoringPipeline({ maxBatch: 32, maxWaitMs: 2, maxInflightBatches: 2, maxQueued: 100 }, sink);
    sink.hold();
    let drained = 0;
    pipeline.onDrain(() => drained++);
    expect(pipeline.submit(events(60))).toBe(true);
    expect(pipeline.submit(events(40, 60))).toBe(false); // 100 accepted, none written: full
    expect(pipeline.submit(events(10, 100))).toBe(false); // still accepted
    expect(pipeline.stats().pending).toBe(110);
    sink.release();
    await pipeline.idle();
    expect(drained).toBe(1);
    expect(sink.results.length).toBe(110);
    // No model: every event is recorded as not scored, for the sweep to rescore later.
    expect(sink.results.every((r) => r.status === 'not_scored' && r.reason === 'no model version yet')).toBe(true);
    pipeline.close();
  });

  it('swaps the model version mid-stream without dropping or double-scoring an event', async () => {
    const first = await savedSmallVersion();
    // A second version (another seed) in its own registry.
    const second = trainAndEvaluate(smallVersion().events, { ...smallOptions, seed: 6 });
    const registry = new DirectoryRegistry(first.registry.dir);
    await registry.save({ manifest: second.manifest, files: second.files });
    const poolA = await ScoringPool.start({ versionDir: first.dir, workers: 1, providers: ['cpu'] });
    const poolB = await ScoringPool.start({ versionDir: registry.versionDir(second.manifest.versionId), workers: 1, providers: ['cpu'] });
    const sink = new MemorySink();
    const pipeline = new ScoringPipeline({ maxBatch: 64, maxWaitMs: 1, maxInflightBatches: 2, maxQueued: 10_000 }, sink);
    pipeline.setPool(poolA);
    const all = events(1200);
    for (let i = 0; i < all.length; i += 100) {
      pipeline.submit(all.slice(i, i + 100));
      if (i === 500) {
        const old = pipeline.setPool(poolB);
        void old?.close(); // finishes its in-flight batches first
      }
      await new Promise((r) => setImmediate(r));
    }
    await pipeline.idle();
    const seqs = sink.results.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(all.map((e) => e.seq));
    expect(sink.results.every((r) => r.status === 'scored')).toBe(true);
    const versions = new Set(sink.results.map((r) => r.versionId));
    expect(versions).toEqual(new Set([first.version.manifest.versionId, second.manifest.versionId]));
    expect(pipeline.stats()).toMatchObject({ scored: 1200, notScored: 0, pending: 0 });
    pipeline.close();
    await poolB.destroy();
  });
});
