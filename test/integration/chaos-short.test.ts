// The failure suite (npm run chaos) in short: the same drivers as bench/chaos.bench.ts against the built engine as a
// child process, with real PostgreSQL and sdr-sim: kill -9 rounds, a PostgreSQL restart under load, each repository
// fault once, and fuzzed frames over TCP and gRPC. The checks themselves are checked too: a row taken out of the
// event log behind the engine's back must show up as lost and as a version hole.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checkEventLog } from '../../bench/chaos/event-log-checks.js';
import { runFuzzPart } from '../../bench/chaos/fuzz-part.js';
import { runKillRounds } from '../../bench/chaos/kill-rounds.js';
import { runPostgresRestart } from '../../bench/chaos/postgres-restart.js';
import { runRepositoryFaults } from '../../bench/chaos/repository-faults.js';
import { FrameFuzzer } from '../../loadtest/fuzz-frames.js';
import { createTestDatabase } from '../support/database.js';
import { makeReport } from '../support/reports.js';

describe('failure suite (short)', () => {
  it('5 rounds of kill -9 under load: nothing acknowledged lost, nothing stored twice, no version hole', async () => {
    const url = await createTestDatabase('chaos_kill');
    const r = await runKillRounds({
      databaseUrl: url, rounds: 5, seed: 7, sources: 3, grpcSources: 1, rate: 3_000, batch: 100, window: 3_000,
      killWithinMs: 1_500, invalidRate: 0.02, finalTimeoutMs: 60_000,
    });
    expect(r.perRound).toHaveLength(5);
    expect(r.events).toBeGreaterThan(0);
    expect(r.ackedBeforeKills).toBeGreaterThan(0);
    expect({ lost: r.lost, duplicated: r.duplicated, holes: r.holes, welcomeBelowAck: r.welcomeBelowAck, examples: r.examples })
      .toEqual({ lost: 0, duplicated: 0, holes: 0, welcomeBelowAck: 0, examples: [] });
    // Judged as a run without kills judges: every valid event accepted, every invalid one rejected.
    expect({ validRejected: r.validRejected, invalidAccepted: r.invalidAccepted }).toEqual({ validRejected: 0, invalidAccepted: 0 });
    expect(r.finalEngineExit).toBe(0);
    expect(r.finalCheck.rowsChecked).toBe(r.events);

    // The checks see a loss and a hole when there is one: take out version 1 of a trade that has a version 2.
    const db = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const { rows } = await db.query<{ source_id: string; seq: string }>(
        `SELECT e.source_id, e.seq FROM event_log e
          WHERE e.version = 1 AND EXISTS (SELECT 1 FROM event_log n WHERE n.counterparty1 = e.counterparty1 AND n.trade_key = e.trade_key AND n.version = 2)
          LIMIT 1`);
      expect(rows).toHaveLength(1);
      await db.query('DELETE FROM event_log WHERE source_id = $1 AND seq = $2', [rows[0]!.source_id, rows[0]!.seq]);
      const acked = await db.query<{ source_id: string; n: string }>('SELECT source_id, max(seq) AS n FROM event_log GROUP BY source_id');
      const check = await checkEventLog(db, acked.rows.map((a) => ({ sourceId: a.source_id, acked: Number(a.n), since: 0, unackedTrades: new Map() })));
      expect(check).toMatchObject({ lost: 1, versionGaps: 1, duplicated: 0 });
    } finally {
      await db.end();
    }
  }, 180_000);

  it('PostgreSQL stopped and started under load: every event acknowledged once the server is back, each stored once', async () => {
    const r = await runPostgresRestart({ seed: 7, restarts: 1, sources: 2, rate: 2_000, batch: 100, window: 3_000, upMs: 1_500, downMs: 1_500, settleTimeoutMs: 60_000 });
    expect(r.events).toBeGreaterThan(0);
    expect({ allAcknowledged: r.allAcknowledged, lost: r.lost, duplicated: r.duplicated, holes: r.holes, finalEngineExit: r.finalEngineExit })
      .toEqual({ allAcknowledged: true, lost: 0, duplicated: 0, holes: 0, finalEngineExit: 0 });
    expect(r.check.rowsChecked).toBe(r.events);
    expect(r.ackResumedAfterMs).toHaveLength(1);
  }, 180_000);

  it('the repository times out, answers 5xx, drops the connection and answers twice: every submission settles once', async () => {
    const url = await createTestDatabase('chaos_repo');
    const r = await runRepositoryFaults({ databaseUrl: url, seed: 7, eventsPerFault: 40, timeoutMs: 1_000, settleTimeoutMs: 60_000 });
    expect(r.faults.map((f) => [f.mode, f.injected])).toEqual([['timeout', 1], ['5xx', 1], ['drop', 1], ['duplicate', 1]]);
    for (const f of r.faults) {
      expect(f.submissions).toBeGreaterThan(0);
      expect({ mode: f.mode, settled: f.acked + f.nacked, failed: f.failed, unsettled: f.unsettled }).toEqual({ mode: f.mode, settled: f.submissions, failed: 0, unsettled: 0 });
    }
    // The batches that met a timeout, a 5xx or a drop went again; the double answer changed nothing.
    expect(r.faults.filter((f) => f.mode !== 'duplicate').every((f) => f.retried > 0)).toBe(true);
    expect(r.storedTwiceAtRepository).toBe(0);
    expect(r.duplicateAnswersKept).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('20,000 fuzzed frames each over TCP and gRPC: no crash, an Error frame with a code for each bad one, memory bounded', async () => {
    const url = await createTestDatabase('chaos_fuzz');
    const r = await runFuzzPart({ databaseUrl: url, seed: 7, framesPerTransport: 20_000, afterHelloShare: 0.05, concurrency: 16, answerTimeoutMs: 15_000 });
    expect(r.crashes).toBe(0);
    for (const t of [r.tcp, r.grpc]) {
      expect({ transport: t.transport, frames: t.frames, violations: t.violations, first: t.firstViolations, helloWithoutWelcome: t.firstHelloWithoutWelcome, wedged: t.wedgedSources })
        .toEqual({ transport: t.transport, frames: 20_000, violations: 0, first: [], helloWithoutWelcome: [], wedged: [] });
      // Most frames are refused, with a code; the few that a mutation left valid were taken (the probe got the Error).
      const errors = Object.values(t.errorFrames).reduce((a, b) => a + b, 0);
      expect(errors + t.accepted + t.closedUnanswerable + t.refusedByLimit).toBe(t.frames);
      expect(errors).toBeGreaterThan(t.frames * 0.8);
      expect(t.errorFrames.ERROR_CODE_BAD_FRAME).toBeGreaterThan(0);
    }
    expect(r.tcp.closedUnanswerable).toBeGreaterThan(0);
    expect(r.grpcGarbage.closedByEngine).toBe(r.grpcGarbage.connections);
    // Bounded: no more than a few hundred MiB above the warmed-up engine, however many frames.
    expect(r.rss.peakMiB).toBeLessThan(r.rss.startMiB + 512);
  }, 240_000);

  it('the frame fuzzer replays from its seed and breaks frames in every way it knows', () => {
    const reports = [makeReport(1), makeReport(2)];
    const make = () => new FrameFuzzer({ seed: 3, reports, maxFrameBytes: 1 << 20, transport: 'tcp' });
    const a = make();
    const b = make();
    const ctx = { sourceId: 's', token: 't', nextSeq: 5 };
    const kinds = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const x = a.next(ctx, i % 2 === 0);
      const y = b.next(ctx, i % 2 === 0);
      expect(Buffer.concat(x.writes).equals(Buffer.concat(y.writes))).toBe(true);
      kinds.add(x.kind);
      if (x.kind === 'length-long') expect(x.answerable).toBe(false);
    }
    expect(kinds.size).toBe(17);
    const grpc = new FrameFuzzer({ seed: 3, reports, maxFrameBytes: 1 << 20, transport: 'grpc' });
    for (let i = 0; i < 500; i++) expect(grpc.next(ctx, false).kind).not.toMatch(/^length-|split-writes/);
  });
});
