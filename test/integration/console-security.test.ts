import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import pg from 'pg';
import { App, us_listen_socket_close, us_socket_local_port, type us_listen_socket } from 'uws-pack';
import { loadConfig } from '../../engine/config.js';
import { HttpListenError, listenHttp } from '../../engine/http/http-server.js';
import { API_CSP, PAGE_CSP } from '../../engine/http/security-headers.js';
import { createMetrics } from '../../engine/metrics.js';
import type { RunningEngine } from '../../engine/main.js';
import { AuthConfigError, AuthService } from '../../ui/server/auth/service.js';
import { hashPassword } from '../../ui/server/auth/passwords.js';
import { staticRoutes } from '../../ui/server/static.js';
import { WsHub } from '../../ui/server/ws-hub.js';
import { eventually } from '../support/console.js';
import { startTestEngine } from '../support/engine.js';
import { wsConnect, wsConnectLive } from '../support/ws-client.js';

// The console's hardening against a real engine (real HTTP, WebSocket and PostgreSQL): the first admin's password
// in a 0600 file and changed at first login, login throttling per user and address, rehashing of weak password
// hashes, external users named apart and given roles only through the role map, security headers on every
// response, /metrics behind a token, HTTPS, and WebSockets that re-check their user.

const IDP = 'https://idp.security.test';
const METRICS_TOKEN = 'metrics-token-0123456789';
const PASSWORD = 'security-password-1';
let engine: RunningEngine;
let db: pg.Pool;
let dataDir: string;
let passwordHash: string;
const logged: string[] = [];
let jwks: { keys: JWK[] } = { keys: [] };
let jwksServer: http.Server;
let signingKey: CryptoKey;

beforeAll(async () => {
  jwksServer = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const k = await generateKeyPair('RS256');
  signingKey = k.privateKey;
  jwks = { keys: [{ ...(await exportJWK(k.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };

  dataDir = mkdtempSync(join(tmpdir(), 'swaprep-security-'));
  const base = loadConfig({});
  // The engine's log goes to stderr: kept here to check that the generated password never reaches it.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    logged.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    engine = await startTestEngine({
      dataDir,
      console: {
        ...base.console, adminPassword: undefined, wsRecheckS: 1,
        login: { ...base.console.login, maxFailures: 3, maxPerIp: 10_000, trustedProxies: ['127.0.0.3'] },
        oidc: {
          issuer: IDP, jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, audience: 'swaprep-console', roleClaim: 'groups',
          roleMap: { 'sec-analysts': 'analyst' }, usernameClaim: 'preferred_username', jwksCooldownMs: 0,
        },
      },
      http: { ...base.http, metricsToken: METRICS_TOKEN },
    });
  } finally {
    process.stderr.write = write;
  }
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  passwordHash = await hashPassword(PASSWORD);
});

afterAll(async () => {
  await db?.end();
  await engine?.stop();
  jwksServer?.close();
});

interface Res { status: number; headers: http.IncomingHttpHeaders; body: any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** One request over node:http, so a test can pick the source address (127.0.0.2 is another client on this machine). */
function call(method: string, path: string, opts: { token?: string; body?: unknown; from?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: engine.httpPort, method, path, headers, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const login = (username: string, password: string, from?: string, forwardedFor?: string) =>
  call('POST', '/auth/token', { body: { username, password }, ...(from ? { from } : {}), ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}) });

/** A local user made directly in the database (as an admin would through the API), with PASSWORD. */
async function addUser(username: string, role: string, hash = passwordHash): Promise<void> {
  await db.query('INSERT INTO console_user (username, password_hash, role) VALUES ($1, $2, $3)', [username, hash, role]);
}

describe('the first admin', () => {
  it('gets a generated password in a 0600 file, never in the log, and must change it before anything else', async () => {
    const file = join(dataDir, 'console-admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const generated = readFileSync(file, 'utf8').trim();
    expect(generated.length).toBeGreaterThanOrEqual(20);
    const log = logged.join('');
    expect(log).toContain(`its one-time password is in ${file}`);
    expect(log).not.toContain(generated);

    const first = await login('admin', generated);
    expect(first.status).toBe(200);
    expect(first.body.user).toEqual({ username: 'admin', role: 'admin', source: 'local', mustChangePassword: true });
    const token = first.body.accessToken as string;
    for (const path of ['/api/me', '/api/dashboard', '/api/users']) {
      const r = await call('GET', path, { token });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code, path).toBe('password_change_required');
    }
    const ws = await wsConnect(engine.httpPort, `/ws?access_token=${token}`);
    expect(ws.ok ? 101 : ws.status).toBe(403);

    // The current password must be given, and right; the new one long enough.
    const wrong = await call('POST', '/api/me/password', { token, body: { currentPassword: 'not-it', newPassword: 'admin-chosen-password' } });
    expect([wrong.status, wrong.body.error.field]).toEqual([400, 'currentPassword']);
    const short = await call('POST', '/api/me/password', { token, body: { currentPassword: generated, newPassword: 'short' } });
    expect([short.status, short.body.error.field]).toEqual([400, 'newPassword']);
    const changed = await call('POST', '/api/me/password', { token, body: { currentPassword: generated, newPassword: 'admin-chosen-password' } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.user).toEqual({ username: 'admin', role: 'admin', source: 'local' });
    expect((await call('GET', '/api/users', { token: changed.body.accessToken })).status).toBe(200);
    // The first login's refresh token went with the change; the generated password and its file are gone.
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: first.body.refreshToken } })).status).toBe(401);
    expect((await login('admin', generated)).status).toBe(401);
    await eventually(async () => (existsSync(file) ? undefined : true), 'the password file to be removed');
    const audit = await call('GET', '/api/audit?entity=user&entityId=admin', { token: changed.body.accessToken });
    expect(audit.body.items.map((a: { action: string }) => a.action)).toContain('change_password');
  });

  it('needs no change when the operator chose the password (SWAPREP_ADMIN_PASSWORD)', async () => {
    const auth = new AuthService(db, { ...loadConfig({}).console, adminPassword: 'operator-chosen-password' });
    expect(await auth.init()).toEqual({});
    const r = await login('admin', 'operator-chosen-password');
    expect(r.body.user).toEqual({ username: 'admin', role: 'admin', source: 'local' });
    expect((await call('GET', '/api/users', { token: r.body.accessToken })).status).toBe(200);
  });
});

describe('login throttling', () => {
  it('stops a stranger guessing from one address, not the user logging in from another', async () => {
    await addUser('sec-target', 'admin');
    for (let i = 0; i < 3; i++) expect((await login('sec-target', `guess-${i}`, '127.0.0.2')).status).toBe(401);
    // From the stranger's address even the right password is refused now (a guesser learns nothing).
    const locked = await login('sec-target', PASSWORD, '127.0.0.2');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.body.error.code).toBe('too_many_requests');
    // The user, from their own address, logs in as usual.
    expect((await login('sec-target', PASSWORD, '127.0.0.1')).status).toBe(200);
  });

  it('takes the address from X-Forwarded-For of a trusted proxy only', async () => {
    await addUser('sec-proxied', 'viewer');
    for (let i = 0; i < 3; i++) expect((await login('sec-proxied', `guess-${i}`, '127.0.0.3', '198.51.100.1')).status).toBe(401);
    expect((await login('sec-proxied', PASSWORD, '127.0.0.3', '198.51.100.1')).status).toBe(429);
    // Another client behind the same proxy is not affected.
    expect((await login('sec-proxied', PASSWORD, '127.0.0.3', '198.51.100.2')).status).toBe(200);
    // A client that is not the proxy cannot pick its address with the header.
    for (let i = 0; i < 3; i++) await login('sec-proxied', `guess-${i}`, '127.0.0.2', '198.51.100.3');
    expect((await login('sec-proxied', PASSWORD, '127.0.0.2', '198.51.100.4')).status).toBe(429);
  });
});

describe('password hashes', () => {
  it('rehashes at login a hash made with a lower scrypt cost', async () => {
    await addUser('sec-old-hash', 'viewer', await hashPassword(PASSWORD, { log2N: 14, r: 8, p: 1 }));
    expect((await login('sec-old-hash', PASSWORD)).status).toBe(200);
    const { rows } = await db.query<{ password_hash: string }>(`SELECT password_hash FROM console_user WHERE username = 'sec-old-hash'`);
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await login('sec-old-hash', PASSWORD)).status).toBe(200);
  });
});

describe('external identity provider', () => {
  const idpToken = (claims: Record<string, unknown>, aud: string | null = 'swaprep-console') => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(IDP).setSubject('u-1').setIssuedAt(now).setExpirationTime(now + 300);
    return (aud === null ? jwt : jwt.setAudience(aud)).sign(signingKey);
  };

  it("names its users apart from local ones, so its `admin` is not the local admin", async () => {
    const token = await idpToken({ preferred_username: 'admin', groups: ['sec-analysts'] });
    const me = await call('GET', '/api/me', { token });
    expect(me.body).toEqual({ username: 'oidc:idp.security.test:admin', role: 'analyst', source: 'external' });
    expect((await call('GET', '/api/users', { token })).status).toBe(403);
  });

  it('gives roles only through the role map, and refuses tokens without the audience', async () => {
    const named = await call('GET', '/api/me', { token: await idpToken({ preferred_username: 'mallory', groups: ['admin', 'supervisor'] }) });
    expect([named.status, named.body.error.code]).toEqual([403, 'forbidden']);
    expect((await call('GET', '/api/me', { token: await idpToken({ preferred_username: 'x', groups: ['sec-analysts'] }, null) })).status).toBe(401);
    expect((await call('GET', '/api/me', { token: await idpToken({ preferred_username: 'x', groups: ['sec-analysts'] }, 'another-app') })).status).toBe(401);
  });

  it('does not start without an audience or a role map', () => {
    const oidc = { issuer: IDP, jwksUrl: 'http://127.0.0.1:1/jwks', audience: 'a', roleClaim: 'groups', roleMap: { g: 'viewer' as const }, usernameClaim: 'sub', jwksCooldownMs: 0 };
    const config = loadConfig({}).console;
    expect(() => new AuthService(db, { ...config, oidc: { ...oidc, roleMap: {} } })).toThrow(AuthConfigError);
    expect(() => new AuthService(db, { ...config, oidc: { ...oidc, audience: '' } })).toThrow(/needs an audience/);
  });
});

describe('HTTP responses', () => {
  const expectCommon = (r: Res, what: string) => {
    expect(r.headers['x-content-type-options'], what).toBe('nosniff');
    expect(r.headers['x-frame-options'], what).toBe('DENY');
    expect(r.headers['referrer-policy'], what).toBe('no-referrer');
    expect(r.headers['strict-transport-security'], `${what} (plain HTTP: no HSTS)`).toBeUndefined();
  };

  it('carry the security headers, and API answers are not cached', async () => {
    await addUser('sec-headers', 'viewer');
    const token = (await login('sec-headers', PASSWORD)).body.accessToken as string;
    const answers: [string, Res][] = [
      ['GET /healthz', await call('GET', '/healthz')],
      ['GET /metrics', await call('GET', '/metrics', { token: METRICS_TOKEN })],
      ['GET /nowhere.txt', await call('GET', '/nowhere.txt')],
      ['GET /api/me', await call('GET', '/api/me', { token })],
      ['GET /api/me without a token', await call('GET', '/api/me')],
      ['GET /api/nothing', await call('GET', '/api/nothing', { token })],
      ['POST /auth/token (wrong)', await login('sec-headers', 'wrong-password')],
    ];
    for (const [what, r] of answers) {
      expectCommon(r, what);
      expect(r.headers['content-security-policy'], what).toBe(API_CSP);
      expect(r.headers['cache-control'], what).toBe('no-store');
    }
    expect(answers.map(([, r]) => r.status)).toEqual([200, 200, 404, 200, 401, 404, 401]);
    const refused = await wsConnect(engine.httpPort, '/ws?access_token=forged');
    expect(refused.ok ? 101 : refused.status).toBe(401);
  });

  it('/metrics answers only with the bearer token', async () => {
    const none = await call('GET', '/metrics');
    expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Bearer realm="metrics"']);
    expect((await call('GET', '/metrics', { token: 'wrong-token-0123456789' })).status).toBe(401);
    const ok = await call('GET', '/metrics', { token: METRICS_TOKEN });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain('swaprep_');
  });
});

describe('HTTPS', () => {
  it('serves the console over TLS with HSTS and the page CSP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-https-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>console</title>');
    const server = await listenHttp('127.0.0.1', 0, {
      metrics: createMetrics(), health: async () => ({ ok: true, detail: {} }), routes: [staticRoutes({ dir: web })],
      tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }, hstsMaxAgeS: 31_536_000,
    });
    try {
      const get = (path: string) => new Promise<Res>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: server.port, path, ca: readFileSync(join(dir, 'cert.pem')) }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: undefined }));
        }).on('error', reject);
      });
      const page = await get('/');
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
      expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
      const health = await get('/healthz');
      expect([health.status, health.headers['strict-transport-security']]).toEqual([200, 'max-age=31536000']);
      // Plain HTTP to the TLS port gets no HTTP answer.
      const plain = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port: server.port, path: '/healthz' }, (res) => resolve(`HTTP ${res.statusCode}`)).on('error', (err) => resolve(err.message));
      });
      expect(plain).not.toMatch(/^HTTP 200/);
    } finally {
      server.close();
    }
    // A key that is not PEM stops the start with the settings named.
    await expect(listenHttp('127.0.0.1', 0, {
      metrics: createMetrics(), health: async () => ({ ok: true, detail: {} }), tls: { certFile: join(dir, 'cert.pem'), keyFile: join(web, 'index.html') },
    })).rejects.toThrow(HttpListenError);
  });
});

// retry: now and then uWS drops a fresh connection right after its open (see test/support/ws-client.ts).
describe('WebSocket', { retry: 2 }, () => {
  it('closes the socket of a user an admin disables through the API', async () => {
    const adminName = `sec-admin-${Date.now()}`;
    await addUser(adminName, 'admin');
    const admin = (await login(adminName, PASSWORD)).body.accessToken as string;
    const name = `sec-ws-${Date.now()}`;
    await addUser(name, 'viewer');
    const token = (await login(name, PASSWORD)).body.accessToken as string;
    const { client } = await wsConnectLive(engine.httpPort, `/ws?access_token=${token}`);
    client.send(JSON.stringify({ type: 'subscribe', topics: ['dashboard'] }));
    await client.next((m) => (m as { topic?: string }).topic === 'dashboard');
    expect((await call('PATCH', `/api/users/${name}`, { token: admin, body: { disabled: true } })).status).toBe(200);
    expect((await client.closed).code).toBe(4401);
    expect(await client.next((m) => (m as { type: string }).type === 'error')).toMatchObject({ code: 'unauthorized', fatal: true });
  });

  it('closes the socket at once when the user is changed through the console, without waiting for a periodic check', async () => {
    const auth = new AuthService(db, loadConfig({}).console);
    await auth.init();
    const hub = new WsHub(auth, { highWaterBytes: 1 << 20, recheckMs: 3_600_000 });
    const app = App();
    hub.install(app);
    const socket = await new Promise<us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
    try {
      const name = `sec-ws-hub-${Date.now()}`;
      await addUser(name, 'viewer');
      const { client } = await wsConnectLive(us_socket_local_port(socket), `/ws?access_token=${await auth.accessToken(name, 'viewer')}`);
      await auth.updateUser('admin', name, { disabled: true });
      expect((await client.closed).code).toBe(4401);
    } finally {
      hub.closeAll();
      us_listen_socket_close(socket);
    }
  });

  it('closes the socket of a user disabled behind its back, at the next periodic check', async () => {
    const name = `sec-ws-db-${Date.now()}`;
    await addUser(name, 'viewer');
    const token = (await login(name, PASSWORD)).body.accessToken as string;
    const { client } = await wsConnectLive(engine.httpPort, `/ws?access_token=${token}`);
    // Not through the API (another engine, or SQL): only the periodic check (every second here) sees it.
    await db.query('UPDATE console_user SET disabled = true WHERE username = $1', [name]);
    expect((await client.closed).code).toBe(4401);
  });
});
