// The validation threads (engine/validation/): the findings they leave on events are the ones the main thread would
// have found, batches reach the actors in the order they came whichever thread finishes first, a failed thread's
// batch goes on unchecked (the judge then checks it), and the judge gives the same outcome either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { scanClientFrame, type ScannedEvent } from '../../engine/ingest/frame-scan.js';
import { encodeBatch } from '../../loadtest/fep-client.js';
import { ValidationPool } from '../../engine/validation/pool.js';
import { checkReport, SCHEMA_RULE } from '../../engine/validation/check-report.js';
import { compileRulebook, type RulebookOptions, type TradeState } from '../../engine/rules/index.js';
import { createJudge } from '../../engine/judge.js';
import { corpusFiles, loadCorpusReport } from '../support/corpus.js';
import { FlowGenerator } from '../../loadtest/generator.js';
import { createMetrics } from '../../engine/metrics.js';

const OPTIONS: RulebookOptions = { regime: 'cftc-part45', leiCheck: 'error' };

/** Leg 1 (field 200) holding a truncated varint: the frame scan, which reads top-level fields only, passes it; decoding fails. */
const UNDECODABLE = Uint8Array.from([0xc2, 0x0c, 0x01, 0xff]);

let reports: Uint8Array[];

/** Fresh events (as the frame scan makes them) for the corpus records and one undecodable report. */
function events(from: readonly Uint8Array[] = reports): ScannedEvent[] {
  const scanned = scanClientFrame(Buffer.from(encodeBatch(1, from)));
  if (scanned.kind !== 'batch') throw new Error('expected a batch');
  for (const e of scanned.events) e.sourceId = 'test';
  return scanned.events;
}

/** Runs one batch through a pool and returns the events as handed on. */
async function throughPool(pool: ValidationPool, handed: ScannedEvent[][], batch: ScannedEvent[]): Promise<ScannedEvent[]> {
  const before = handed.length;
  pool.submit(batch);
  await expect.poll(() => handed.length, { timeout: 10_000 }).toBeGreaterThan(before);
  return handed[before]!;
}

beforeAll(() => {
  const files = [...corpusFiles('cftc-part45'), ...corpusFiles('cftc-part43')];
  reports = [...files.map((f) => SwapReport.encode(loadCorpusReport(f)).finish()), UNDECODABLE];
});

describe('validation pool', () => {
  const handed: ScannedEvent[][] = [];
  let pool: ValidationPool;
  beforeAll(async () => {
    pool = await ValidationPool.start(OPTIONS, 2, (batch) => handed.push(batch));
  });
  afterAll(() => pool.stop());

  it("leaves on each event the findings the main thread's check gives", async () => {
    const batch = events();
    const out = await throughPool(pool, handed, batch);
    expect(out).toBe(batch);
    const rulebook = compileRulebook(OPTIONS);
    let flagged = 0;
    for (const e of out) {
      expect(e.stateless, `seq ${e.seq}`).toEqual(checkReport(rulebook, e.report));
      if (e.stateless!.length > 0) flagged++;
    }
    // The corpus has dummy LEIs, so with strict LEI checks most records have findings; the last report cannot be decoded.
    expect(flagged).toBeGreaterThan(100);
    expect(out.at(-1)!.stateless).toEqual([expect.objectContaining({ rule: SCHEMA_RULE, severity: 'error', message: expect.stringMatching(/not a valid SwapReport/) })]);
  });

  it('hands batches on in the order they came, whichever thread finishes first', async () => {
    const start = handed.length;
    const big = events();
    const small = events().slice(0, 1);
    pool.submit(big);
    pool.submit(small);
    expect(pool.queued).toBe(big.length + 1);
    await expect.poll(() => handed.length, { timeout: 10_000 }).toBe(start + 2);
    expect(handed[start]).toBe(big);
    expect(handed[start + 1]).toBe(small);
    expect(pool.queued).toBe(0);
    expect(small[0]!.stateless).toBeDefined();
  });

  it('hands a batch on unchecked when its thread fails, for the judge to check', async () => {
    const metrics = createMetrics();
    const failing = await ValidationPool.start(OPTIONS, 1, (batch) => handed.push(batch), metrics);
    const start = handed.length;
    const running = events();
    const waiting = events();
    failing.submit(running);
    failing.submit(waiting);
    // Stopping terminates the thread under the first batch and fails the one queued behind it.
    await failing.stop();
    await expect.poll(() => handed.length, { timeout: 10_000 }).toBe(start + 2);
    expect(handed.slice(start)).toEqual([running, waiting]);
    expect(waiting.every((e) => e.stateless === undefined)).toBe(true);
    expect(failing.queued).toBe(0);
    // Counted for the SRE: these events were checked on the main thread.
    expect((await metrics.registry.getSingleMetric('swaprep_validation_fallback_events_total')!.get()).values[0]!.value).toBeGreaterThanOrEqual(waiting.length);
  });

  it('gives the judge the same outcome as checking on the main thread', async () => {
    // Lifecycles (NEWT, then MODI, TERM, EROR...) with some invalid records among them, and the undecodable report.
    const flow = [...new FlowGenerator({ seed: 11, invalidRate: 0.05 }).take(3000)].map((e) => SwapReport.encode(e.report).finish());
    flow.push(UNDECODABLE);
    const checked = await throughPool(pool, handed, events(flow));
    const unchecked = events(flow);
    const judge = createJudge(OPTIONS);
    const tradesA = new Map<string, TradeState>();
    const tradesB = new Map<string, TradeState>();
    for (let i = 0; i < checked.length; i++) {
      judge(tradesA, checked[i]!);
      judge(tradesB, unchecked[i]!);
      const pick = (e: ScannedEvent) => ({ status: e.status, findings: e.findings, version: e.version, lifecycle: e.lifecycle });
      expect(pick(checked[i]!), `seq ${checked[i]!.seq}`).toEqual(pick(unchecked[i]!));
    }
    expect(tradesA).toEqual(tradesB);
    // Trades were made and advanced, and events were rejected: every path was taken.
    expect(tradesA.size).toBeGreaterThan(100);
    expect(checked.some((e) => (e.version ?? 0) > 1)).toBe(true);
    expect(checked.filter((e) => e.status === 'rejected').length).toBeGreaterThan(50);
  });
});
