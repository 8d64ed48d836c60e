import { afterEach, describe, expect, it, vi } from 'vitest';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FepFrame } from '../../proto/gen/fep.js';
import { FepTcpClient, encodeBatch, encodeHello } from '../../loadtest/fep-client.js';
import { FepGrpcClient } from '../../loadtest/fep-grpc-client.js';
import { LengthPrefixedReader, lengthPrefixed } from '../../engine/ingest/length-prefixed.js';
import { defaultConnectionLimits } from '../../engine/ingest/connection-limits.js';
import type { RunningEngine } from '../../engine/main.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { makeReports } from '../support/reports.js';

/** A raw TCP connection that collects the frames the engine sends until it closes the connection. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const reader = new LengthPrefixedReader(1 << 20);
  const frames: FepFrame[] = [];
  socket.on('data', (c: Buffer) => frames.push(...reader.push(c).map((f) => FepFrame.decode(f))));
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const error = () => {
    const e = frames.find((f) => f.kind?.$case === 'error');
    return e?.kind?.$case === 'error' ? e.kind.value : undefined;
  };
  return { socket, frames, connected, closed, error };
}

/** FEP sessions the engine holds (its /healthz `connections`). */
async function sessions(engine: RunningEngine): Promise<number> {
  const body = (await (await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`)).json()) as { connections: number };
  return body.connections;
}

afterEach(() => vi.restoreAllMocks());

describe('before Hello, and when idle', () => {
  const t = useTestEngine({
    maxFrameBytes: 1024 * 1024,
    ingestLimits: { ...defaultConnectionLimits, helloTimeoutMs: 1000, idleTimeoutMs: 1000, preHelloMaxFrameBytes: 1024 },
  });

  it('answers a Hello whose source_id no source can have (a NUL, or too long) with AUTH_FAILED, not an internal error', async () => {
    for (const sourceId of ['fep\u00001', 'x'.repeat(300)]) {
      const conn = rawConnection(t.engine.tcpPort);
      await conn.connected;
      conn.socket.write(lengthPrefixed(encodeHello(sourceId, 'token')));
      await conn.closed;
      expect(conn.error()?.code).toBe(ErrorCode.ERROR_CODE_AUTH_FAILED);
      expect(conn.error()?.message).toMatch(/^unknown source "/);
    }
  });

  it('refuses a frame over the pre-Hello limit from its length prefix, without allocating it; after Welcome the full limit applies', async () => {
    const announced = 900 * 1024;
    const allocs = [vi.spyOn(Buffer, 'allocUnsafe'), vi.spyOn(Buffer, 'allocUnsafeSlow'), vi.spyOn(Buffer, 'alloc')];
    const conn = rawConnection(t.engine.tcpPort);
    await conn.connected;
    const read = Buffer.alloc(4 + 2000, 7);
    read.writeUInt32BE(announced);
    conn.socket.write(read);
    await conn.closed;
    expect(conn.error()?.code).toBe(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE);
    expect(conn.error()?.message).toMatch(/921600 bytes exceeds the 1024-byte limit \(SWAPREP_PRE_HELLO_MAX_FRAME_BYTES/);
    const sizes = allocs.flatMap((spy) => spy.mock.calls.map((c) => Number(c[0])));
    expect(sizes.filter((n) => n >= announced)).toEqual([]);

    const client = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await client.hello('fep1', TEST_SOURCES.fep1)) + 1;
    const batch = encodeBatch(from, makeReports(from, 40));
    expect(batch.length).toBeGreaterThan(1024);
    client.sendFrame(batch);
    await client.waitForAck(from + 39);
    expect(await t.storedCount('fep1')).toBe(from + 39);
    await client.close();
  });

  it('closes a connection whose Hello does not arrive in time, even one that sent part of it', async () => {
    const silent = rawConnection(t.engine.tcpPort);
    const partial = rawConnection(t.engine.tcpPort);
    await Promise.all([silent.connected, partial.connected]);
    partial.socket.write(lengthPrefixed(encodeHello('fep2', TEST_SOURCES.fep2)).subarray(0, 7));
    await Promise.all([silent.closed, partial.closed]);
    for (const c of [silent, partial]) {
      expect(c.error()?.code).toBe(ErrorCode.ERROR_CODE_LIMIT);
      expect(c.error()?.message).toBe('no Hello within 1000 ms of connecting (SWAPREP_HELLO_TIMEOUT_MS)');
    }
  });

  it('closes an authenticated connection that sends nothing for the idle timeout', async () => {
    const client = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await client.hello('fep2', TEST_SOURCES.fep2)) + 1;
    // An empty Batch is a valid frame: a quiet client's keepalive.
    client.sendFrame(encodeBatch(from, []));
    client.sendBatch(from, makeReports(from, 3));
    await client.waitForAck(from + 2);
    await client.closed();
    expect(client.error?.message).toMatch(/^nothing received or sent for 1000 ms \(SWAPREP_IDLE_TIMEOUT_MS\)/);
    expect(await t.storedCount('fep2')).toBe(from + 2);
  });

  it('gRPC: the pre-Hello limit and the Hello deadline apply per stream; a message over the frame size gets RESOURCE_EXHAUSTED', async () => {
    const oversize = FepGrpcClient.connect(t.engine.grpcPort);
    oversize.sendRaw(Buffer.alloc(2048, 1));
    await oversize.endedPromise();
    expect(oversize.error?.code).toBe(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE);
    expect(oversize.error?.message).toMatch(/2048 bytes exceeds the 1024-byte limit \(SWAPREP_PRE_HELLO_MAX_FRAME_BYTES/);

    const silent = FepGrpcClient.connect(t.engine.grpcPort);
    await silent.endedPromise();
    expect(silent.error?.message).toMatch(/SWAPREP_HELLO_TIMEOUT_MS/);

    const welcomed = FepGrpcClient.connect(t.engine.grpcPort);
    const status = new Promise<grpc.ServiceError>((resolve) => welcomed.call.on('error', resolve));
    await welcomed.hello('fep1', TEST_SOURCES.fep1);
    welcomed.sendRaw(Buffer.alloc(1024 * 1024 + 1));
    const err = await status;
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/larger than max \(1048577 vs\.? 1048576\)/);
    await Promise.all([oversize.close(), silent.close(), welcomed.close()]);
  });
});

describe('connection caps and a flood of bad Hellos', () => {
  const perAddress = 40;
  const t = useTestEngine({ ingestLimits: { ...defaultConnectionLimits, maxConnectionsPerAddress: perAddress, maxConcurrentAuth: 1 } });

  it('refuses the connection over the per-address cap with an Error frame naming it, and takes one again once a slot is free', async () => {
    const held = Array.from({ length: perAddress }, () => rawConnection(t.engine.tcpPort));
    await Promise.all(held.map((c) => c.connected));
    await expect.poll(() => sessions(t.engine)).toBe(perAddress);
    const refused = rawConnection(t.engine.tcpPort);
    await refused.closed;
    expect(refused.error()?.code).toBe(ErrorCode.ERROR_CODE_LIMIT);
    expect(refused.error()?.message).toMatch(/at most 40 at once \(SWAPREP_MAX_CONNECTIONS_PER_ADDRESS\)/);

    held.pop()!.socket.destroy();
    await expect.poll(() => sessions(t.engine)).toBe(perAddress - 1);
    const next = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await next.hello('fep2', TEST_SOURCES.fep2)).toBeGreaterThanOrEqual(0);
    await next.close();
    for (const c of held) c.socket.destroy();
  });

  it('a source keeps getting Acks, and another reconnects, while bad Hellos flood in; peer text is escaped and cut', async () => {
    const logged: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (logged.push(String(chunk)), true));
    // fep2 was welcomed lately (its token is remembered); fep1 streams throughout.
    const before = await FepTcpClient.connect(t.engine.tcpPort);
    await before.hello('fep2', TEST_SOURCES.fep2);
    await before.close();
    const client = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await client.hello('fep1', TEST_SOURCES.fep1)) + 1;

    const floodErrors: { code: ErrorCode; message: string }[] = [];
    let flooding = true;
    let sent = 0;
    const forged = '\n2030-01-01T00:00:00.000Z INFO forged line \u001b[2J';
    const worker = async () => {
      while (flooding || sent < 100) {
        const n = sent++;
        const c = rawConnection(t.engine.tcpPort);
        c.socket.write(lengthPrefixed(encodeHello(`intruder-${n}${forged}${'x'.repeat(500)}`, 'guess')));
        await c.closed;
        const e = c.error();
        if (e) floodErrors.push(e);
      }
    };
    const flood = Promise.all(Array.from({ length: 20 }, worker));

    for (let b = 0; b < 10; b++) {
      client.sendBatch(from + b * 50, makeReports(200_000 + b * 50, 50));
      await client.waitForAck(from + b * 50 + 49);
    }
    const again = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await again.hello('fep2', TEST_SOURCES.fep2)).toBeGreaterThanOrEqual(0);
    flooding = false;
    await flood;
    await again.close();
    await client.close();

    expect(client.lastAck).toBe(from + 499);
    expect(await t.storedCount('fep1')).toBe(from + 499);
    expect(floodErrors.length).toBe(sent);
    for (const e of floodErrors) {
      expect(e.code).toBe(ErrorCode.ERROR_CODE_AUTH_FAILED);
      expect(e.message).toMatch(/^unknown source "intruder-\d+\\n2030-01-01T00:00:00\.000Z INFO forged line \\u001b\[2Jx+"\.\.\.\(\d+ more characters\) or wrong token$/);
      expect(e.message.length).toBeLessThan(200);
    }
    const closing = logged.filter((l) => l.includes('closing FEP connection') && l.includes('intruder-'));
    expect(closing.length).toBe(sent);
    for (const line of closing) {
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line).toMatch(/^[\x20-\x7e]*\n$/);
    }
  });
});
