import { describe, expect, it } from 'vitest';
import { loadConfig, parseRoleMap } from '../../engine/config.js';
import { hashPassword, verifyPassword } from '../../ui/server/auth/passwords.js';
import { SlidingWindowLimiter } from '../../ui/server/auth/rate-limit.js';
import { parseClientMessage } from '../../ui/server/ws-hub.js';
import { diffRecords } from '../../ui/server/queries/detail.js';

describe('console auth parts', () => {
  it('hashes passwords with a fresh salt each time and verifies them', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('anything', 'not-a-hash')).toBe(false);
  });

  it('limits attempts per key within a sliding window', () => {
    let now = 1_000_000;
    const l = new SlidingWindowLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterS('k')).toBe(0);
      l.record('k');
    }
    expect(l.retryAfterS('k')).toBe(60);
    expect(l.retryAfterS('other')).toBe(0);
    now += 30_000;
    expect(l.retryAfterS('k')).toBe(30);
    now += 30_001;
    expect(l.retryAfterS('k')).toBe(0);
  });

  it('reads console settings and names the bad one', () => {
    const idp = { SWAPREP_OIDC_ISSUER: 'https://idp', SWAPREP_OIDC_JWKS_URL: 'https://idp/jwks', SWAPREP_OIDC_AUDIENCE: 'swaprep', SWAPREP_OIDC_ROLE_MAP: 'ops=supervisor, all=viewer' };
    const c = loadConfig(idp).console;
    expect(c.oidc).toMatchObject({ issuer: 'https://idp', audience: 'swaprep', roleClaim: 'roles', roleMap: { ops: 'supervisor', all: 'viewer' } });
    // Neither the audience nor the role map may be left out: tokens for other applications, or groups named like roles, would get in.
    expect(() => loadConfig({ ...idp, SWAPREP_OIDC_AUDIENCE: '' })).toThrow(/SWAPREP_OIDC_AUDIENCE: required/);
    expect(() => loadConfig({ ...idp, SWAPREP_OIDC_ROLE_MAP: '' })).toThrow(/SWAPREP_OIDC_ROLE_MAP: required/);
    expect(() => loadConfig({ ...idp, SWAPREP_OIDC_ISSUER: 'idp' })).toThrow(/SWAPREP_OIDC_ISSUER: "idp" is not an http/);
    expect(c).toMatchObject({ enabled: true, accessTokenTtlS: 900, maxBodyBytes: 1024 * 1024, refreshTokenPurgeS: 3600 });
    expect(loadConfig({ SWAPREP_REFRESH_TOKEN_PURGE_S: '600' }).console.refreshTokenPurgeS).toBe(600);
    expect(() => loadConfig({ SWAPREP_REFRESH_TOKEN_PURGE_S: 'hourly' })).toThrow(/SWAPREP_REFRESH_TOKEN_PURGE_S/);
    expect(() => loadConfig({ SWAPREP_JWT_SECRET: 'short' })).toThrow(/SWAPREP_JWT_SECRET: must be at least 32 bytes/);
    expect(() => loadConfig({ SWAPREP_OIDC_ISSUER: 'https://idp' })).toThrow(/needs both SWAPREP_OIDC_ISSUER and SWAPREP_OIDC_JWKS_URL/);
    expect(() => loadConfig({ SWAPREP_OIDC_ISSUER: 'x', SWAPREP_OIDC_JWKS_URL: 'ftp://x' })).toThrow(/SWAPREP_OIDC_JWKS_URL: "ftp:\/\/x" is not an http/);
    expect(() => parseRoleMap('ops=root')).toThrow(/SWAPREP_OIDC_ROLE_MAP: "ops=root"/);
    expect(() => loadConfig({ SWAPREP_CONSOLE: 'maybe' })).toThrow(/SWAPREP_CONSOLE/);
    expect(() => loadConfig({ SWAPREP_ADMIN_PASSWORD: 'abc' })).toThrow(/SWAPREP_ADMIN_PASSWORD/);
    // Hardening settings: defaults, and a bad value named.
    expect(c).toMatchObject({ scryptLog2N: 17, wsRecheckS: 30, login: { maxFailures: 5, backoffS: 30, maxBackoffS: 900, windowS: 900, maxPerIp: 30, ipWindowS: 60, trustedProxies: [] } });
    expect(() => loadConfig({ SWAPREP_SCRYPT_LOG2_N: '14' })).toThrow(/SWAPREP_SCRYPT_LOG2_N: 14 is not from 17 to 20/);
    expect(() => loadConfig({ SWAPREP_TRUSTED_PROXIES: '10.0.0.1, proxy.local' })).toThrow(/SWAPREP_TRUSTED_PROXIES: "proxy.local"/);
    expect(loadConfig({ SWAPREP_TRUSTED_PROXIES: '10.0.0.1, ::1' }).console.login.trustedProxies).toEqual(['10.0.0.1', '::1']);
    const http = loadConfig({}).http;
    expect(http).toEqual({ tls: undefined, hstsMaxAgeS: 31_536_000, metricsToken: undefined });
    expect(() => loadConfig({ SWAPREP_HTTP_TLS_CERT: '/x.pem' })).toThrow(/HTTPS needs both SWAPREP_HTTP_TLS_CERT and SWAPREP_HTTP_TLS_KEY/);
    expect(() => loadConfig({ SWAPREP_HTTP_TLS_CERT: '/nonexistent/cert.pem', SWAPREP_HTTP_TLS_KEY: '/nonexistent/key.pem' })).toThrow(/SWAPREP_HTTP_TLS_CERT: cannot read/);
    expect(() => loadConfig({ SWAPREP_METRICS_TOKEN: 'short' })).toThrow(/SWAPREP_METRICS_TOKEN: must be at least 16/);
  });

  it('checks WebSocket client messages strictly', () => {
    expect(parseClientMessage('{"type":"subscribe","topics":["dashboard","alerts"]}')).toEqual({ type: 'subscribe', topics: ['dashboard', 'alerts'] });
    expect(() => parseClientMessage('{"type":"subscribe","topics":["weather"]}')).toThrow(/unknown topic "weather"/);
    expect(() => parseClientMessage('{"type":"shout"}')).toThrow(/field "type"/);
    expect(() => parseClientMessage('[]')).toThrow(/JSON object/);
    expect(() => parseClientMessage('nope')).toThrow(/not JSON/);
  });

  it('diffs consecutive versions path by path', () => {
    const before = { actionType: 'NEWT', leg1: { notionalAmount: '100', currency: 'USD' }, otherPayment: [{ amount: '1' }] };
    const after = { actionType: 'MODI', leg1: { notionalAmount: '200', currency: 'USD' }, otherPayment: [{ amount: '1' }, { amount: '2' }], amendmentIndicator: false };
    expect(diffRecords(before, after)).toEqual([
      { path: 'actionType', before: 'NEWT', after: 'MODI' },
      { path: 'amendmentIndicator', before: null, after: false },
      { path: 'leg1.notionalAmount', before: '100', after: '200' },
      { path: 'otherPayment[1].amount', before: null, after: '2' },
    ]);
    expect(diffRecords(undefined, { a: 1 })).toEqual([{ path: 'a', before: null, after: 1 }]);
  });
});
