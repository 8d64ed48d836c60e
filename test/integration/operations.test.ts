import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import pg from 'pg';
import { FepFrame } from '../../proto/gen/fep.js';
import { FepTcpClient, encodeHello } from '../../loadtest/fep-client.js';
import { lengthPrefixed, LengthPrefixedReader } from '../../engine/ingest/length-prefixed.js';
import type { RunningEngine } from '../../engine/main.js';
import { metricValue, startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReports } from '../support/reports.js';

describe('operations', () => {
  let engine: RunningEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ maxInflightEvents: 2_000 });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const metric = (name: string) => metricValue(engine, name);

  it('serves /healthz and Prometheus /metrics counting received, stored and acknowledged events', async () => {
    const health = await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, database: 'up' });
    const c = await FepTcpClient.connect(engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    c.sendBatch(from, makeReports(1, 300));
    await c.waitForAck(from + 299);
    await c.close();
    expect(await metric('swaprep_events_received_total')).toBeGreaterThanOrEqual(300);
    expect(await metric('swaprep_events_acked_total')).toBeGreaterThanOrEqual(300);
    expect(await metric('swaprep_group_commit_rows_count')).toBeGreaterThan(0);
    const notFound = await fetch(`http://127.0.0.1:${engine.httpPort}/nope`);
    expect(notFound.status).toBe(404);
  });

  it('stops reading from sockets while PostgreSQL is stalled, keeps in-flight events bounded, and catches up after', async () => {
    const c = await FepTcpClient.connect(engine.tcpPort);
    const from = (await c.hello('fep2', TEST_SOURCES.fep2)) + 1;
    const locker = new pg.Client({ connectionString: engine.databaseUrl });
    await locker.connect();
    // Stall every group commit: COPY into event_log waits for this lock (reads still pass).
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE event_log IN SHARE MODE');
    const total = 20_000;
    for (let i = 0; i < total; i += 500) c.sendBatch(from + i, makeReports(100_000 + i, 500));
    await expect.poll(() => metric('swaprep_fep_paused_connections'), { timeout: 10_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const inflight = await metric('swaprep_inflight_events');
    // Bounded: the limit plus at most one frame that crossed it.
    expect(inflight).toBeGreaterThanOrEqual(2_000);
    expect(inflight).toBeLessThanOrEqual(2_500);
    expect(c.lastAck).toBeLessThan(from);
    // The stalled commits are logged as slow, naming COPY (waiting for the lock) as where their time went.
    const logged: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      await locker.query('ROLLBACK');
      await locker.end();
      await c.waitForAck(from + total - 1);
    } finally {
      process.stderr.write = write;
    }
    const slow = logged.filter((l) => l.includes('slow group commit'));
    expect(slow.length).toBeGreaterThan(0);
    const copyMs = Number(/copy ([\d.]+)/.exec(slow[0]!)?.[1]);
    const totalMs = Number(/ in (\d+) ms/.exec(slow[0]!)?.[1]);
    expect(totalMs).toBeGreaterThanOrEqual(250);
    expect(copyMs).toBeGreaterThan(totalMs / 2);
    expect(await metric('swaprep_inflight_events')).toBe(0);
    await c.close();
  });
});

describe('TLS', () => {
  let engine: RunningEngine;
  let cert: Buffer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    engine = await startTestEngine({ tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('speaks the FEP protocol over TLS when a certificate and key are configured', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: engine.tcpPort, ca: cert });
    await new Promise((r, j) => socket.once('secureConnect', r).once('error', j));
    const reader = new LengthPrefixedReader(1 << 20);
    const frame = new Promise<FepFrame>((resolve) => socket.on('data', (c: Buffer) => reader.push(c).forEach((f) => resolve(FepFrame.decode(f)))));
    socket.write(lengthPrefixed(encodeHello('fep1', TEST_SOURCES.fep1)));
    expect((await frame).kind?.$case).toBe('welcome');
    socket.end();
  });
});
