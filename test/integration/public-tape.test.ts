// Part 43 as the rule has it: the engine reports the swap transaction and pricing data unmasked (17 CFR 43.3(a)),
// the simulated SDR (its own process) disseminates it after the § 43.5 delay, anonymous (§ 43.4(d)), rounded
// (§ 43.4(f)) and capped (§ 43.4(g)), on GET /v1/public-tape and in its daily file. Delays run at 1/250 speed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import type { TapeEntry } from '../../loadtest/sdr-sim/public-tape.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG } from '../../engine/reports/index.js';
import { HttpsChannel } from '../../engine/submission/channels/https.js';
import { SubmissionDispatcher } from '../../engine/submission/dispatcher.js';
import { SubmissionIntake } from '../../engine/submission/intake.js';
import type { HttpsRepositoryConfig, RepositoryConfig } from '../../engine/submission/types.js';
import type { RunningEngine } from '../../engine/main.js';
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, tradeReport } from '../support/trades.js';
import { waitFor } from '../support/cli.js';

const SCALE = 0.004; // 15 minutes in 3.6 s
const builder = createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes: ['cftc-part43'] });

let engine: RunningEngine;
let db: pg.Pool;
let sim: ChildSdrSim;
let fep: FepTcpClient;
let intake: SubmissionIntake;
let dispatcher: SubmissionDispatcher;
let seq = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'swaprep-tape-'));
const uti = (s: string) => `${DEALER}TAPE${s}`;

interface SubRow { id: string; status: string; payload: string; disseminate_at: Date }

/** Sends a trade executed now (so its delay is still to run) and waits for its Part 43 ACK. */
async function send(r: SwapReport): Promise<SubRow> {
  const s = ++seq;
  fep.sendBatch(s, [encodeReport(r)]);
  await fep.waitForAck(s);
  intake.nudge();
  const q = async () => (await db.query<SubRow>(`SELECT s.id, s.status, s.payload, s.disseminate_at FROM submission_state s
      WHERE s.source_id = 'fep1' AND s.seq = $1 AND s.regime = 'cftc-part43'`, [s])).rows[0];
  await waitFor(`Part 43 submission of event ${s} acked`, async () => (await q())?.status === 'acked', 20_000);
  return (await q())!;
}

const nowTs = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const tape = async (): Promise<TapeEntry[]> => sim.publicTape();
const onTape = async (uniqueNotional: string): Promise<TapeEntry | undefined> =>
  (await tape()).find((e) => String((e.record.leg1 as Record<string, unknown>).notionalAmount) === uniqueNotional);

beforeAll(async () => {
  [engine, sim] = await Promise.all([startTestEngine(), startChildSdrSim({ extraArgs: ['--dissemination-delay-scale', String(SCALE), '--data-dir', dataDir] })]);
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 4 });
  const repo: RepositoryConfig = {
    name: 'sim', regimes: ['cftc-part43'], format: 'json', maxBatch: 10_000, concurrency: 1,
    channel: { kind: 'https', url: sim.baseUrl, timeoutMs: 1_000, maxResponseBytes: 1 << 20 },
  };
  intake = new SubmissionIntake(db, builder, [repo], Date.now, { batchSize: 1_000, idleMs: 20 });
  dispatcher = new SubmissionDispatcher(db, [repo], new Map([['sim', new HttpsChannel(repo.channel as HttpsRepositoryConfig)]]), Date.now,
    { leaseMs: 10_000, responseTimeoutMs: 5_000, pollIntervalMs: 100, idleMs: 20, retry: { baseMs: 50, maxMs: 200, maxAttempts: 6 } });
  intake.start();
  dispatcher.start();
  fep = await FepTcpClient.connect(engine.tcpPort);
  seq = await fep.hello('fep1', TEST_SOURCES.fep1);
}, 60_000);

afterAll(async () => {
  await fep?.close();
  await intake?.stop();
  await dispatcher?.stop();
  await db?.end();
  await Promise.all([engine?.stop(), sim?.stop()]);
});

describe('Part 43 public dissemination by the simulated SDR', () => {
  it('a large notional off-facility swap: reported unmasked, disseminated after 15 minutes, capped, anonymous', async () => {
    // The corpus swap: interest rate, off-facility, tenor 2.2 years (cap 100 million, § 43.4(g)), leg 1 GBP
    // 115,000,000 >= the 100 million minimum block size (§ 43.6): a large notional off-facility swap with a swap
    // dealer party, 15 minutes' delay (§ 43.5, appendix C table C2).
    const exec = nowTs();
    const row = await send(tradeReport({ uti: uti('L'), executionTimestamp: exec, notional: '115000000' }));
    const submitted = JSON.parse(row.payload) as Record<string, Record<string, unknown> | string>;
    expect((submitted.leg1 as Record<string, unknown>).notionalAmount).toBe(115000000);
    expect(submitted.counterparty1).toBe(DEALER);
    expect(submitted.uniqueTransactionIdentifier).toBe(uti('L'));
    const notBefore = new Date(Date.parse(exec) + 15 * 60_000).toISOString();
    expect(row.disseminate_at.toISOString()).toBe(notBefore); // the engine's monitoring agrees with the SDR

    // Still in its delay: not on the tape.
    expect(await onTape('100000000+')).toBeUndefined();
    await waitFor('the delayed swap on the tape', async () => (await onTape('100000000+')) !== undefined, 15_000, 100);
    const e = (await onTape('100000000+'))!;
    expect(e.delay).toEqual({ minutes: 15, reason: 'large-notional', notBefore });
    expect(Date.parse(e.disseminatedAt) - Date.parse(exec)).toBeGreaterThanOrEqual(15 * 60_000 * SCALE - 1_000);
    expect(e.executionTimestamp).toBe(exec);
    expect((e.record.leg2 as Record<string, unknown>).notionalAmount).toBe(15000000);
    for (const gone of ['counterparty1', 'counterparty2', 'counterparty2IdentifierSource', 'reportSubmittingEntityID', 'uniqueTransactionIdentifier']) {
      expect(e.record[gone], gone).toBeUndefined();
    }
    expect(JSON.stringify(e)).not.toContain(DEALER);
  });

  it('a small off-facility swap: disseminated at once, rounded per the § 43.4(f) band; a correction refers to it', async () => {
    const exec = nowTs();
    await send(tradeReport({ uti: uti('S'), executionTimestamp: exec, notional: '1234567.89' }));
    await waitFor('the small swap on the tape', async () => (await onTape('1000000')) !== undefined, 5_000, 50);
    const e = (await onTape('1000000'))!;
    expect(e.delay).toEqual({ minutes: 0, reason: 'none', notBefore: new Date(Date.parse(exec)).toISOString() });
    expect(e.originalDisseminationId).toBeNull();

    const corrected = tradeReport({ uti: uti('S'), actionType: 'CORR', executionTimestamp: exec, notional: '4449' });
    corrected.eventType = undefined; // a CORR carries no event type
    await send(corrected);
    await waitFor('the correction on the tape', async () => (await onTape('4400')) !== undefined, 5_000, 50);
    const corr = (await onTape('4400'))!;
    expect(corr.actionType).toBe('CORR');
    expect(corr.originalDisseminationId).toBe(e.disseminationId);
  });

  it('writes the daily file of what it disseminated, and refuses a malformed date', async () => {
    const date = new Date().toISOString().slice(0, 10);
    const lines = readFileSync(join(dataDir, 'public-tape', `${date}.jsonl`), 'utf8').trim().split('\n');
    const ids = (await tape()).map((e) => e.disseminationId);
    expect(lines.map((l) => (JSON.parse(l) as TapeEntry).disseminationId)).toEqual(ids);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const bad = await fetch(new URL('v1/public-tape?date=yesterday', sim.baseUrl));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'TAPE-001' });
  });
});
