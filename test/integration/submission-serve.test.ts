// The submission path as `serve` runs it (engine/main.ts, configured the way SWAPREP_SDR / SWAPREP_CONFIG
// configure it), against the simulated repository as its own process: FEP events in -> submissions -> ACK in
// the database; a record the simulator refuses -> NACK -> exception -> correction approved by a second person
// -> CORR entering the engine as source `console` -> ACK -> exception closed. Also: with no repository
// configured, submissions are made and stay pending, and /healthz says why. Real PostgreSQL and sockets.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { CorrectionError } from '../../engine/exceptions/corrections.js';
import { auditTrail } from '../../engine/exceptions/audit.js';
import { listExceptions } from '../../engine/exceptions/store.js';
import { loadConfig } from '../../engine/config.js';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine, submissionSettings, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, OTHER_SUBMITTER, tradeReport } from '../support/trades.js';
import { waitFor } from '../support/cli.js';

interface SubRow { id: string; regime: string; status: string; action_type: string; repository: string; correction_id: string | null }

async function health(engine: RunningEngine): Promise<Record<string, unknown>> {
  return (await (await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`)).json()) as Record<string, unknown>;
}

function subsOf(db: pg.Pool, sourceId: string, seq: number): Promise<SubRow[]> {
  return db.query<SubRow>(`SELECT id, regime, status, action_type, repository, correction_id FROM submission_state WHERE source_id = $1 AND seq = $2 ORDER BY regime`, [sourceId, seq])
    .then((r) => r.rows);
}

async function settled(db: pg.Pool, sourceId: string, seq: number, count = 2): Promise<SubRow[]> {
  await waitFor(`submissions of ${sourceId}#${seq} settled`, async () => {
    const rows = await subsOf(db, sourceId, seq);
    return rows.length === count && rows.every((r) => r.status === 'acked' || r.status === 'nacked');
  }, 30_000);
  return subsOf(db, sourceId, seq);
}

describe('serve with a repository (HTTPS from SWAPREP_SDR, simulator process)', () => {
  let engine: RunningEngine;
  let sim: ChildSdrSim;
  let db: pg.Pool;
  let fep: FepTcpClient;
  let seq = 0;
  const uti = (s: string) => `${DEALER}SRV${s}`;
  const send = async (report: Uint8Array) => {
    const s = ++seq;
    fep.sendBatch(s, [report]);
    await fep.waitForAck(s);
    return s;
  };

  beforeAll(async () => {
    sim = await startChildSdrSim();
    engine = await startTestEngine({ submission: submissionSettings({ SWAPREP_SDR: `sim=${sim.baseUrl}` }) });
    db = new pg.Pool({ connectionString: engine.databaseUrl, max: 3 });
    fep = await FepTcpClient.connect(engine.tcpPort);
    seq = await fep.hello('fep1', TEST_SOURCES.fep1);
  }, 60_000);

  afterAll(async () => {
    await fep?.close();
    await db?.end();
    await Promise.all([engine?.stop(), sim?.stop()]);
  });

  it('turns FEP events into submissions that the repository acknowledges, with nothing else to start', async () => {
    const s = await send(encodeReport(tradeReport({ uti: uti('A') })));
    const rows = await settled(db, 'fep1', s);
    expect(rows.map((r) => [r.regime, r.status, r.action_type, r.repository])).toEqual([['cftc-part43', 'acked', 'NEWT', 'sim'], ['cftc-part45', 'acked', 'NEWT', 'sim']]);
    const state = await sim.state();
    expect(state.trades.filter((t) => t.uti === uti('A')).map((t) => t.submissionIds)).toEqual([[rows[0]!.id], [rows[1]!.id]]);
    const h = await health(engine);
    expect(h.submission).toMatchObject({ repositories: [{ name: 'sim', channel: 'https', regimes: ['cftc-part45', 'cftc-part43'] }] });
    expect((h.submission as Record<string, unknown>).note).toBeUndefined();
    expect((h.submission as Record<string, unknown>).stalled).toBeUndefined();

    // The delivery path on /metrics: both answers counted by repository, regime and outcome, nothing owed or late.
    const metrics = await (await fetch(`http://127.0.0.1:${engine.httpPort}/metrics`)).text();
    const sample = (series: string) => Number(metrics.split('\n').find((l) => l.startsWith(series + ' '))?.split(' ').pop() ?? NaN);
    expect(sample('swaprep_submission_outcomes_total{repository="sim",regime="cftc-part45",outcome="ACK"}')).toBe(1);
    expect(sample('swaprep_submission_outcomes_total{repository="sim",regime="cftc-part43",outcome="ACK"}')).toBe(1);
    expect(sample('swaprep_submission_intake_lag_events')).toBe(0);
    expect(sample('swaprep_submission_deadlines{state="missed"}')).toBe(0);
    expect(sample('swaprep_submission_batch_send_seconds_count{repository="sim",result="taken"}')).toBe(2);
    expect(metrics).toContain('# TYPE swaprep_submission_backlog_records gauge');
    expect(metrics).toContain('# TYPE swaprep_submission_oldest_seconds gauge');
  });

  it('NACK -> exception; the approved correction enters as source `console`, is judged, stored once, ACKed, and closes the exception', async () => {
    const s = await send(encodeReport(tradeReport({ uti: uti('B'), submitter: OTHER_SUBMITTER })));
    const rows = await settled(db, 'fep1', s);
    expect(rows.map((r) => [r.regime, r.status])).toEqual([['cftc-part43', 'acked'], ['cftc-part45', 'nacked']]);
    const [exc] = await listExceptions(db, { status: 'open' });
    expect(exc).toMatchObject({ kind: 'nack', regime: 'cftc-part45', submissionId: rows[1]!.id, tradeKey: uti('B') });
    expect(exc!.codes).toEqual([expect.objectContaining({ code: 'PRM-001' })]);

    const path = engine.submission!;
    const original = await path.corrections.originalReport(exc!.id);
    const proposal = await path.corrections.propose({ exceptionId: exc!.id, maker: 'alice', actionType: 'CORR', report: { ...original!, reportSubmittingEntityID: DEALER }, reason: 'submitter must be the dealer' });
    await expect(path.approveCorrection({ correctionId: proposal.id, checker: 'alice' })).rejects.toBeInstanceOf(CorrectionError);
    const { approved, event } = await path.approveCorrection({ correctionId: proposal.id, checker: 'bob' });
    expect(approved.report.actionType).toBe('CORR');
    expect(event).toMatchObject({ sourceId: 'console', status: 'accepted' });

    // Stored once, as the console source's event, judged like any other.
    const { rows: stored } = await db.query<{ source_id: string; seq: string; action_type: string; status: string; trade_key: string }>(
      `SELECT source_id, seq, action_type, status, trade_key FROM event_log WHERE trade_key = $1 ORDER BY received_at`, [uti('B')]);
    expect(stored.map((e) => [e.source_id, e.action_type, e.status])).toEqual([['fep1', 'NEWT', 'accepted'], ['console', 'CORR', 'accepted']]);
    expect(Number(stored[1]!.seq)).toBe(event.seq);

    const corr = await settled(db, 'console', event.seq);
    expect(corr.map((r) => [r.regime, r.status, r.action_type])).toEqual([['cftc-part43', 'acked', 'CORR'], ['cftc-part45', 'acked', 'CORR']]);
    expect(corr[1]!.correction_id).toBe(String(proposal.id));
    await waitFor('exception closed', async () => (await listExceptions(db, { status: 'closed' })).some((e) => e.id === exc!.id));
    expect((await path.corrections.get(proposal.id))?.status).toBe('acked');
    expect((await auditTrail(db, 'correction', proposal.id)).map((a) => [a.actor, a.action])).toEqual([['alice', 'propose'], ['bob', 'approve'], ['system', 'submitted'], ['system', 'acked']]);
  });

  it('a correction the rulebook rejects goes back to the analyst: correction rejected, exception open again', async () => {
    const s = await send(encodeReport(tradeReport({ uti: uti('C'), submitter: OTHER_SUBMITTER })));
    await settled(db, 'fep1', s);
    const exc = (await listExceptions(db, { status: 'open' })).find((e) => e.tradeKey === uti('C'))!;
    const path = engine.submission!;
    const original = await path.corrections.originalReport(exc.id);
    // No execution timestamp: an error in the Part 45 rulebook.
    const proposal = await path.corrections.propose({ exceptionId: exc.id, maker: 'alice', actionType: 'CORR', report: { ...original!, reportSubmittingEntityID: DEALER, executionTimestamp: undefined } });
    const { event } = await path.approveCorrection({ correctionId: proposal.id, checker: 'bob' });
    expect(event.status).toBe('rejected');
    expect(event.findings.some((f) => f.severity === 'error')).toBe(true);
    expect((await path.corrections.get(proposal.id))?.status).toBe('rejected');
    expect((await listExceptions(db, { status: 'open' })).map((e) => e.id)).toContain(exc.id);
    expect((await auditTrail(db, 'correction', proposal.id)).map((a) => a.action)).toEqual(['propose', 'approve', 'rejected-by-rules']);
  });
});

describe('serve with no repository configured, and a SWAPREP_CONFIG file', () => {
  it('makes the submissions and keeps them pending; /healthz says that no repository is configured', async () => {
    const engine = await startTestEngine({ submission: submissionSettings({}) });
    const db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
    const fep = await FepTcpClient.connect(engine.tcpPort);
    try {
      const first = (await fep.hello('fep2', TEST_SOURCES.fep2)) + 1;
      fep.sendBatch(first, [encodeReport(tradeReport({ uti: `${DEALER}SRVNONE` }))]);
      await fep.waitForAck(first);
      await waitFor('submissions made', async () => (await subsOf(db, 'fep2', first)).length === 2, 20_000);
      expect((await subsOf(db, 'fep2', first)).map((r) => [r.regime, r.status, r.repository])).toEqual([['cftc-part43', 'pending', ''], ['cftc-part45', 'pending', '']]);
      const h = await health(engine);
      expect((h.submission as Record<string, unknown>).note).toMatch(/no repository is configured/);
    } finally {
      await fep.close();
      await db.end();
      await engine.stop();
    }
  });

  it('reads repositories (HTTPS and SFTP) and thresholds from the file, and names a bad setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-config-'));
    const file = join(dir, 'swaprep.json');
    writeFileSync(file, JSON.stringify({
      reports: { regimes: ['cftc-part45', 'cftc-part43', 'ktfc'], part43: { blockDelayMinutes: 30 } },
      repositories: [
        { name: 'dtcc', regimes: ['cftc-part45', 'cftc-part43'], channel: { kind: 'https', url: 'https://sdr.example:8443/api', token: 't' } },
        { name: 'krx', regimes: ['ktfc'], channel: { kind: 'sftp', host: 'sftp.example', port: 2222, username: 'u', password: 'p', hostKey: 'SHA256:jDvI6joFI+z1nVcm5rxevPGhUmMP1gHMrg0Y0IiFjyw', inbox: '/inbox', outbox: '/outbox' } },
      ],
      webhooks: ['https://hooks.example/alerts'],
      schedule: [{ kind: 'daily-activity', at: '05:30' }],
    }));
    const c = loadConfig({ SWAPREP_CONFIG: file, SWAPREP_DATA_DIR: dir });
    expect(c.submission.enabled).toBe(true);
    expect(c.submission.path.repositories.map((r) => [r.name, r.channel.kind, r.format, r.maxBatch])).toEqual([['dtcc', 'https', 'json', 10_000], ['krx', 'sftp', 'csv', 10_000]]);
    expect(c.submission.path.reports.part43.blockDelayMinutes).toBe(30);
    expect(c.submission.path.reports.part43.asapMinutes).toBe(15);
    expect(c.submission.path.reportsDir).toBe(join(dir, 'reports'));
    // SWAPREP_SDR wins over the file's repositories.
    expect(loadConfig({ SWAPREP_CONFIG: file, SWAPREP_SDR: 'sim=http://127.0.0.1:9/' }).submission.path.repositories.map((r) => r.name)).toEqual(['sim']);

    writeFileSync(file, JSON.stringify({ repositories: [{ name: 'x', channel: { kind: 'https', url: 'ftp://nope' } }] }));
    expect(() => loadConfig({ SWAPREP_CONFIG: file })).toThrow(/repositories\[0\]\.channel\.url: expected an https: .* got "ftp:\/\/nope"/);
    writeFileSync(file, JSON.stringify({ intake: { batchSize: 'big' } }));
    expect(() => loadConfig({ SWAPREP_CONFIG: file })).toThrow(/intake\.batchSize: expected a non-negative number/);
    writeFileSync(file, JSON.stringify({ repositorys: [] }));
    expect(() => loadConfig({ SWAPREP_CONFIG: file })).toThrow(/repositorys: unknown setting/);
    expect(() => loadConfig({ SWAPREP_SDR: 'a=http://127.0.0.1:1/,b=http://127.0.0.1:2/' })).toThrow(/cftc-part45 goes to both "a" and "b"/);
    expect(() => loadConfig({ SWAPREP_SDR: 'nourl' })).toThrow(/SWAPREP_SDR: entry "nourl"/);
    expect(() => loadConfig({ SWAPREP_SUBMISSION: 'maybe' })).toThrow(/SWAPREP_SUBMISSION: "maybe"/);
  });
});
