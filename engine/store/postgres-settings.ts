/**
 * Timeouts and keepalive of every connection to PostgreSQL, and the embedded server's start limit (SWAPREP_PG_*).
 * Read by engine/config.ts into `EngineConfig.postgres`, and from the environment by pools made off the engine's
 * main thread or by one-shot commands (createPool's default).
 */
export interface PostgresSettings {
  /** Connecting (TCP, authentication) and waiting for a pooled connection: past it, an error instead of a wait. */
  connectTimeoutMs: number;
  /** A pooled connection idle this long is closed (the next query opens another). */
  idleTimeoutMs: number;
  /** TCP keepalive probes start after this much silence, so that a peer that vanished is noticed (0: off). */
  keepAliveMs: number;
  /** Statements on the ingest path and of the console's API: short by nature (0: no limit). */
  statementTimeoutMs: number;
  /** A group commit's statements (BEGIN + COPY of up to SWAPREP_GROUP_COMMIT_ROWS events, COMMIT): a timed-out group is retried. */
  commitTimeoutMs: number;
  /** Migrations, reports, reconciliation, one-shot commands, the submission path: legitimately long (0: no limit). */
  longStatementTimeoutMs: number;
  /** A transaction left idle this long is ended by the server, so its locks do not hold others up (0: no limit). */
  idleInTransactionTimeoutMs: number;
  /** The embedded PostgreSQL must be ready within this (crash recovery after an unclean stop included). */
  embeddedStartTimeoutMs: number;
}

export const defaultPostgresSettings: PostgresSettings = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  keepAliveMs: 10_000,
  statementTimeoutMs: 30_000,
  commitTimeoutMs: 120_000,
  longStatementTimeoutMs: 3_600_000,
  idleInTransactionTimeoutMs: 60_000,
  embeddedStartTimeoutMs: 120_000,
};

const ENV: Record<keyof PostgresSettings, string> = {
  connectTimeoutMs: 'SWAPREP_PG_CONNECT_TIMEOUT_MS',
  idleTimeoutMs: 'SWAPREP_PG_IDLE_TIMEOUT_MS',
  keepAliveMs: 'SWAPREP_PG_KEEPALIVE_MS',
  statementTimeoutMs: 'SWAPREP_PG_STATEMENT_TIMEOUT_MS',
  commitTimeoutMs: 'SWAPREP_PG_COMMIT_TIMEOUT_MS',
  longStatementTimeoutMs: 'SWAPREP_PG_LONG_STATEMENT_TIMEOUT_MS',
  idleInTransactionTimeoutMs: 'SWAPREP_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  embeddedStartTimeoutMs: 'SWAPREP_EMBEDDED_PG_START_TIMEOUT_MS',
};

/** These cannot be 0: without them a dead server would stall a connect, or a start, for ever. */
const NEVER_ZERO: readonly (keyof PostgresSettings)[] = ['connectTimeoutMs', 'commitTimeoutMs', 'embeddedStartTimeoutMs'];

/** Reads SWAPREP_PG_* (milliseconds); throws naming the setting when one is not a valid number. */
export function loadPostgresSettings(env: Record<string, string | undefined> = process.env): PostgresSettings {
  const out = { ...defaultPostgresSettings };
  for (const key of Object.keys(ENV) as (keyof PostgresSettings)[]) {
    const name = ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    // PostgreSQL takes its timeouts as a 32-bit count of milliseconds.
    if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new Error(`${name}: "${raw}" is not a whole number of milliseconds`);
    if (n === 0 && NEVER_ZERO.includes(key)) throw new Error(`${name}: must be more than 0`);
    out[key] = n;
  }
  return out;
}

/**
 * What a pool's statements are like, which sets their timeout: `short` (the ingest path, the console's API and
 * projection), `commit` (group commits), `long` (migrations, reports, one-shot commands, the submission path).
 */
export type StatementKind = 'short' | 'commit' | 'long';

export function statementTimeoutMs(kind: StatementKind, settings: PostgresSettings): number {
  return kind === 'short' ? settings.statementTimeoutMs : kind === 'commit' ? settings.commitTimeoutMs : settings.longStatementTimeoutMs;
}

/**
 * Connection settings for pg.Client / pg.Pool. The server's statement_timeout ends a slow statement cleanly (the
 * connection stays usable); the client's query_timeout, a little longer, is for a server that says nothing at all
 * (stopped, or a connection that died without a reset), where only the client can give up: the query fails, and a
 * client released with that error is discarded. Keepalive makes the kernel notice a peer that has gone.
 */
export function connectionConfig(url: string, kind: StatementKind, settings: PostgresSettings, applicationName = `swaprep ${kind}`) {
  const statement = statementTimeoutMs(kind, settings);
  // Enough for the server's own cancellation to arrive first (a round trip on a busy machine), never minutes.
  const grace = Math.min(5_000, Math.max(500, statement / 2));
  return {
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    keepAlive: settings.keepAliveMs > 0,
    keepAliveInitialDelayMillis: settings.keepAliveMs,
    ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + grace } : {}),
    ...(settings.idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs } : {}),
  };
}
