/**
 * Model versions: saved, listed, loaded and activated, in a directory (`swaprep train --from FILE` and
 * `swaprep score` without a database) or in PostgreSQL (model_version, model_file; the engine). Workers load
 * a version from a directory, so a database version is first written to a local cache (`materialize`).
 *
 * Activating a version in the database also sends NOTIFY swaprep_model_activated with its id: a running
 * scoring service listens and swaps its pool without a restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { MANIFEST_FILE, type ModelManifest } from './manifest.js';

export const ACTIVATION_CHANNEL = 'swaprep_model_activated';

export interface ModelVersion {
  manifest: ModelManifest;
  /** File name → bytes (the .onnx graphs and reference.json; not the manifest). */
  files: Record<string, Uint8Array>;
}

export interface VersionSummary {
  versionId: string;
  createdAt: string;
  source: string;
  active: boolean;
}

export interface Registry {
  save(version: ModelVersion): Promise<void>;
  load(versionId: string): Promise<ModelVersion>;
  /** The active version's id, if any. */
  active(): Promise<string | undefined>;
  activate(versionId: string): Promise<void>;
  list(): Promise<VersionSummary[]>;
}

/** `dir/<versionId>/{manifest.json, files}` and `dir/ACTIVE` holding the active version's id. */
export class DirectoryRegistry implements Registry {
  constructor(readonly dir: string) {}

  async save(version: ModelVersion): Promise<void> {
    const id = version.manifest.versionId;
    const staging = join(this.dir, `.${id}.tmp`);
    mkdirSync(staging, { recursive: true });
    for (const [name, bytes] of Object.entries(version.files)) writeFileSync(join(staging, name), bytes);
    writeFileSync(join(staging, MANIFEST_FILE), JSON.stringify(version.manifest, null, 2) + '\n');
    rmSync(join(this.dir, id), { recursive: true, force: true });
    renameSync(staging, join(this.dir, id));
  }

  async load(versionId: string): Promise<ModelVersion> {
    const dir = this.versionDir(versionId);
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
    const files: Record<string, Uint8Array> = {};
    for (const name of readdirSync(dir)) if (name !== MANIFEST_FILE) files[name] = readFileSync(join(dir, name));
    return { manifest, files };
  }

  versionDir(versionId: string): string {
    const dir = join(this.dir, versionId);
    if (!existsSync(join(dir, MANIFEST_FILE))) throw new Error(`model version ${versionId} not found in ${this.dir}`);
    return dir;
  }

  async active(): Promise<string | undefined> {
    const p = join(this.dir, 'ACTIVE');
    return existsSync(p) ? readFileSync(p, 'utf8').trim() || undefined : undefined;
  }

  async activate(versionId: string): Promise<void> {
    this.versionDir(versionId);
    writeFileSync(join(this.dir, 'ACTIVE.tmp'), versionId + '\n');
    renameSync(join(this.dir, 'ACTIVE.tmp'), join(this.dir, 'ACTIVE'));
  }

  async list(): Promise<VersionSummary[]> {
    if (!existsSync(this.dir)) return [];
    const active = await this.active();
    return readdirSync(this.dir)
      .filter((d) => existsSync(join(this.dir, d, MANIFEST_FILE)))
      .map((d) => {
        const m = JSON.parse(readFileSync(join(this.dir, d, MANIFEST_FILE), 'utf8')) as ModelManifest;
        return { versionId: m.versionId, createdAt: m.createdAt, source: m.training.source, active: m.versionId === active };
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

export class DatabaseRegistry implements Registry {
  constructor(private readonly db: pg.Pool | pg.ClientBase) {}

  async save(version: ModelVersion): Promise<void> {
    const m = version.manifest;
    await this.transaction(async (c) => {
      await c.query(
        `INSERT INTO model_version (version_id, created_at, features_version, source, manifest, metrics) VALUES ($1, $2, $3, $4, $5, $6)`,
        [m.versionId, m.createdAt, m.featuresVersion, m.training.source, JSON.stringify(m), JSON.stringify(m.evaluation)],
      );
      for (const [name, bytes] of Object.entries(version.files)) {
        await c.query(`INSERT INTO model_file (version_id, name, bytes, sha256) VALUES ($1, $2, $3, $4)`, [
          m.versionId,
          name,
          Buffer.from(bytes),
          createHash('sha256').update(bytes).digest('hex'),
        ]);
      }
    });
  }

  async load(versionId: string): Promise<ModelVersion> {
    const v = await this.db.query<{ manifest: ModelManifest }>(`SELECT manifest FROM model_version WHERE version_id = $1`, [versionId]);
    if (v.rows.length === 0) throw new Error(`model version ${versionId} not found in the database`);
    const f = await this.db.query<{ name: string; bytes: Buffer }>(`SELECT name, bytes FROM model_file WHERE version_id = $1`, [versionId]);
    return { manifest: v.rows[0]!.manifest, files: Object.fromEntries(f.rows.map((r) => [r.name, new Uint8Array(r.bytes)])) };
  }

  async active(): Promise<string | undefined> {
    const r = await this.db.query<{ version_id: string }>(`SELECT version_id FROM model_version WHERE active`);
    return r.rows[0]?.version_id;
  }

  async activate(versionId: string): Promise<void> {
    await this.transaction(async (c) => {
      const r = await c.query(`SELECT 1 FROM model_version WHERE version_id = $1 FOR UPDATE`, [versionId]);
      if (r.rowCount === 0) throw new Error(`model version ${versionId} not found in the database`);
      await c.query(`UPDATE model_version SET active = false WHERE active AND version_id <> $1`, [versionId]);
      await c.query(`UPDATE model_version SET active = true, activated_at = now() WHERE version_id = $1`, [versionId]);
      // Delivered at commit, to every session listening (the scoring services).
      await c.query(`SELECT pg_notify($1, $2)`, [ACTIVATION_CHANNEL, versionId]);
    });
  }

  async list(): Promise<VersionSummary[]> {
    const r = await this.db.query<{ version_id: string; created_at: Date; source: string; active: boolean }>(
      `SELECT version_id, created_at, source, active FROM model_version ORDER BY created_at`,
    );
    return r.rows.map((x) => ({ versionId: x.version_id, createdAt: x.created_at.toISOString(), source: x.source, active: x.active }));
  }

  /** Newest version's creation time (the retraining schedule counts from it). */
  async latestCreatedAt(): Promise<Date | undefined> {
    const r = await this.db.query<{ t: Date | null }>(`SELECT max(created_at) AS t FROM model_version`);
    return r.rows[0]?.t ?? undefined;
  }

  private async transaction(body: (c: pg.ClientBase) => Promise<void>): Promise<void> {
    const isPool = 'totalCount' in this.db;
    const c = isPool ? await (this.db as pg.Pool).connect() : (this.db as pg.ClientBase);
    try {
      await c.query('BEGIN');
      try {
        await body(c);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    } finally {
      if (isPool) (c as pg.PoolClient).release();
    }
  }
}

/** Writes a version's files into `cacheDir/<versionId>/` (once) and returns that directory. */
export function materialize(version: ModelVersion, cacheDir: string): string {
  const dir = join(cacheDir, version.manifest.versionId);
  if (existsSync(join(dir, MANIFEST_FILE))) return dir;
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  for (const [name, bytes] of Object.entries(version.files)) writeFileSync(join(staging, name), bytes);
  writeFileSync(join(staging, MANIFEST_FILE), JSON.stringify(version.manifest));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}
