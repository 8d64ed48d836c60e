import * as hdr from 'hdr-histogram-js';
import { FepTcpClient } from './fep-client.js';

export interface OpenLoopOptions {
  port: number;
  host?: string;
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
}

export interface OpenLoopResult {
  targetRate: number;
  sent: number;
  acked: number;
  errors: number;
  durationS: number;
  /** Acknowledged events per second over the sending window plus the final drain. */
  achievedRate: number;
  /** Whether every event was acknowledged and the backlog never exceeded maxBacklog. */
  sustained: boolean;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

interface Pending {
  lastSeq: number;
  count: number;
  /** When the batch was due by the schedule, not when it was written: an open-loop driver measures
   *  from the intended time so a stalled engine cannot hide its latency (coordinated omission). */
  dueAtMs: number;
}

/**
 * An open-loop FEP driver over TCP: batches are sent on a fixed schedule whether or not acks come back,
 * and ack latency (per event, from its batch's due time to the Ack covering it) goes into an HDR
 * histogram. Each connection uses its own source (`sourceId-<i>`) and sequence.
 */
export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const conns = await Promise.all(
    Array.from({ length: o.connections }, async (_, i) => {
      const pending: Pending[] = [];
      let acked = 0;
      const client = await FepTcpClient.connect(o.port, o.host, {
        onAck: (upTo) => {
          const now = performance.now();
          while (pending.length > 0 && pending[0]!.lastSeq <= upTo) {
            const p = pending.shift()!;
            histogram.recordValueWithCount(Math.max(1, Math.round((now - p.dueAtMs) * 1000)), p.count);
            acked += p.count;
          }
        },
      });
      const sourceId = o.connections === 1 ? o.sourceId : `${o.sourceId}-${i}`;
      const next = (await client.hello(sourceId, o.token)) + 1;
      return { client, pending, next, get acked() { return acked; } };
    }),
  );
  const start = performance.now();
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
        conn.client.socket.write(o.frame(conn.next, sent));
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
  const drainDeadline = performance.now() + 10_000;
  while (!gaveUp && conns.some((c) => c.pending.length > 0) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 2));
  const end = performance.now();
  const acked = conns.reduce((a, c) => a + c.acked, 0);
  const errors = conns.filter((c) => c.client.error).length;
  await Promise.all(conns.map((c) => c.client.close()));
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
    latencyMs: { p50: us(50), p90: us(90), p99: us(99), p999: us(99.9), max: histogram.maxValue / 1000, mean: histogram.mean / 1000 },
  };
  histogram.destroy();
  return result;
}
