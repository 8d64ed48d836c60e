/**
 * The FEP client of bench:delivery: one connection of the load test's TCP client (loadtest/fep-client.ts) as one
 * source, sending pre-encoded frames of the flow's valid new trades (loadtest/flow-frames.ts), either closed loop
 * (a fixed number of events, at most `window` unacknowledged) or paced (open loop at a rate, for the soak). Every
 * wait has a deadline: a phase that cannot finish says so (PhaseTimeout) instead of hanging the benchmark.
 */
import { scanClientFrame } from '../../engine/ingest/frame-scan.js';
import { decodeReport } from '../../engine/record/decode-report.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, type ReportsConfig } from '../../engine/reports/index.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { flowFrames, type FlowFrames } from '../../loadtest/flow-frames.js';

/** A phase that ran past its bound; the message says what it was waiting for and how far it got. */
export class PhaseTimeout extends Error {
  override name = 'PhaseTimeout';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `p` does, or rejects with PhaseTimeout(what()) at `deadline` (performance.now() ms). */
export async function beforeDeadline<T>(p: Promise<T>, deadline: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeout(what())), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FeederOptions {
  port: number;
  sourceId: string;
  token: string;
  /** Events per Batch frame. */
  batch: number;
  /** UTI counters start here (unique per run, as the other benchmarks do). */
  counterOffset: number;
  seed?: number;
}

/** One FEP source on one TCP connection; events are numbered across everything it sends (UTI counters never repeat). */
export class Feeder {
  /** Events sent so far (the next event's number). */
  sent = 0;
  private next = 1;
  private base = 0;

  private constructor(readonly client: FepTcpClient, readonly frames: FlowFrames, readonly batch: number) {}

  static async connect(o: FeederOptions): Promise<Feeder> {
    const client = await FepTcpClient.connect(o.port, '127.0.0.1', { retainResults: false });
    const frames = flowFrames({ seed: o.seed ?? 7, batch: o.batch, counterOffset: o.counterOffset });
    const f = new Feeder(client, frames, o.batch);
    const last = await client.hello(o.sourceId, o.token);
    f.next = last + 1;
    f.base = last;
    return f;
  }

  /** Events acknowledged on this connection so far. */
  get acked(): number {
    return Math.max(0, this.client.lastAck - this.base);
  }

  /**
   * Submissions owed for the next `count` events (what will be sent next, frame by frame), by the report builder
   * `serve` runs with its default reports configuration (Part 45 and, for the records that owe it, Part 43).
   */
  owedFor(count: number, config: ReportsConfig = DEFAULT_REPORTS_CONFIG): number {
    const builder = createReportBuilder(config);
    let owed = 0;
    for (let done = 0; done < count; done += this.batch) {
      const frame = this.frames.frame(this.next + done, this.sent + done);
      const scanned = scanClientFrame(frame.subarray(4));
      if (scanned.kind !== 'batch') throw new Error('expected a batch frame');
      for (const e of scanned.events) owed += builder.owed(decodeReport(e.report)).length;
    }
    return owed;
  }

  /**
   * Sends `count` events as fast as acks allow (at most `window` unacknowledged) and waits for the last ack.
   * Returns when the first frame went out and when the last ack came (performance.now() ms).
   */
  async closedLoop(count: number, window: number, deadline: number): Promise<{ firstSentMs: number; lastAckMs: number }> {
    if (count % this.batch !== 0) throw new Error(`${count} events is not a multiple of the batch size ${this.batch}`);
    const target = this.next - 1 + count;
    const what = () => `waiting for acks: ${this.client.lastAck - (target - count)} of ${count} events acknowledged`;
    const firstSentMs = performance.now();
    for (let mine = 0; mine < count; mine += this.batch) {
      const unacked = this.next - 1 - this.client.lastAck;
      if (unacked + this.batch > window) await beforeDeadline(this.client.waitForAck(this.next - 1 - (window - this.batch)), deadline, what);
      this.client.socket.write(this.frames.frame(this.next, this.sent));
      this.next += this.batch;
      this.sent += this.batch;
    }
    await beforeDeadline(this.client.waitForAck(target), deadline, what);
    return { firstSentMs, lastAckMs: performance.now() };
  }

  /**
   * Open loop at `rate` events/s for `seconds`: frames are written on schedule whatever the acks do, until more than
   * `maxUnacked` events wait for theirs (the engine cannot take the rate: the run gives up). `onSecond` is called
   * once a second with the seconds elapsed.
   */
  async paced(rate: number, seconds: number, maxUnacked: number, onSecond: (t: number) => void | Promise<void>): Promise<{ sent: number; seconds: number; gaveUp: boolean }> {
    const start = performance.now();
    const intervalMs = (this.batch / rate) * 1000;
    const total = Math.floor((rate * seconds) / this.batch);
    let frames = 0;
    let gaveUp = false;
    let nextSecond = 1;
    const sentAtStart = this.sent;
    while (frames < total && !gaveUp) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (frames < due) {
        this.client.socket.write(this.frames.frame(this.next, this.sent));
        this.next += this.batch;
        this.sent += this.batch;
        frames++;
      }
      if (this.next - 1 - this.client.lastAck > maxUnacked) gaveUp = true;
      if (this.client.error) throw new Error(`the engine closed the FEP connection: ${this.client.error.message}`);
      if (now - start >= nextSecond * 1000) {
        await onSecond((now - start) / 1000);
        nextSecond = Math.floor((performance.now() - start) / 1000) + 1;
      }
      await sleep(Math.max(1, Math.min(10, intervalMs / 2)));
    }
    return { sent: this.sent - sentAtStart, seconds: (performance.now() - start) / 1000, gaveUp };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
