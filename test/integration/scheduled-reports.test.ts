// The specified reports from a small seeded store: the cumulative report (every live trade's latest state, once per
// regime it owes) and the internal anomaly report (scores, flags, model version, top features, verdicts); and a
// scheduled file delivered through a repository's channel: over SFTP into the simulator's reports/ directory (kept
// locally as well, never read as a batch), over HTTP(S) as a POST, and retried at the next pass after a failure.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdrSim, DEFAULT_SIM, type RunningSdrSim } from '../../loadtest/sdr-sim/index.js';
import { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from '../../engine/reports/index.js';
import { buildReport } from '../../engine/scheduled/kinds.js';
import { listReportFiles } from '../../engine/scheduled/files.js';
import { ReportScheduler } from '../../engine/scheduled/scheduler.js';
import { parseSubmissionFile } from '../../engine/submission/config.js';
import { HttpsChannel } from '../../engine/submission/channels/https.js';
import type { RepositoryConfig } from '../../engine/submission/types.js';
import { migratedTestDatabase } from '../support/database.js';
import { DEALER, encodeReport, tradeReport } from '../support/trades.js';

const D = '2024-04-02';
const reports: ReportsConfig = { ...DEFAULT_REPORTS_CONFIG, regimes: ['cftc-part45', 'ktfc'] };
const dir = mkdtempSync(join(tmpdir(), 'swaprep-scheduled-'));
let db: pg.Pool;
let sim: RunningSdrSim;

async function store(seq: number, at: string, uti: string, version: number, lifecycle: string, actionType = 'NEWT'): Promise<void> {
  const r = tradeReport({ uti, actionType });
  await db.query(
    `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report)
     VALUES ('src', $1, $2::timestamptz, $3, $4, $5, $6, 'accepted', $7, $8, $9)`,
    [seq, at, uti, DEALER, actionType, r.eventTimestamp, version, lifecycle, Buffer.from(encodeReport(r))]);
}

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await migratedTestDatabase('sched'), max: 3 });
  await db.query(`INSERT INTO fep_source (source_id, token_hash) VALUES ('src', 'x')`);
  await store(1, `${D}T10:00:00Z`, 'UTI-A', 1, 'live');
  await store(2, `${D}T10:01:00Z`, 'UTI-B', 1, 'live');
  await store(3, `${D}T11:00:00Z`, 'UTI-B', 2, 'terminated', 'TERM'); // no longer live at the end of D
  await store(4, `${D}T12:00:00Z`, 'UTI-A', 2, 'live', 'MODI'); // UTI-A's latest state
  await store(5, '2024-04-03T01:00:00Z', 'UTI-C', 1, 'live'); // after D
  // Scores as the score writer stores them: one batch of the source's run, seq 4 flagged (offset 3).
  await db.query(`INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, flagged, scores) VALUES ('src', 1, 5, 'm-7', '{3}', '{0.1,0.2,0.3,5.25,0.4}')`);
  await db.query(`INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, iforest, autoencoder, zscore)
                  VALUES ('src', 4, 'UTI-A', 'm-7', 5.25, '[{"feature":"notional_z","value":9.5,"contribution":3.1},{"feature":"tenor_days","value":3650,"contribution":1.2}]', 0.7, 2.5, 4.1)`);
  await db.query(`INSERT INTO review_label (source_id, seq, verdict, analyst, note, labelled_at) VALUES
                  ('src', 4, 'dismissed', 'bob', 'first look', '2024-04-02T13:00:00Z'),
                  ('src', 4, 'confirmed', 'alice', 'fat finger', '2024-04-02T14:00:00Z'),
                  ('src', 2, 'dismissed', 'bob', NULL, '2024-04-02T15:00:00Z')`);
  sim = await startSdrSim({ ...DEFAULT_SIM, dataDir: join(dir, 'sim') });
}, 60_000);

afterAll(async () => {
  await sim?.close();
  await db?.end();
});

describe('cumulative report', () => {
  it('lists every live trade at the end of D with its latest state, once per regime it owes, by regime', async () => {
    const t = await buildReport(db, 'cumulative', D, { reports });
    const col = (name: string) => t.header.indexOf(name);
    expect(t.rows.map((r) => [r[col('regime')], r[col('trade_key')], r[col('version')], r[col('last_action')], r[col('seq')]])).toEqual([
      ['cftc-part45', 'UTI-A', 2, 'MODI', 4],
      ['ktfc', 'UTI-A', 2, 'MODI', 4],
    ]);
    expect(t.rows[0]![col('counterparty1')]).toBe(DEALER);
    // The next day the later trade is there too.
    expect((await buildReport(db, 'cumulative', '2024-04-03', { reports })).rows.map((r) => r[col('trade_key')])).toEqual(['UTI-A', 'UTI-C', 'UTI-A', 'UTI-C']);
  });
});

describe('anomaly report', () => {
  it('lists the flagged and the labelled events of D with score, flag, model, top features and the latest verdict', async () => {
    const t = await buildReport(db, 'anomalies', D);
    const rows = t.rows.map((r) => Object.fromEntries(t.header.map((h, i) => [h, r[i]])));
    expect(rows.map((r) => [r.seq, r.flagged, r.model_version, r.score, r.verdict, r.analyst])).toEqual([
      [2, 'N', 'm-7', 0.2, 'dismissed', 'bob'], // labelled though not flagged
      [4, 'Y', 'm-7', 5.25, 'confirmed', 'alice'], // the later verdict supersedes the earlier one
    ]);
    expect(rows[1]!.top_features).toBe('notional_z=9.5 (3.1); tenor_days=3650 (1.2)');
    expect(rows[1]).toMatchObject({ trade_key: 'UTI-A', iforest: 0.7, autoencoder: 2.5, zscore: 4.1, review_state: 'open', verdict_note: 'fat finger', score_status: 'scored' });
    expect((await buildReport(db, 'anomalies', '2024-04-03')).rows).toEqual([]);
  });
});

describe('scheduled delivery', () => {
  const sftpRepo = (): RepositoryConfig => ({
    name: 'sdr-sim', regimes: [], format: 'csv', maxBatch: 10_000, concurrency: 1,
    channel: { kind: 'sftp', host: '127.0.0.1', port: sim.sftpPort!, username: 'swaprep', password: 'swaprep', hostKeys: [sim.sftpHostKey!], inbox: '/inbox', outbox: '/outbox', timeoutMs: 5_000, maxResponseBytes: 1 << 20 },
  });

  it('keeps the file and puts it in the simulator\'s reports/ over SFTP (not parsed as a batch), recording the delivery', async () => {
    const clock = () => Date.parse('2024-04-03T07:00:00Z');
    const sched = new ReportScheduler(db, [{ kind: 'cumulative', at: '06:00', deliverTo: 'sdr-sim' }], join(dir, 'kept'), clock, { reports, repositories: [sftpRepo()] });
    try {
      expect(await sched.runDue()).toEqual([`cumulative@${D}`]);
      expect(sched.lastDeliveries.map((d) => [d.target, d.delivered])).toEqual([['sdr-sim', true]]);
    } finally {
      sched.stop();
    }
    const [file] = await listReportFiles(db, { kind: 'cumulative' });
    expect(file).toMatchObject({ deliveryTarget: 'sdr-sim', deliveryStatus: 'delivered' });
    const sent = join(dir, 'sim', 'reports', `cumulative-${D}.csv`);
    expect(readFileSync(sent, 'utf8')).toBe(readFileSync(file!.path, 'utf8'));
    expect(readFileSync(sent, 'utf8').split('\n')[0]).toMatch(/^regime,trade_key,/);
    expect(readdirSync(join(dir, 'sim', 'outbox'))).toEqual([]); // nothing answered: it was never taken for a batch
  });

  it('a failed delivery stays pending with its error and is sent at the next pass', async () => {
    let calls = 0;
    const got: string[] = [];
    const senderFor = () => ({
      send: async (name: string) => {
        if (++calls === 1) throw new Error('connection refused');
        got.push(name);
      },
      close: async () => undefined,
    });
    const repo = { ...sftpRepo(), name: 'internal' };
    const clock = () => Date.parse('2024-04-03T07:00:00Z');
    const sched = new ReportScheduler(db, [{ kind: 'anomalies', at: '06:00', deliverTo: 'internal' }], join(dir, 'kept'), clock, { repositories: [repo], senderFor });
    expect(await sched.runDue()).toEqual([`anomalies@${D}`]);
    const [first] = (await db.query(`SELECT delivery_status, delivery_attempts, delivery_error FROM report_file WHERE kind = 'anomalies'`)).rows;
    expect(first).toEqual({ delivery_status: 'pending', delivery_attempts: 1, delivery_error: 'connection refused' });
    expect(await sched.runDue()).toEqual([]); // not made again, but delivered now
    expect(got).toEqual([`anomalies-${D}.csv`]);
    const [second] = (await db.query(`SELECT delivery_status, delivery_attempts FROM report_file WHERE kind = 'anomalies'`)).rows;
    expect(second).toEqual({ delivery_status: 'delivered', delivery_attempts: 2 });
    expect(await sched.runDue()).toEqual([]);
    expect(got).toHaveLength(1); // delivered once
  });

  it('HTTPS: the file is POSTed to v1/reports/{name}', async () => {
    const seen: { url: string; type: string; body: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString() });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ch = new HttpsChannel({ kind: 'https', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 5_000, maxResponseBytes: 1 << 20 });
    try {
      await ch.sendFile('open-trades-2024-04-02.csv', Buffer.from('a,b\n1,2\n'));
    } finally {
      await ch.close();
      server.close();
    }
    expect(seen).toEqual([{ url: '/v1/reports/open-trades-2024-04-02.csv', type: 'text/csv', body: 'a,b\n1,2\n' }]);
  });

  it('the configuration refuses a deliverTo that names no repository', () => {
    expect(() => parseSubmissionFile(JSON.stringify({ schedule: [{ kind: 'cumulative', at: '06:00', deliverTo: 'nowhere' }] }), 'cfg', dir))
      .toThrow(/cfg\.schedule\[0\]\.deliverTo: "nowhere" is not a configured repository/);
    expect(existsSync(dir)).toBe(true);
  });
});
