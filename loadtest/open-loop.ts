import * as hdr from 'hdr-histogram-js';
import { ErrorCode } from '../proto/gen/fep.js';
import { FepTcpClient } from './fep-client.js';
import { FepGrpcClient } from './fep-grpc-client.js';

export interface OpenLoopOptions {
  port: number;
  host?: string;
  /** FEP over raw TCP (default) or gRPC; the frames and the accounting are the same. */
  transport?: 'tcp' | 'grpc';
  sourceId: string;
  token: string;
  /** Target events per second over all connections. */
  rate: number;
  durationMs: number;
  /** Events per Batch frame. */
  batch: number;
  connections: number;
  /** A length-prefixed Batch frame of `batch` events with seqs from `firstSeq`, the first being the
   *  run's event number `firstEvent` (see BatchTemplate: frames are stamped, not encoded, per send). */
  frame: (firstSeq: number, firstEvent: number) => Buffer;
  /** Give up when this many events are sent but unacknowledged (the target rate is out of reach). */
  maxBacklog?: number;
  /** How long to wait for the last acks after the sending window (default 10 s). */
  drainMs?: number;
}

export interface OpenLoopResult {
  targetRate: number;
  sent: number;
  acked: number;
  errors: number;
  durationS: number;
  /** Acknowledged events per second over the sending window plus the final drain. Latency percentiles
   *  cover every sent event: those never acknowledged with the latency they had reached at the end. */
  achievedRate: number;
  /** Whether every event was acknowledged and the backlog never exceeded maxBacklog. */
  sustained: boolean;
  /** Whether the run stopped early because the backlog exceeded maxBacklog. */
  gaveUp: boolean;
  /** Why connections failed (Error frames or closed connections), one entry per failed connection. */
  errorMessages: string[];
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Per second of the sending window (by when batches were due): the slowest ack and the events acked
   *  later than 100 ms, to show when a tail happened (a stall at one moment, or slow all along). */
  timeline: { second: number; maxMs: number; over100ms: number }[];
}

interface Pending {
  lastSeq: number;
  count: number;
  /** When the batch was due by the schedule, not when it was written: an open-loop driver measures
   *  from the intended time so a stalled engine cannot hide its latency (coordinated omission). */
  dueAtMs: number;
}

/** One driver connection: writes length-prefixed frames, reports acks, says why it failed. */
interface DriverConnection {
  hello(sourceId: string, token: string): Promise<number>;
  /** `frame` is length-prefixed (as BatchTemplate stamps it); gRPC sends it without the prefix. */
  write(frame: Buffer): void;
  failure(): string | undefined;
  close(): Promise<void>;
}

async function connect(o: OpenLoopOptions, onAck: (upTo: number) => void): Promise<DriverConnection> {
  const describe = (e: { code: ErrorCode; message: string } | undefined) => (e ? `${ErrorCode[e.code]}: ${e.message}` : undefined);
  if (o.transport === 'grpc') {
    const c = FepGrpcClient.connect(o.port, o.host, { onAck, retainResults: false });
    let ended = false;
    void c.endedPromise().then(() => (ended = true));
    return {
      hello: (s, t) => c.hello(s, t),
      write: (frame) => void c.call.write(frame.subarray(4)),
      failure: () => describe(c.error) ?? (ended ? 'stream ended' : undefined),
      close: () => c.close(),
    };
  }
  const c = await FepTcpClient.connect(o.port, o.host, { onAck, retainResults: false });
  let closed = false;
  void c.closed().then(() => (closed = true));
  return {
    hello: (s, t) => c.hello(s, t),
    write: (frame) => void c.socket.write(frame),
    failure: () => describe(c.error) ?? (closed ? 'connection closed' : undefined),
    close: () => c.close(),
  };
}

/**
 * An open-loop FEP driver (TCP or gRPC): batches are sent on a fixed schedule whether or not acks come back,
 * and ack latency (per event, from its batch's due time to the Ack covering it) goes into an HDR
 * histogram. Each connection uses its own source (`sourceId-<i>`, or `sourceId` alone with one
 * connection) and sequence.
 */
export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const timeline: OpenLoopResult['timeline'] = [];
  let start = 0;
  const record = (p: Pending, now: number) => {
    const ms = now - p.dueAtMs;
    histogram.recordValueWithCount(Math.max(1, Math.round(ms * 1000)), p.count);
    const second = Math.floor((p.dueAtMs - start) / 1000);
    while (timeline.length <= second) timeline.push({ second: timeline.length, maxMs: 0, over100ms: 0 });
    const t = timeline[second]!;
    t.maxMs = Math.max(t.maxMs, Math.round(ms * 10) / 10);
    if (ms > 100) t.over100ms += p.count;
  };
  const conns = await Promise.all(
    Array.from({ length: o.connections }, async (_, i) => {
      const pending: Pending[] = [];
      let acked = 0;
      const client = await connect(o, (upTo) => {
        const now = performance.now();
        while (pending.length > 0 && pending[0]!.lastSeq <= upTo) {
          const p = pending.shift()!;
          record(p, now);
          acked += p.count;
        }
      });
      const sourceId = o.connections === 1 ? o.sourceId : `${o.sourceId}-${i}`;
      const next = (await client.hello(sourceId, o.token)) + 1;
      return { client, pending, next, get acked() { return acked; } };
    }),
  );
  start = performance.now();
  const batchIntervalMs = (o.batch / o.rate) * 1000;
  const totalBatches = Math.floor((o.rate * o.durationMs) / 1000 / o.batch);
  let sentBatches = 0;
  let sent = 0;
  let gaveUp = false;
  const maxBacklog = o.maxBacklog ?? o.rate * 5;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(totalBatches, Math.floor((now - start) / batchIntervalMs) + 1);
      while (sentBatches < due) {
        const conn = conns[sentBatches % conns.length]!;
        conn.client.write(o.frame(conn.next, sent));
        conn.pending.push({ lastSeq: conn.next + o.batch - 1, count: o.batch, dueAtMs: start + sentBatches * batchIntervalMs });
        conn.next += o.batch;
        sent += o.batch;
        sentBatches++;
      }
      const backlog = sent - conns.reduce((a, c) => a + c.acked, 0);
      if (backlog > maxBacklog) gaveUp = true;
      if (sentBatches >= totalBatches || gaveUp) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, batchIntervalMs / 2)));
    };
    tick();
  });
  // Wait for the last acks (bounded), then close.
  const drainDeadline = performance.now() + (o.drainMs ?? 10_000);
  while (!gaveUp && conns.some((c) => c.pending.length > 0 && !c.client.failure()) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 2));
  const end = performance.now();
  const acked = conns.reduce((a, c) => a + c.acked, 0);
  // Events never acknowledged still count, with the latency they had reached (a lower bound): leaving
  // them out would hide exactly the stall that made them late.
  for (const c of conns) for (const p of c.pending) record(p, end);
  const errorMessages = conns.map((c) => c.client.failure()).filter((m): m is string => m !== undefined);
  const errors = errorMessages.length;
  await Promise.all(conns.map((c) => c.client.close().catch(() => {})));
  const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  const durationS = (end - start) / 1000;
  const result: OpenLoopResult = {
    targetRate: o.rate,
    sent,
    acked,
    errors,
    durationS,
    achievedRate: acked / durationS,
    sustained: !gaveUp && acked === sent && errors === 0,
    gaveUp,
    errorMessages,
    latencyMs: { p50: us(50), p90: us(90), p99: us(99), p999: us(99.9), max: histogram.maxValue / 1000, mean: histogram.mean / 1000 },
    timeline,
  };
  histogram.destroy();
  return result;
}
