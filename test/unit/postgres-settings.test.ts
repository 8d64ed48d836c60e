import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import { connectionConfig, defaultPostgresSettings, loadPostgresSettings } from '../../engine/store/postgres-settings.js';

describe('PostgreSQL connection settings', () => {
  it('come from SWAPREP_PG_* into the engine configuration, with defaults for the rest', () => {
    const config = loadConfig({ SWAPREP_PG_STATEMENT_TIMEOUT_MS: '5000', SWAPREP_PG_KEEPALIVE_MS: '0', SWAPREP_EMBEDDED_PG_START_TIMEOUT_MS: '30000' });
    expect(config.postgres).toEqual({ ...defaultPostgresSettings, statementTimeoutMs: 5_000, keepAliveMs: 0, embeddedStartTimeoutMs: 30_000 });
  });

  it('refuse a bad value naming the setting, and 0 where it would mean waiting for ever', () => {
    expect(() => loadPostgresSettings({ SWAPREP_PG_COMMIT_TIMEOUT_MS: '2m' })).toThrow('SWAPREP_PG_COMMIT_TIMEOUT_MS: "2m" is not a whole number of milliseconds');
    expect(() => loadPostgresSettings({ SWAPREP_PG_CONNECT_TIMEOUT_MS: '0' })).toThrow('SWAPREP_PG_CONNECT_TIMEOUT_MS: must be more than 0');
    expect(() => loadPostgresSettings({ SWAPREP_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' })).toThrow('SWAPREP_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS');
    expect(loadPostgresSettings({ SWAPREP_PG_LONG_STATEMENT_TIMEOUT_MS: '0' }).longStatementTimeoutMs).toBe(0);
  });

  it('give each kind of pool its statement timeout, a client-side backstop a little longer, keepalive and the idle-transaction limit', () => {
    const s = defaultPostgresSettings;
    const short = connectionConfig('postgres://x/db', 'short', s);
    expect(short).toMatchObject({
      statement_timeout: 30_000, query_timeout: 35_000, connectionTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000,
      idle_in_transaction_session_timeout: 60_000, application_name: 'swaprep short',
    });
    expect(connectionConfig('postgres://x/db', 'commit', s)).toMatchObject({ statement_timeout: 120_000, query_timeout: 125_000 });
    expect(connectionConfig('postgres://x/db', 'long', s)).toMatchObject({ statement_timeout: 3_600_000, query_timeout: 3_605_000 });
    // No limit on long statements: none on the client either (keepalive still notices a vanished server).
    const unlimited = connectionConfig('postgres://x/db', 'long', { ...s, longStatementTimeoutMs: 0, keepAliveMs: 0 });
    expect(unlimited).not.toHaveProperty('statement_timeout');
    expect(unlimited).not.toHaveProperty('query_timeout');
    expect(unlimited.keepAlive).toBe(false);
  });
});
