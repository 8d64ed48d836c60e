import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgres } from '../../engine/store/embedded-postgres.js';
import { createPool } from '../../engine/store/database.js';
import { defaultPostgresSettings } from '../../engine/store/postgres-settings.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { waitFor } from '../support/cli.js';
import { freePort, tempDirs } from '../support/embedded.js';
import { metricValue, startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReports } from '../support/reports.js';

// A server of this file's own: the tests stop it, start it, and stop its processes.
const dirs = tempDirs();
let server: EmbeddedPostgres;
let admin: pg.Pool;

beforeAll(async () => {
  server = await EmbeddedPostgres.open({ dataDir: join(dirs.make(), 'data'), port: await freePort() });
  admin = new pg.Pool({ connectionString: server.url('postgres'), max: 1 });
  admin.on('error', () => {});
});
afterAll(async () => {
  await admin?.end();
  await server?.stop();
  dirs.removeAll();
});

async function freshDatabase(name: string): Promise<string> {
  await admin.query(`CREATE DATABASE ${name}`);
  return server.url(name);
}

describe('PostgreSQL faults', () => {
  it('a PostgreSQL restart mid-stream: the engine stops reading its FEP, reconnects, and every acknowledged event is stored exactly once', async () => {
    const TOTAL = 10_000;
    const BATCH = 100;
    const engine = await startTestEngine({ databaseUrl: await freshDatabase('restart'), maxInflightEvents: 2_000 });
    const client = await FepTcpClient.connect(engine.tcpPort);
    try {
      expect(await client.hello('fep1', TEST_SOURCES.fep1)).toBe(0);
      // The FEP sends as fast as the engine reads, all along; it blocks (drain) while the engine does not read.
      let sent = 0;
      const sender = (async () => {
        while (sent < TOTAL && !client.socket.destroyed) {
          const n = Math.min(BATCH, TOTAL - sent);
          const more = client.sendBatch(sent + 1, makeReports(sent + 1, n));
          sent += n;
          if (!more) await new Promise((r) => client.socket.once('drain', r));
        }
      })();
      await client.waitForAck(2_000);

      await server.stop();
      // Acknowledgements already on their way arrive; then none while the database is away.
      await new Promise((r) => setTimeout(r, 300));
      const ackedWhileDown = client.lastAck;
      expect(ackedWhileDown).toBeLessThan(TOTAL);
      // The engine holds at most its in-flight limit, then stops reading the connection (not closing it).
      await waitFor('the connection to be paused', async () => (await metricValue(engine, 'swaprep_fep_paused_connections')) === 1);
      expect(sent).toBeGreaterThan(ackedWhileDown + 2_000);
      expect(client.lastAck).toBe(ackedWhileDown);

      await server.start();
      await client.waitForAck(TOTAL);
      await sender;
      expect(client.error).toBeUndefined();
      expect(await metricValue(engine, 'swaprep_group_commit_retries_total')).toBeGreaterThan(0);

      // Everything sent was acknowledged in the end, and each event is in the log once.
      const db = new pg.Client({ connectionString: server.url('restart') });
      await db.connect();
      try {
        const stored = await db.query<{ n: string; seqs: string; first: string; last: string }>(
          `SELECT count(*) AS n, count(DISTINCT seq) AS seqs, min(seq) AS first, max(seq) AS last FROM event_log WHERE source_id = 'fep1'`);
        expect(stored.rows[0]).toEqual({ n: String(TOTAL), seqs: String(TOTAL), first: '1', last: String(TOTAL) });
      } finally {
        await db.end();
      }
    } finally {
      await client.close();
      await engine.stop();
    }
  });

  it('a connection whose server stops answering fails its query instead of hanging, and the pool goes on with a new one', async () => {
    const pool = createPool(await freshDatabase('hung'), 1, 'short', { ...defaultPostgresSettings, statementTimeoutMs: 500 });
    try {
      const { rows } = await pool.query<{ pid: number; statement: string; idle: string }>(
        `SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`);
      // The server's own limits travel with each connection.
      expect(rows[0]).toMatchObject({ statement: '500ms', idle: '1min' });
      const pid = rows[0]!.pid;
      // The backend stops as a hung server or a half-dead connection would: no reply, no reset.
      process.kill(pid, 'SIGSTOP');
      try {
        await expect(pool.query('SELECT 1')).rejects.toThrow(/timeout/i);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const next = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(next.rows[0]!.pid).not.toBe(pid);
    } finally {
      await pool.end();
    }
  });
});
