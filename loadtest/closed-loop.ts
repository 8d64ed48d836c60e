import { ErrorCode } from '../proto/gen/fep.js';
import { FepTcpClient } from './fep-client.js';

export interface ClosedLoopOptions {
  port: number;
  host?: string;
  sourceId: string;
  token: string;
  /** Events to send in all (split evenly over the connections). */
  total: number;
  /** Events per Batch frame. */
  batch: number;
  connections: number;
  /** Events sent and not yet acknowledged, per connection, before the sender waits for acks. */
  window: number;
  /** As for runOpenLoop: a length-prefixed Batch frame with seqs from `firstSeq` and event numbers from `firstEvent`. */
  frame: (firstSeq: number, firstEvent: number) => Buffer;
  /** Called now and then with the events acknowledged so far. */
  onProgress?: (acked: number) => void;
}

export interface ClosedLoopResult {
  sent: number;
  acked: number;
  durationS: number;
  rate: number;
}

/**
 * A closed-loop FEP driver over TCP: keeps up to `window` events unacknowledged per connection and sends
 * more as acks come, so the engine runs as fast as it acknowledges (used to fill an engine with a given
 * number of events quickly, through the same path as live traffic; for latency use the open-loop driver).
 * Each connection uses its own source (`sourceId-<i>`, or `sourceId` alone with one connection), and its own
 * range of event numbers, so stamped UTIs never repeat.
 */
export async function runClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  if (o.total % o.batch !== 0) throw new Error(`total ${o.total} is not a multiple of the batch size ${o.batch}`);
  const share = Math.ceil(o.total / o.connections / o.batch) * o.batch;
  let ackedAll = 0;
  let reported = 0;
  const start = performance.now();
  const lanes = Array.from({ length: o.connections }, async (_, i) => {
    const events = Math.max(0, Math.min(share, o.total - i * share));
    if (events === 0) return { sent: 0, acked: 0 };
    let first = 0;
    let sent = 0;
    let acked = 0;
    let wake: (() => void) | undefined;
    const client = await FepTcpClient.connect(o.port, o.host, {
      retainResults: false,
      onAck: (upTo) => {
        const now = upTo - first + 1;
        if (now > acked) {
          ackedAll += now - acked;
          acked = now;
        }
        if (o.onProgress && ackedAll - reported >= 100_000) o.onProgress((reported = ackedAll));
        wake?.();
      },
    });
    void client.closed().then(() => wake?.());
    try {
      first = (await client.hello(o.connections === 1 ? o.sourceId : `${o.sourceId}-${i}`, o.token)) + 1;
      const firstEvent = i * share;
      while (acked < events) {
        while (sent < events && sent - acked < o.window) {
          client.socket.write(o.frame(first + sent, firstEvent + sent));
          sent += o.batch;
        }
        if (client.error || client.socket.destroyed) {
          throw new Error(`connection ${i} failed: ${client.error ? `${ErrorCode[client.error.code]} ${client.error.message}` : 'closed'} after ${acked} of ${events} events were acknowledged`);
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      await client.close();
    }
    return { sent, acked };
  });
  const results = await Promise.all(lanes);
  const durationS = (performance.now() - start) / 1000;
  const sent = results.reduce((a, r) => a + r.sent, 0);
  const acked = results.reduce((a, r) => a + r.acked, 0);
  return { sent, acked, durationS, rate: acked / durationS };
}
