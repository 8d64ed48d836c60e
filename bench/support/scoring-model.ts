import pg from 'pg';
import { migrate } from '../../engine/store/migrate.js';
import { DatabaseRegistry, type ModelVersion } from '../../gpu-pool/registry.js';
import { bootstrapJob } from '../../gpu-pool/scoring-core.js';
import { runTrainJob } from '../../gpu-pool/train-job.js';

/**
 * The model version a fresh engine would train for itself (its bootstrap version, on the load generator's flow),
 * trained once per benchmark: installing it in each fresh database up front means the engine scores from its
 * first event, instead of storing events as not scored while its own bootstrap training runs.
 */
export async function bootstrapModel(log: (m: string) => void = () => {}): Promise<ModelVersion> {
  return (await runTrainJob(bootstrapJob(), log)).version;
}

/** Migrates the database at `url`, saves `version` in it and makes it the active one (as `swaprep train --activate`). */
export async function installModel(url: string, version: ModelVersion): Promise<void> {
  const db = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const client = await db.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    const registry = new DatabaseRegistry(db);
    await registry.save(version);
    await registry.activate(version.manifest.versionId);
  } finally {
    await db.end();
  }
}

/** Events with a score stored, and those of them flagged for review, in the database `db` is connected to. */
export async function scoreCounts(db: pg.ClientBase | pg.Pool): Promise<{ scored: number; flagged: number }> {
  const row = (await db.query<{ scored: string; flagged: string }>(
    "SELECT count(*) FILTER (WHERE status = 'scored') AS scored, count(*) FILTER (WHERE flagged) AS flagged FROM event_score")).rows[0]!;
  return { scored: Number(row.scored), flagged: Number(row.flagged) };
}
