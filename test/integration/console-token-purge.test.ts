import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadConfig, type ConsoleConfig } from '../../engine/config.js';
import { AuthService } from '../../ui/server/auth/service.js';
import { startConsole } from '../../ui/server/console.js';
import { migratedTestDatabase } from '../support/database.js';
import { eventually } from '../support/console.js';

// Purging refresh tokens against the real PostgreSQL: expired ones go whatever their state; a spent token that
// has not expired stays, so presenting it again still revokes its login. The console runs the purge at start and
// every period, and stops it on shutdown.

const HOUR = 3_600_000;
const PASSWORD = 'admin-password-1';
let pool: pg.Pool;
const config: ConsoleConfig = { ...loadConfig({}).console, adminPassword: PASSWORD, refreshTokenTtlS: 3600 };

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('purge'), max: 4 });
});

afterAll(async () => {
  await pool?.end();
});

const tokenIds = async (): Promise<string[]> =>
  (await pool.query<{ id: string }>('SELECT id FROM console_refresh_token ORDER BY id')).rows.map((r) => r.id);
const idOf = (refreshToken: string) => refreshToken.split('.')[0]!;

describe('refresh token purge', () => {
  it('deletes expired tokens (unused, spent, revoked) and keeps unexpired spent ones for reuse detection', async () => {
    let now = Date.parse('2026-01-05T09:00:00Z');
    const auth = new AuthService(pool, config, () => now);
    await auth.init();
    await pool.query('DELETE FROM console_refresh_token');

    // t0: two logins; the second logs out (revoked). t0+30 min: the first rotates (its first token is spent).
    const a = await auth.login('admin', PASSWORD, '127.0.0.1');
    const c = await auth.login('admin', PASSWORD, '127.0.0.1');
    await auth.logout(c.refreshToken);
    now += HOUR / 2;
    const b = await auth.refresh(a.refreshToken);
    expect(await auth.purgeRefreshTokens()).toBe(0);
    expect(await tokenIds()).toEqual([idOf(a.refreshToken), idOf(b.refreshToken), idOf(c.refreshToken)].sort());

    // Just past t0+1h the tokens of t0 have expired: spent (a) and revoked (c) alike go; b (until t0+1.5h) stays.
    now += HOUR / 2 + 1000;
    expect(await auth.purgeRefreshTokens()).toBe(2);
    expect(await tokenIds()).toEqual([idOf(b.refreshToken)]);
    // A purged token is simply not valid any more (it had expired anyway); the login it belonged to goes on.
    await expect(auth.refresh(a.refreshToken)).rejects.toThrow(/not valid/);
    const b2 = await auth.refresh(b.refreshToken);

    // A new login rotates; the purge keeps its spent token, whose reuse still revokes the whole login.
    const d = await auth.login('admin', PASSWORD, '127.0.0.1');
    now += 1000;
    const e = await auth.refresh(d.refreshToken);
    expect(await auth.purgeRefreshTokens()).toBe(0);
    expect(await tokenIds()).toContain(idOf(d.refreshToken));
    await expect(auth.refresh(d.refreshToken)).rejects.toThrow(/already used/);
    await expect(auth.refresh(e.refreshToken)).rejects.toThrow(/revoked/);
    // ... and only that login: the other one still rotates.
    await auth.refresh(b2.refreshToken);

    // Once everything has expired, nothing is left.
    now += 2 * HOUR;
    await auth.purgeRefreshTokens();
    expect(await tokenIds()).toEqual([]);
  });

  it('runs in the console at start and every period, and not after stop', async () => {
    await pool.query('DELETE FROM console_refresh_token');
    const insertExpired = async (id: string) => {
      await pool.query(
        `INSERT INTO console_refresh_token (id, family, username, token_hash, created_at, expires_at)
         VALUES ($1, $1, 'admin', 'x', now() - interval '2 hours', now() - interval '1 hour')`, [id]);
    };
    const insertLive = async (id: string) => {
      await pool.query(
        `INSERT INTO console_refresh_token (id, family, username, token_hash, used_at, expires_at)
         VALUES ($1, $1, 'admin', 'x', now(), now() + interval '1 hour')`, [id]);
    };
    await insertExpired('expired-before-start');
    await insertLive('spent-not-expired');
    const ui = await startConsole({ pool, config: { ...config, refreshTokenPurgeS: 1 }, regime: 'cftc-part45', projector: false, tickMs: 60_000 });
    try {
      // At start.
      await eventually(async () => ((await tokenIds()).includes('expired-before-start') ? undefined : true), 'the purge at start', 5_000);
      // Every period (1 s here).
      await insertExpired('expired-while-running');
      await eventually(async () => ((await tokenIds()).includes('expired-while-running') ? undefined : true), 'a periodic purge', 5_000);
      expect(await tokenIds()).toEqual(['spent-not-expired']);
    } finally {
      await ui.stop();
    }
    await insertExpired('expired-after-stop');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await tokenIds()).toEqual(['expired-after-stop', 'spent-not-expired']);
  });
});
