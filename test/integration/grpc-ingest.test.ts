import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ErrorCode } from '../../proto/gen/fep.js';
import { FepGrpcClient } from '../../loadtest/fep-grpc-client.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReports } from '../support/reports.js';

let engine: RunningEngine;
let db: pg.Pool;

beforeAll(async () => {
  engine = await startTestEngine();
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
});
afterAll(async () => {
  await db?.end();
  await engine?.stop();
});

const count = async (source: string) =>
  Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id = $1', [source])).rows[0]!.n);

describe('FEP over gRPC', () => {
  it('streams batches, acknowledges once durable, and shares sequence state with TCP', async () => {
    const client = FepGrpcClient.connect(engine.grpcPort);
    expect(await client.hello('fep1', TEST_SOURCES.fep1)).toBe(0);
    for (let b = 0; b < 10; b++) client.sendBatch(1 + b * 100, makeReports(1 + b * 100, 100));
    await client.waitForAck(1000);
    expect(await count('fep1')).toBe(1000);
    await client.close();

    // The same source continues over TCP from where gRPC left off, resending the last 100.
    const tcp = await FepTcpClient.connect(engine.tcpPort);
    expect(await tcp.hello('fep1', TEST_SOURCES.fep1)).toBe(1000);
    tcp.sendBatch(901, makeReports(901, 200));
    await tcp.waitForAck(1100);
    expect(await count('fep1')).toBe(1100);
    await tcp.close();
  });

  it('answers a bad token and garbage with an Error frame and ends the stream', async () => {
    const bad = FepGrpcClient.connect(engine.grpcPort);
    await expect(bad.hello('fep2', 'nope')).rejects.toThrow(/AUTH_FAILED/);
    expect(bad.error?.code).toBe(ErrorCode.ERROR_CODE_AUTH_FAILED);

    const garbage = FepGrpcClient.connect(engine.grpcPort);
    await garbage.hello('fep2', TEST_SOURCES.fep2);
    garbage.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await garbage.endedPromise();
    expect(garbage.error?.code).toBe(ErrorCode.ERROR_CODE_BAD_FRAME);
    expect(await count('fep2')).toBe(0);
  });
});
