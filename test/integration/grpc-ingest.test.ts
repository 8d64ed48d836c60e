import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../proto/gen/fep.js';
import { FepGrpcClient } from '../../loadtest/fep-grpc-client.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReports } from '../support/reports.js';

const t = useTestEngine();
const count = (source: string) => t.storedCount(source);

describe('FEP over gRPC', () => {
  it('streams batches, acknowledges once durable, and shares sequence state with TCP', async () => {
    const client = FepGrpcClient.connect(t.engine.grpcPort);
    expect(await client.hello('fep1', TEST_SOURCES.fep1)).toBe(0);
    for (let b = 0; b < 10; b++) client.sendBatch(1 + b * 100, makeReports(1 + b * 100, 100));
    await client.waitForAck(1000);
    expect(await count('fep1')).toBe(1000);
    await client.close();

    // The same source continues over TCP from where gRPC left off, resending the last 100.
    const tcp = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await tcp.hello('fep1', TEST_SOURCES.fep1)).toBe(1000);
    tcp.sendBatch(901, makeReports(901, 200));
    await tcp.waitForAck(1100);
    expect(await count('fep1')).toBe(1100);
    await tcp.close();
  });

  it('answers a bad token and garbage with an Error frame and ends the stream', async () => {
    const bad = FepGrpcClient.connect(t.engine.grpcPort);
    await expect(bad.hello('fep2', 'nope')).rejects.toThrow(/AUTH_FAILED/);
    expect(bad.error?.code).toBe(ErrorCode.ERROR_CODE_AUTH_FAILED);

    const garbage = FepGrpcClient.connect(t.engine.grpcPort);
    await garbage.hello('fep2', TEST_SOURCES.fep2);
    garbage.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await garbage.endedPromise();
    expect(garbage.error?.code).toBe(ErrorCode.ERROR_CODE_BAD_FRAME);
    expect(await count('fep2')).toBe(0);
  });
});
