import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { ErrorCode, EventStatus, FepFrame } from '../../proto/gen/fep.js';
import { FepTcpClient, encodeBatch, encodeHello } from '../../loadtest/fep-client.js';
import { lengthPrefixed, LengthPrefixedReader } from '../../engine/ingest/length-prefixed.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { DEALER_LEI, makeReport, makeReports, makeValidReport } from '../support/reports.js';

const t = useTestEngine({ maxFrameBytes: 64 * 1024 });
const countEvents = (sourceId: string) => t.storedCount(sourceId);

/** Opens a raw socket and collects the frames the engine sends until it closes the connection. */
function rawConnection() {
  const socket = net.connect(t.engine.tcpPort, '127.0.0.1');
  const reader = new LengthPrefixedReader(1 << 20);
  const frames: FepFrame[] = [];
  socket.on('data', (c: Buffer) => frames.push(...reader.push(c).map((f) => FepFrame.decode(f))));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, frames, closed };
}

function errorOf(frames: FepFrame[]) {
  const e = frames.find((f) => f.kind?.$case === 'error');
  return e?.kind?.$case === 'error' ? e.kind.value : undefined;
}

describe('FEP over TCP', () => {
  it('acknowledges a stream of batches only once stored, and stores each event once', async () => {
    const client = await FepTcpClient.connect(t.engine.tcpPort);
    const welcome = await client.hello('fep1', TEST_SOURCES.fep1);
    expect(welcome).toBe(0);
    for (let b = 0; b < 20; b++) client.sendBatch(1 + b * 50, makeReports(1 + b * 50, 50));
    await client.waitForAck(1000);
    expect(client.lastAck).toBe(1000);
    expect(await countEvents('fep1')).toBe(1000);
    // These bare reports fail the rulebook: stored all the same, as rejected, with their findings.
    const { rows } = await t.db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM event_log WHERE source_id = 'fep1' GROUP BY status`);
    expect(rows).toEqual([{ status: 'rejected', n: '1000' }]);
    const findings = await t.db.query<{ n: string }>(`SELECT count(DISTINCT seq) AS n FROM finding WHERE source_id = 'fep1' AND rule = 'REQ-P45'`);
    expect(Number(findings.rows[0]!.n)).toBe(1000);
    await client.close();
  });

  it('handles frames split across reads and many frames in one read', async () => {
    const { socket, frames, closed } = rawConnection();
    await new Promise((r) => socket.once('connect', r));
    const hello = lengthPrefixed(encodeHello('fep2', TEST_SOURCES.fep2));
    // Hello one byte at a time.
    for (const byte of hello) socket.write(Buffer.from([byte]));
    await expect.poll(() => frames.some((f) => f.kind?.$case === 'welcome')).toBe(true);
    // Ten batch frames glued into one write.
    const glued = Buffer.concat(Array.from({ length: 10 }, (_, i) => lengthPrefixed(encodeBatch(1 + i * 10, makeReports(10_000 + i * 10, 10)))));
    socket.write(glued);
    await expect.poll(() => frames.filter((f) => f.kind?.$case === 'ack').map((f) => (f.kind as { value: { upToSeq: number } }).value.upToSeq).pop()).toBe(100);
    // One batch split at every 7th byte.
    const split = lengthPrefixed(encodeBatch(101, makeReports(20_000, 5)));
    for (let i = 0; i < split.length; i += 7) socket.write(split.subarray(i, i + 7));
    await expect.poll(() => frames.filter((f) => f.kind?.$case === 'ack').map((f) => (f.kind as { value: { upToSeq: number } }).value.upToSeq).pop()).toBe(105);
    expect(await countEvents('fep2')).toBe(105);
    socket.end();
    await closed;
  });

  it('resends after reconnect are acknowledged again and not stored again', async () => {
    const first = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await first.hello('fep1', TEST_SOURCES.fep1)) + 1;
    first.sendBatch(from, makeReports(50_000, 100));
    await first.waitForAck(from + 99);
    await first.close();
    const before = await countEvents('fep1');

    const second = await FepTcpClient.connect(t.engine.tcpPort);
    const welcome = await second.hello('fep1', TEST_SOURCES.fep1);
    expect(welcome).toBe(from + 99);
    // Resend the last 60 plus 40 new ones in one batch.
    second.sendBatch(from + 40, makeReports(50_040, 100));
    await second.waitForAck(from + 139);
    expect(await countEvents('fep1')).toBe(before + 40);
    await second.close();
  });

  it('a new connection for a source takes it over and is welcomed after the old one\'s events are durable', async () => {
    const old = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await old.hello('fep1', TEST_SOURCES.fep1)) + 1;
    old.sendBatch(from, makeReports(60_000, 500));
    const taker = await FepTcpClient.connect(t.engine.tcpPort);
    const welcome = await taker.hello('fep1', TEST_SOURCES.fep1);
    await old.closed();
    expect(old.error?.code).toBe(ErrorCode.ERROR_CODE_SUPERSEDED);
    expect(welcome).toBe(from + 499);
    await taker.close();
  });

  it('rejects an oversize frame, garbage, a batch before Hello and a bad token, and other connections carry on', async () => {
    const bystander = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await bystander.hello('fep2', TEST_SOURCES.fep2)) + 1;
    const storedBefore = await countEvents('fep2');

    const cases: { name: string; bytes: Buffer; hello?: boolean; code: ErrorCode; mentions: string }[] = [
      { name: 'oversize', bytes: Buffer.from([0x00, 0x10, 0x00, 0x00]), hello: true, code: ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, mentions: '65536' },
      { name: 'garbage', bytes: lengthPrefixed(Buffer.from('this is not protobuf at all, no sir')), hello: true, code: ErrorCode.ERROR_CODE_BAD_FRAME, mentions: 'FepFrame' },
      { name: 'batch before hello', bytes: lengthPrefixed(encodeBatch(1, makeReports(1, 1))), code: ErrorCode.ERROR_CODE_UNEXPECTED_FRAME, mentions: 'Hello' },
      { name: 'bad token', bytes: lengthPrefixed(encodeHello('fep2', 'wrong')), code: ErrorCode.ERROR_CODE_AUTH_FAILED, mentions: 'fep2' },
      { name: 'unknown source', bytes: lengthPrefixed(encodeHello('nobody', 'x')), code: ErrorCode.ERROR_CODE_AUTH_FAILED, mentions: 'nobody' },
    ];
    for (const c of cases) {
      const conn = rawConnection();
      await new Promise((r) => conn.socket.once('connect', r));
      if (c.hello) {
        conn.socket.write(lengthPrefixed(encodeHello('fep2', TEST_SOURCES.fep2)));
        await expect.poll(() => conn.frames.length).toBeGreaterThan(0);
      }
      conn.socket.write(c.bytes);
      await conn.closed;
      const err = errorOf(conn.frames);
      expect(err?.code, c.name).toBe(c.code);
      expect(err?.message, c.name).toContain(c.mentions);
    }
    // A batch with a valid frame but a corrupt report stores nothing of the frame, not even its good events.
    const corrupt = await FepTcpClient.connect(t.engine.tcpPort);
    const start = (await corrupt.hello('fep2', TEST_SOURCES.fep2)) + 1;
    corrupt.sendBatch(start, [makeReport(1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), makeReport(2)]);
    await corrupt.closed();
    expect(corrupt.error?.code).toBe(ErrorCode.ERROR_CODE_BAD_FRAME);
    expect(await countEvents('fep2')).toBe(storedBefore);

    // The bystander was superseded by the corrupt client above; reconnect and carry on.
    const again = await FepTcpClient.connect(t.engine.tcpPort);
    const next = (await again.hello('fep2', TEST_SOURCES.fep2)) + 1;
    expect(next).toBe(from);
    again.sendBatch(next, makeReports(70_000, 10));
    await again.waitForAck(next + 9);
    expect(await countEvents('fep2')).toBe(storedBefore + 10);
    await again.close();
    await bystander.closed();
  });

  it('a gap or a decrease in seq is a protocol error and stores nothing of that frame', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep2', TEST_SOURCES.fep2)) + 1;
    const before = await countEvents('fep2');
    c.sendBatch(from + 5, makeReports(80_000, 3));
    await c.closed();
    expect(c.error?.code).toBe(ErrorCode.ERROR_CODE_SEQ_GAP);
    expect(c.error?.message).toContain(`next expected seq for source fep2 is ${from}`);
    expect(await countEvents('fep2')).toBe(before);

    const d = await FepTcpClient.connect(t.engine.tcpPort);
    await d.hello('fep2', TEST_SOURCES.fep2);
    d.sendBatch(from, makeReports(80_000, 3));
    d.sendBatch(from + 1, makeReports(80_001, 1));
    await d.closed();
    expect(d.error?.code).toBe(ErrorCode.ERROR_CODE_SEQ_DECREASE);
    // The first (valid) frame was admitted before the bad one; the next Welcome covers it.
    const e = await FepTcpClient.connect(t.engine.tcpPort);
    expect(await e.hello('fep2', TEST_SOURCES.fep2)).toBe(from + 2);
    expect(await countEvents('fep2')).toBe(before + 3);
    await e.close();
  });

  it('sends a Result per event after its Ack when Hello asks for results', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1, true)) + 1;
    c.sendBatch(from, makeReports(95_000, 3));
    c.sendBatch(from + 3, makeReports(95_003, 2));
    await c.waitForAck(from + 4);
    await expect.poll(() => c.results.length).toBe(5);
    expect(c.results.map((r) => r.seq)).toEqual([from, from + 1, from + 2, from + 3, from + 4]);
    // Bare reports: rejected, each finding naming its rule, data element and path.
    expect(c.results.every((r) => r.status === EventStatus.EVENT_STATUS_REJECTED)).toBe(true);
    expect(c.results[0]!.findings).toContainEqual(expect.objectContaining({ rule: 'REQ-P45', element: '1', path: 'cleared' }));
    const metrics = await (await fetch(`http://127.0.0.1:${t.engine.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/swaprep_findings_total\{rule="REQ-P45",severity="error"\} [1-9]/);
    await c.close();
  });

  it('applies events of one trade in seq order: versions follow the stream, rejected events make none', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    const uti = 'ORDER0001';
    // MODI after TERM is rejected (only REVI or CORR after a termination) and must not make a version.
    const actions = ['NEWT', 'MODI', 'MODI', 'CORR', 'TERM', 'MODI'];
    // Spread over several frames, interleaved with other trades' events.
    let seq = from;
    for (let i = 0; i < actions.length; i++) {
      c.sendBatch(seq, [makeReport(90_000 + i), makeValidReport({ uti, actionType: actions[i]!, minute: i })]);
      seq += 2;
    }
    await c.waitForAck(seq - 1);
    const key = DEALER_LEI + uti;
    const { rows } = await t.db.query<{ version: number | null; action_type: string; status: string; seq: string }>(
      'SELECT version, action_type, status, seq FROM event_log WHERE trade_key = $1 ORDER BY seq', [key]);
    expect(rows.map((r) => [r.action_type, r.version, r.status])).toEqual([
      ['NEWT', 1, 'accepted'], ['MODI', 2, 'accepted'], ['MODI', 3, 'accepted'], ['CORR', 4, 'accepted'], ['TERM', 5, 'accepted'], ['MODI', null, 'rejected'],
    ]);
    const findings = await t.db.query<{ rule: string }>('SELECT rule FROM finding WHERE source_id = $1 AND seq = $2', ['fep1', rows[5]!.seq]);
    expect(findings.rows.map((f) => f.rule)).toEqual(['LC-AFTER-EROR-TERM']);
    const state = await t.db.query<{ lifecycle: string; version: number }>('SELECT lifecycle, version FROM trade_state WHERE trade_key = $1', [key]);
    expect(state.rows[0]).toEqual({ lifecycle: 'terminated', version: 5 });
    await c.close();
  });
});
