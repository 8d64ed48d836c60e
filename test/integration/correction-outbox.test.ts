// Nothing lost: an approved correction reaches the repository exactly once even when the engine is killed
// (SIGKILL, as `kill -9`) between its approval and its sending, at every step of the sending.
//
// The engine runs as its own process (`swaprep serve` with the submission path and the console), the repository
// is `swaprep sdr-sim`, also its own process. SWAPREP_CRASH_AT=<point> makes the engine kill itself when it gets
// to a point of the correction path (engine/exceptions/corrections.ts crashPoint):
//   correction-approved  the approval committed (with its outbox entry), nothing sent;
//   correction-reserved  the event's seq reserved on the correction row, the event not sent;
//   correction-stored    the event durable, not yet recorded on the row.
// One correction goes through all three crashes in turn (each restart's sweep takes it one step further), then a
// clean restart finishes it; a second correction is approved in the database while no engine runs (as the console
// API would: the approval and its outbox entry, no event) and is rejected by the rulebook after the restart; a
// third goes the normal way. Each correction's event is stored exactly once as an event of source `console`, and
// the repository sees each correction's submissions exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { CorrectionService } from '../../engine/exceptions/corrections.js';
import { auditTrail } from '../../engine/exceptions/audit.js';
import { createTestDatabase } from '../support/database.js';
import { startCli, waitFor, type CliRun } from '../support/cli.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, OTHER_SUBMITTER, tradeReport } from '../support/trades.js';
import { apiLogin, createUsers } from '../support/console.js';

const ADMIN_PASSWORD = 'admin-password-outbox';
const PASSWORD = 'supervisor-password-1';
const FEP_TOKEN = 'outbox-token';
const uti = (s: string) => `${DEALER}OUTBOX${s}`;

type CrashPoint = 'correction-approved' | 'correction-reserved' | 'correction-stored';

interface Engine {
  run: CliRun;
  /** The process exited and its stdout and stderr are read to the end ('exit' may come before the last output). */
  closed: Promise<void>;
  /** Set once the engine said it listens (an engine that kills itself while starting never does). */
  ports: Promise<{ tcp: number; http: number }>;
}

let databaseUrl: string;
let db: pg.Pool;
let sim: ChildSdrSim;
let engine: Engine | undefined;
const reportsDir = mkdtempSync(join(tmpdir(), 'swaprep-outbox-reports-'));

function startEngine(crashAt?: CrashPoint): Engine {
  const run = startCli(['serve', '--host', '127.0.0.1', '--tcp-port', '0', '--grpc-port', '0', '--http-port', '0'], {
    DATABASE_URL: databaseUrl,
    SWAPREP_SOURCES: `fep1=${FEP_TOKEN}`,
    SWAPREP_SUBMISSION: 'on',
    SWAPREP_SCORING: 'off',
    SWAPREP_CONSOLE: 'on',
    SWAPREP_SDR: `sim=${sim.baseUrl}`,
    SWAPREP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWAPREP_REPORTS_DIR: reportsDir,
    SWAPREP_DATA_DIR: reportsDir,
    SWAPREP_CRASH_AT: crashAt ?? '',
  });
  const ports = new Promise<{ tcp: number; http: number }>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /swaprep listening: tcp=(\d+) grpc=(\d+) http=(\d+)/.exec(run.stdout());
      if (m) {
        clearInterval(timer);
        resolve({ tcp: Number(m[1]), http: Number(m[3]) });
      }
    }, 20);
    void run.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`engine exited (${code}, ${run.child.signalCode}) before listening:\n${run.stderr()}`));
    });
  });
  ports.catch(() => undefined); // an engine told to crash may die before it listens
  const closed = new Promise<void>((resolve) => run.child.once('close', () => resolve()));
  return { run, ports, closed };
}

/** Waits until the engine killed itself at its crash point. */
async function crashed(e: Engine): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([e.closed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the engine did not crash:\n${e.run.stderr()}`)), 30_000)))]);
  } finally {
    clearTimeout(timer);
  }
  expect(e.run.child.signalCode).toBe('SIGKILL');
  expect(e.run.stderr()).toMatch(/SWAPREP_CRASH_AT=correction-/);
}

async function stopEngine(): Promise<void> {
  if (!engine) return;
  const e = engine;
  engine = undefined;
  if (e.run.child.exitCode === null && e.run.child.signalCode === null) e.run.child.kill('SIGTERM');
  await e.run.exited;
}

/** Sends a NEWT from fep1 that the repository NACKs under Part 45 (PRM-001) and waits for its exception. */
async function nackedTrade(tcpPort: number, tradeKey: string): Promise<number> {
  const fep = await FepTcpClient.connect(tcpPort);
  try {
    const seq = (await fep.hello('fep1', FEP_TOKEN)) + 1;
    fep.sendBatch(seq, [encodeReport(tradeReport({ uti: tradeKey, submitter: OTHER_SUBMITTER }))]);
    await fep.waitForAck(seq);
  } finally {
    await fep.close();
  }
  let id = 0;
  await waitFor(`the NACK exception of ${tradeKey}`, async () => {
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM exception WHERE trade_key = $1 AND kind = 'nack' AND status = 'open'`, [tradeKey]);
    id = Number(rows[0]?.id ?? 0);
    return id > 0;
  }, 30_000, 100);
  return id;
}

interface OutboxRow { status: string; event_source_id: string | null; event_seq: string | null; event_stored_at: Date | null }

async function outboxRow(correctionId: number): Promise<OutboxRow> {
  const { rows } = await db.query<OutboxRow>('SELECT status, event_source_id, event_seq, event_stored_at FROM correction WHERE id = $1', [correctionId]);
  return rows[0]!;
}

/** The events of source `console` that carry a trade (a correction's event carries its trade). */
async function consoleEvents(tradeKey: string): Promise<{ seq: number; action_type: string; status: string }[]> {
  const { rows } = await db.query<{ seq: string; action_type: string; status: string }>(
    `SELECT seq, action_type, status FROM event_log WHERE source_id = 'console' AND trade_key = $1 ORDER BY seq`, [tradeKey]);
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

async function waitForCorrection(correctionId: number, status: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`correction ${correctionId} ${status}`, async () => (await outboxRow(correctionId)).status === status, timeoutMs, 100);
}

/** What the repository holds of a trade: every submission id it took, per regime. */
async function repositoryIds(tradeKey: string): Promise<Map<string, string[]>> {
  const state = await sim.state();
  return new Map(state.trades.filter((t) => t.uti === tradeKey).map((t) => [t.regime, t.submissionIds]));
}

async function approveViaApi(httpPort: number, correctionId: number): Promise<Response> {
  const base = `http://127.0.0.1:${httpPort}`;
  const { accessToken } = await apiLogin(base, 'sup', PASSWORD);
  return fetch(`${base}/api/corrections/${correctionId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: '{}' });
}

/** The correction's event went to the repository once: one console event, its submissions each taken once. */
async function expectExactlyOnce(correctionId: number, tradeKey: string): Promise<void> {
  const events = await consoleEvents(tradeKey);
  expect(events).toEqual([{ seq: expect.any(Number), action_type: 'CORR', status: 'accepted' }]);
  const row = await outboxRow(correctionId);
  expect(row).toMatchObject({ status: 'acked', event_source_id: 'console', event_seq: String(events[0]!.seq) });
  expect(row.event_stored_at).toBeInstanceOf(Date);
  const { rows: subs } = await db.query<{ id: string; regime: string; correction_id: string | null }>(
    `SELECT id, regime, correction_id FROM submission WHERE source_id = 'console' AND seq = $1 ORDER BY regime`, [events[0]!.seq]);
  expect(subs.map((s) => s.regime)).toEqual(['cftc-part43', 'cftc-part45']);
  expect(subs.find((s) => s.regime === 'cftc-part45')!.correction_id).toBe(String(correctionId));
  const { rows: allCorr } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM submission WHERE trade_key = $1 AND action_type = 'CORR'`, [tradeKey]);
  expect(Number(allCorr[0]!.n)).toBe(2);
  const held = await repositoryIds(tradeKey);
  for (const s of subs) {
    const ids = held.get(s.regime) ?? [];
    expect(ids.filter((id) => id === s.id)).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
  }
  // Part 45: the NEWT was NACKed, so the repository's trade is the CORR alone.
  expect(held.get('cftc-part45')).toEqual([subs.find((s) => s.regime === 'cftc-part45')!.id]);
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('outbox');
  db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  sim = await startChildSdrSim();
}, 60_000);

afterAll(async () => {
  await stopEngine();
  await db?.end();
  await sim?.stop();
});

describe('correction outbox: an approved correction reaches the repository exactly once, whatever is killed when', () => {
  it('kill -9 after the approval, after the seq is reserved, after the event is stored: after each restart the sweep carries it on, and the repository gets it once', async () => {
    // Engine 1 dies right after the approval's COMMIT (the console API's approve: nothing sent yet).
    engine = startEngine('correction-approved');
    const { tcp, http } = await engine.ports;
    const base = `http://127.0.0.1:${http}`;
    const admin = await apiLogin(base, 'admin', ADMIN_PASSWORD);
    await createUsers(base, admin.accessToken, [{ username: 'sup', password: PASSWORD, role: 'supervisor' }]);

    const corrections = new CorrectionService(db);
    const proposeFix = async (tradeKey: string, executionTimestamp?: string) => {
      const exceptionId = await nackedTrade(tcp, tradeKey);
      const original = await corrections.originalReport(exceptionId);
      const report = { ...original!, reportSubmittingEntityID: DEALER, ...(executionTimestamp === '' ? { executionTimestamp: undefined } : {}) };
      return { exceptionId, correction: await corrections.propose({ exceptionId, maker: 'ana', actionType: 'CORR', report, reason: 'the submitter must be the dealer' }) };
    };
    const a = await proposeFix(uti('A'));
    const b = await proposeFix(uti('B'), ''); // no execution timestamp: the rulebook rejects it
    const c = await proposeFix(uti('C'));

    await expect(approveViaApi(http, a.correction.id)).rejects.toThrow(); // the engine died under the request
    await crashed(engine);
    expect(await outboxRow(a.correction.id)).toMatchObject({ status: 'approved', event_source_id: 'console', event_seq: null, event_stored_at: null });
    expect(await consoleEvents(uti('A'))).toEqual([]);

    // Engine 2: its start sweep finds the correction owed, reserves its event's seq, and dies before sending it.
    engine = startEngine('correction-reserved');
    await crashed(engine);
    const reserved = await outboxRow(a.correction.id);
    expect(reserved).toMatchObject({ status: 'approved', event_source_id: 'console', event_stored_at: null });
    expect(reserved.event_seq).not.toBeNull();
    expect(await consoleEvents(uti('A'))).toEqual([]);

    // While no engine runs, B is approved as the console API approves (the approval with its outbox entry, no event).
    await corrections.approve({ correctionId: b.correction.id, checker: 'sup' });
    expect(await outboxRow(b.correction.id)).toMatchObject({ status: 'approved', event_source_id: 'console', event_seq: null });

    // Engine 3: its sweep sends A at the reserved seq; the event is stored; the engine dies before recording that.
    engine = startEngine('correction-stored');
    await crashed(engine);
    expect(await consoleEvents(uti('A'))).toEqual([{ seq: Number(reserved.event_seq), action_type: 'CORR', status: 'accepted' }]);
    expect(await consoleEvents(uti('B'))).toEqual([]);

    // Engine 4, no crash: its sweep finds A's event stored (nothing sent again) and sends B, which the rulebook rejects.
    engine = startEngine();
    const restarted = await engine.ports;
    await waitForCorrection(a.correction.id, 'acked');
    await expectExactlyOnce(a.correction.id, uti('A'));
    expect(await consoleEvents(uti('A'))).toEqual([{ seq: Number(reserved.event_seq), action_type: 'CORR', status: 'accepted' }]);

    await waitForCorrection(b.correction.id, 'rejected');
    expect(await consoleEvents(uti('B'))).toEqual([{ seq: expect.any(Number), action_type: 'CORR', status: 'rejected' }]);
    expect((await outboxRow(b.correction.id)).event_stored_at).toBeInstanceOf(Date);
    const { rows: bException } = await db.query<{ status: string }>('SELECT status FROM exception WHERE id = $1', [b.exceptionId]);
    expect(bException[0]!.status).toBe('open');
    expect((await repositoryIds(uti('B'))).get('cftc-part45')).toBeUndefined();

    // C the normal way: approved through the console API and sent at once.
    const res = await approveViaApi(restarted.http, c.correction.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sent: boolean }).sent).toBe(true);
    await waitForCorrection(c.correction.id, 'acked');
    await expectExactlyOnce(c.correction.id, uti('C'));

    // In the database: one console event per approved correction, each on its own correction's row, and the outbox empty.
    const { rows: owed } = await db.query<{ id: string; events: string }>(
      `SELECT c.id, (SELECT count(*) FROM event_log e WHERE e.source_id = 'console' AND e.trade_key = c.trade_key) AS events
         FROM correction c WHERE c.decided_at IS NOT NULL ORDER BY c.id`);
    expect(owed.map((r) => [Number(r.id), Number(r.events)])).toEqual([[a.correction.id, 1], [b.correction.id, 1], [c.correction.id, 1]]);
    const { rows: open } = await db.query('SELECT id FROM correction WHERE event_source_id IS NOT NULL AND event_stored_at IS NULL');
    expect(open).toEqual([]);
    // The trail says what happened, and no step twice.
    const trail = async (id: number) => (await auditTrail(db, 'correction', id)).map((e) => [e.actor, e.action]);
    expect(await trail(a.correction.id)).toEqual([['ana', 'propose'], ['sup', 'approve'], ['system', 'submitted'], ['system', 'acked']]);
    expect(await trail(b.correction.id)).toEqual([['ana', 'propose'], ['sup', 'approve'], ['system', 'rejected-by-rules']]);
    expect(await trail(c.correction.id)).toEqual([['ana', 'propose'], ['sup', 'approve'], ['system', 'submitted'], ['system', 'acked']]);
    const { rows: seqs } = await db.query<{ n: string; distinct_seq: string; max: string }>(
      `SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq, max(seq) AS max FROM event_log WHERE source_id = 'console'`);
    expect(seqs[0]).toEqual({ n: '3', distinct_seq: '3', max: '3' });
  }, 240_000);
});
