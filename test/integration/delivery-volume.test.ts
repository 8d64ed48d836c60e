// The delivery path at volume, as `serve` runs it, against the simulated repository as its own process:
// 100,000 new trades from an independent FEP client; every owed submission (Part 45 and Part 43) is ACKed,
// each record reaches the repository once, and nothing is left open.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEngine } from '../../engine/main.js';
import { Feeder } from '../../bench/support/delivery-driver.js';
import { startTestEngine, submissionSettings, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { waitFor } from '../support/cli.js';

const EVENTS = 100_000;

let engine: RunningEngine;
let sim: ChildSdrSim;
let db: pg.Pool;
let feeder: Feeder;

beforeAll(async () => {
  sim = await startChildSdrSim({ extraArgs: ['--no-sftp'] });
  engine = await startTestEngine({ submission: submissionSettings({ SWAPREP_SDR: `sim=${sim.baseUrl}` }) });
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  feeder = await Feeder.connect({ port: engine.tcpPort, sourceId: 'fep1', token: TEST_SOURCES.fep1, batch: 500, counterOffset: 31_000_000 });
}, 120_000);

afterAll(async () => {
  await feeder?.close();
  await db?.end();
  await engine?.stop();
  await sim?.stop();
});

describe('delivery at volume', () => {
  it(`${EVENTS.toLocaleString('en-US')} events: every owed submission ACKed, each record sent once`, async () => {
    const owed = feeder.owedFor(EVENTS);
    expect(owed).toBeGreaterThanOrEqual(EVENTS);
    await feeder.closedLoop(EVENTS, 10_000, performance.now() + 240_000);
    await waitFor(`${owed} submissions answered by the repository`, async () => {
      const s = await sim.stats();
      return s.acked + s.nacked >= owed;
    }, 300_000, 500);

    const stats = await sim.stats();
    expect(stats.acked).toBe(owed);
    expect(stats.nacked).toBe(0);
    expect(stats.records).toBe(owed); // no record reached the repository twice
    expect(stats.resent).toBe(0);

    await waitFor('every record settled in the store', async () =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM submission_batch WHERE status <> 'settled'`)).rows[0]!.n) === 0, 60_000);
    const { rows } = await db.query<{ records: string; acks: string; batches: string }>(
      'SELECT sum(records) AS records, sum(acks) AS acks, count(*) AS batches FROM submission_batch');
    expect(Number(rows[0]!.records)).toBe(owed);
    expect(Number(rows[0]!.acks)).toBe(owed);
    // Batches leave full under load: far fewer batch rows than records.
    expect(Number(rows[0]!.batches)).toBeLessThan(owed / 100);
    const { rows: status } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM submission_state WHERE status = 'acked'`);
    expect(Number(status[0]!.n)).toBe(owed);
  }, 600_000);
});
