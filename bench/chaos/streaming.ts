/**
 * A source that keeps streaming through failures, as a front-end processor does: it (re)connects, resends from
 * Welcome, sends at its pace, and when the connection drops (the engine refused Hello with the database down, or it
 * exited) waits a moment and starts over. Used where the engine is meant to survive (PostgreSQL restarts, the
 * repository's faults); the kill rounds drive their sources themselves.
 */
import type { ChaosSource } from './chaos-source.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Ports {
  tcp: number;
  grpc: number;
}

export interface StreamStats {
  connections: number;
  refused: number;
}

/** Streams at `rate` events/s in frames of `batch` until `until()` is true; `ports()` gives the engine's current ports. */
export async function streamThroughFailures(s: ChaosSource, ports: () => Ports, o: { rate: number; batch: number; window: number }, until: () => boolean): Promise<StreamStats> {
  const stats: StreamStats = { connections: 0, refused: 0 };
  const t0 = performance.now();
  let offered = 0;
  while (!until()) {
    try {
      await s.connect(ports());
      stats.connections++;
    } catch {
      stats.refused++;
      await s.disconnect().catch(() => {});
      await sleep(200);
      continue;
    }
    let open = true;
    void s.ended().then(() => (open = false));
    while (open && !until()) {
      const due = ((performance.now() - t0) / 1000) * o.rate;
      while (offered + o.batch <= due && s.inFlight + o.batch <= o.window && open) {
        offered += o.batch;
        if (!s.sendNext(o.batch)) await s.drained();
      }
      s.noteAck();
      await sleep(5);
    }
    if (!open) {
      await s.disconnect();
      await sleep(200);
    }
  }
  return stats;
}

/** Once streaming stopped: (re)connects until every event sent is acknowledged, or the deadline (performance.now() ms) passes. */
export async function settleAll(s: ChaosSource, ports: () => Ports, batch: number, deadline: number): Promise<boolean> {
  const target = s.generated;
  while (s.acked < target && performance.now() < deadline) {
    try {
      // A fresh connection resends from Welcome.
      await s.disconnect();
      await s.connect(ports());
    } catch {
      await sleep(200);
      continue;
    }
    let open = true;
    void s.ended().then(() => (open = false));
    while (s.sentUpTo < target && open) {
      if (!s.sendNext(Math.min(batch, target - s.sentUpTo))) await s.drained();
    }
    while (open && s.acked < target && performance.now() < deadline) {
      s.noteAck();
      await sleep(20);
    }
  }
  await s.disconnect();
  return s.acked >= target;
}
