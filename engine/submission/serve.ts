/**
 * The submission path as `swaprep serve` runs it: the path itself (path.ts), the internal FEP source `console`
 * through which approved corrections enter the engine (through the correction outbox, swept at start and every
 * 10 s, so that an approval survives a crash before its event is stored), and the probes the alert monitor reads
 * from the ingest side. Kept out of engine/main.ts so that the composition root only starts it, tells it about
 * group commits, and stops it.
 */
import type { Registry } from 'prom-client';
import { InternalSource } from '../ingest/internal-source.js';
import type { IngestHub } from '../ingest/ingest-hub.js';
import type { GroupCommitWriter } from '../store/group-commit.js';
import type { MonitorProbes } from '../alerts/monitor.js';
import type { StoredEvent } from '../store/stored-event.js';
import { log } from '../log.js';
import { CORRECTION_EVENT_SOURCE } from '../exceptions/corrections.js';
import { createPool } from '../store/database.js';
import { startSubmissionPath, type SubmissionPath, type SubmissionPathConfig } from './path.js';

/** The internal source corrections come from (its events are stored, judged and reported like any source's). */
export const CONSOLE_SOURCE = CORRECTION_EVENT_SOURCE;

export interface ServeSubmission extends SubmissionPath {
  /** The internal FEP source for corrections (and any event the engine itself must report). */
  internal: InternalSource;
  /** Told after each group commit (engine/main.ts): wakes the intake and records the sources' activity. */
  durable(group: readonly StoredEvent[]): void;
}

/**
 * Starts it on its own connection pool: its batch statements then never hold a connection that a group commit
 * (whose COMMIT acknowledges the FEP) is waiting for.
 */
export async function startServeSubmission(
  databaseUrl: string, hub: IngestHub, writer: GroupCommitWriter, config: SubmissionPathConfig,
  scoringCounts?: MonitorProbes['scoringCounts'], metrics?: Registry,
): Promise<ServeSubmission> {
  const pool = createPool(databaseUrl, 8);
  const internal = await InternalSource.create(pool, hub, CONSOLE_SOURCE);
  const lastSeen = new Map<string, number>();
  let lastCommitAt = Date.now();
  const path = startSubmissionPath(pool, config, {
    probes: {
      // Events waiting for a group commit while none has returned for a while: the store is lagging.
      commitLagMs: () => (writer.queued > 0 ? Date.now() - lastCommitAt : 0),
      sourceLastSeenMs: () => lastSeen,
      ...(scoringCounts ? { scoringCounts } : {}),
    },
    // Approved corrections go out through the outbox, from this source, at seqs reserved on their rows.
    correctionSource: internal,
    ...(metrics ? { metrics } : {}),
  });
  log('info', `submission: corrections enter the engine as FEP source "${CONSOLE_SOURCE}"`);
  return {
    ...path,
    internal,
    durable(group) {
      lastCommitAt = Date.now();
      // A map write per run of one source's events, not per event: this runs on every group commit.
      let previous: string | undefined;
      for (const e of group) {
        if (e.sourceId === previous) continue;
        previous = e.sourceId;
        lastSeen.set(e.sourceId, lastCommitAt);
      }
      path.nudge();
    },
    stop: async () => {
      // First the source: an event still waiting for its verdict fails (the engine has stopped storing), so the
      // outbox stops at once; what it had not recorded, the next start's sweep finds stored or sends.
      internal.close();
      await path.stop();
      await pool.end();
    },
  };
}
