/**
 * Console authentication: local users (scrypt passwords, rehashed at login when made with a lower cost),
 * short-lived HS256 access tokens (jose), rotating refresh tokens stored hashed, login throttling per user and
 * address, and optionally JWTs of an external identity provider verified against its JWKS (jose's
 * createRemoteJWKSet caches the keys and refetches on an unknown key id). An external user is named
 * `oidc:<issuer host>:<name>`, so the provider's `admin` is never the local admin.
 *
 * Every request re-reads the user (cached for a second or two), so disabling a user or changing a role takes
 * effect at once, not when the access token expires; listeners (the WebSocket hub) hear of every such change.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { ConsoleConfig, OidcConfig } from '../../../engine/config.js';
import { audit } from '../../../engine/exceptions/audit.js';
import { log } from '../../../engine/log.js';
import { withTransaction } from '../../../engine/store/transaction.js';
import { ROLES, type Me, type Role, type TokenResponse, type UserItem } from '../../api/contract.js';
import { ApiError, conflict, notFound } from '../http.js';
import { clientAddress, normalise } from './client-address.js';
import { LoginThrottle } from './login-throttle.js';
import { dummyHash, generatePassword, hashPassword, needsRehash, verifyPassword, type ScryptParams } from './passwords.js';
import { SlidingWindowLimiter } from './rate-limit.js';

export const ISSUER = 'swaprep';
export const AUDIENCE = 'swaprep-console';

export interface AuthUser extends Me {}

/** A console setting that cannot work (found when the console starts). */
export class AuthConfigError extends Error {
  readonly code = 'AUTH_CONFIG';
}

/** What happened to a user: its row changed (role, disabled), or its password. */
export type UserChange = 'updated' | 'password';

const unauthorized = (message: string) => new ApiError('unauthorized', message);
const USER_COLUMNS = 'username, password_hash, role, disabled, must_change_password, created_at, last_login_at';

interface UserRow {
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  must_change_password: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

function me(r: UserRow): Me {
  return { username: r.username, role: r.role, source: 'local', ...(r.must_change_password ? { mustChangePassword: true as const } : {}) };
}

function userItem(r: UserRow): UserItem {
  return { username: r.username, role: r.role, disabled: r.disabled, createdAt: r.created_at.toISOString(), lastLoginAt: r.last_login_at ? r.last_login_at.toISOString() : null };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class AuthService {
  private key!: Uint8Array;
  private readonly throttle: LoginThrottle;
  private readonly ipLimiter: SlidingWindowLimiter;
  private readonly scrypt: ScryptParams;
  /** Compared against for unknown users, at the current cost, so the answer takes as long as for a known one. */
  private readonly dummy: string;
  private readonly trustedProxies: string[];
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** `oidc:<issuer host>:`, the prefix of every external user's name. */
  private readonly externalPrefix: string | undefined;
  private readonly userCache = new Map<string, { at: number; row: UserRow | undefined }>();
  private readonly listeners = new Set<(username: string, change: UserChange) => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: ConsoleConfig,
    private readonly clock: () => number = Date.now,
  ) {
    const l = config.login;
    this.throttle = new LoginThrottle({ maxFailures: l.maxFailures, backoffMs: l.backoffS * 1000, maxBackoffMs: l.maxBackoffS * 1000, windowMs: l.windowS * 1000 }, clock);
    this.ipLimiter = new SlidingWindowLimiter(l.maxPerIp, l.ipWindowS * 1000, clock);
    this.trustedProxies = l.trustedProxies.map(normalise);
    this.scrypt = { log2N: config.scryptLog2N, r: 8, p: 1 };
    this.dummy = dummyHash(this.scrypt);
    if (config.oidc) {
      // loadConfig checks these too; a console configured in code (tests, embedding) must not skip them.
      if (!config.oidc.audience) throw new AuthConfigError('the external identity provider needs an audience (SWAPREP_OIDC_AUDIENCE)');
      if (Object.keys(config.oidc.roleMap).length === 0) throw new AuthConfigError('the external identity provider needs a role map (SWAPREP_OIDC_ROLE_MAP)');
      this.externalPrefix = `oidc:${new URL(config.oidc.issuer).host}:`;
    }
    this.jwks = config.oidc ? createRemoteJWKSet(new URL(config.oidc.jwksUrl), { cooldownDuration: config.oidc.jwksCooldownMs, timeoutDuration: 5000 }) : undefined;
  }

  /** Calls `listener` after a user's role, disabled state or password changed through this service. */
  onUserChange(listener: (username: string, change: UserChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(username: string, change: UserChange): void {
    this.userCache.delete(username);
    for (const l of this.listeners) l(username, change);
  }

  /** The address a request's login attempts are throttled by (see client-address.ts). */
  clientAddress(peer: string, forwardedFor: string): string {
    return clientAddress(peer, forwardedFor, this.trustedProxies);
  }

  /**
   * Loads (or creates once) the signing key and makes sure user `admin` exists. Returns the password when it
   * generated one: admin must then change it at first login. A password the operator gave (SWAPREP_ADMIN_PASSWORD)
   * counts as chosen and is not to be changed.
   */
  async init(): Promise<{ adminPassword?: string }> {
    if (this.config.jwtSecret) {
      this.key = new TextEncoder().encode(this.config.jwtSecret);
    } else {
      await this.pool.query(`INSERT INTO console_secret (name, value) VALUES ('jwt', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32)]);
      const { rows } = await this.pool.query<{ value: Buffer }>(`SELECT value FROM console_secret WHERE name = 'jwt'`);
      this.key = new Uint8Array(rows[0]!.value);
    }
    const given = this.config.adminPassword;
    if (given !== undefined) {
      const hash = await hashPassword(given, this.scrypt);
      await this.pool.query(
        `INSERT INTO console_user (username, password_hash, role) VALUES ('admin', $1, 'admin')
         ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, disabled = false, role = 'admin', must_change_password = false`, [hash]);
      return {};
    }
    const password = generatePassword();
    const res = await this.pool.query(
      `INSERT INTO console_user (username, password_hash, role, must_change_password) VALUES ('admin', $1, 'admin', true) ON CONFLICT (username) DO NOTHING`,
      [await hashPassword(password, this.scrypt)]);
    if (res.rowCount === 0) return {};
    await audit(this.pool, 'system', 'user', 'admin', 'create', null, { role: 'admin' }, this.clock());
    return { adminPassword: password };
  }

  // -- login, refresh, logout --------------------------------------------------------------------------------

  /**
   * Logs a local user in from `address` (clientAddress()). Refused with 429 while that address is throttled for
   * that user (its earlier failures) or is sending too many logins altogether; a correct password does not help
   * then, or the throttle would tell a guesser when it guessed right.
   */
  async login(username: string, password: string, address: string): Promise<TokenResponse> {
    this.checkThrottle(username, address);
    this.ipLimiter.record(`ip:${address}`);
    const row = await this.readUser(username, false);
    const ok = await verifyPassword(password, row?.password_hash ?? this.dummy);
    if (!row || !ok || row.disabled) {
      this.throttle.failed(username, address);
      throw unauthorized('wrong username or password, or the user is disabled');
    }
    this.throttle.succeeded(username, address);
    await this.rehashIfWeak(row, password);
    await this.pool.query('UPDATE console_user SET last_login_at = $2::timestamptz WHERE username = $1', [row.username, new Date(this.clock()).toISOString()]);
    return this.issue(row, randomBytes(12).toString('base64url'));
  }

  private checkThrottle(username: string, address: string): void {
    const wait = Math.max(this.ipLimiter.retryAfterS(`ip:${address}`), this.throttle.retryAfterS(username, address));
    if (wait > 0) {
      throw new ApiError('too_many_requests', `too many login attempts; try again in ${wait} s`, undefined, { retryAfter: wait }, { 'retry-after': String(wait) });
    }
  }

  /**
   * A hash made with less than today's cost (an older release's N = 2^14) is replaced now that the password is at
   * hand; only if the row still holds that hash (a password changed meanwhile wins).
   */
  private async rehashIfWeak(row: UserRow, password: string): Promise<void> {
    if (!needsRehash(row.password_hash, this.scrypt)) return;
    const hash = await hashPassword(password, this.scrypt);
    const res = await this.pool.query('UPDATE console_user SET password_hash = $3 WHERE username = $1 AND password_hash = $2', [row.username, row.password_hash, hash]);
    if ((res.rowCount ?? 0) > 0) {
      this.userCache.delete(row.username);
      log('info', `console: rehashed the password of ${row.username} at the current scrypt cost (N = 2^${this.scrypt.log2N})`);
    }
  }

  /**
   * A local user changes their own password, giving the current one (a stolen access token alone cannot). Clears
   * "must change", revokes every refresh token of the user (other sessions end) and starts a new login, returned.
   * A wrong current password counts as a failed login from `address`.
   */
  async changeOwnPassword(user: AuthUser, current: string, next: string, address: string): Promise<TokenResponse> {
    if (user.source !== 'local') throw conflict(`${user.username} is a user of the identity provider: change the password there`);
    this.checkThrottle(user.username, address);
    this.ipLimiter.record(`ip:${address}`);
    const row = await this.readUser(user.username, false);
    if (!row || row.disabled) throw unauthorized(`user ${user.username} is disabled or gone`);
    if (!(await verifyPassword(current, row.password_hash))) {
      this.throttle.failed(user.username, address);
      throw new ApiError('bad_request', 'the current password is wrong', 'currentPassword');
    }
    this.throttle.succeeded(user.username, address);
    if (next === current) throw new ApiError('bad_request', 'the new password must differ from the current one', 'newPassword');
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE console_user SET password_hash = $2, must_change_password = false WHERE username = $1 RETURNING ${USER_COLUMNS}`,
      [row.username, await hashPassword(next, this.scrypt)]);
    await this.revokeAll(row.username);
    this.changed(row.username, 'password');
    await audit(this.pool, row.username, 'user', row.username, 'change_password', { mustChangePassword: row.must_change_password }, { passwordChanged: true }, this.clock());
    return this.issue(rows[0]!, randomBytes(12).toString('base64url'));
  }

  /** Rotates a refresh token: the old one is spent; a spent one presented again revokes its whole family. */
  async refresh(token: string): Promise<TokenResponse> {
    const [id, secret] = token.split('.');
    if (!id || !secret) throw unauthorized('refresh token is malformed');
    const outcome = await withTransaction(this.pool, async (client): Promise<{ tokens: TokenResponse } | { reusedBy: string }> => {
      const { rows } = await client.query<{ family: string; username: string; token_hash: string; expires_at: Date; used_at: Date | null; revoked_at: Date | null }>(
        'SELECT family, username, token_hash, expires_at, used_at, revoked_at FROM console_refresh_token WHERE id = $1 FOR UPDATE', [id]);
      const t = rows[0];
      if (!t || !timingSafeEqual(Buffer.from(t.token_hash), Buffer.from(sha256(secret)))) throw unauthorized('refresh token is not valid');
      const now = this.clock();
      if (t.revoked_at) throw unauthorized('refresh token was revoked');
      if (t.used_at) {
        // Returned, not thrown: the revocation must be committed although the request fails.
        await client.query('UPDATE console_refresh_token SET revoked_at = $2::timestamptz WHERE family = $1 AND revoked_at IS NULL', [t.family, new Date(now).toISOString()]);
        return { reusedBy: t.username };
      }
      if (t.expires_at.getTime() <= now) throw unauthorized('refresh token expired; log in again');
      const user = await this.readUser(t.username, false, client);
      if (!user || user.disabled) throw unauthorized('the user is disabled');
      await client.query('UPDATE console_refresh_token SET used_at = $2::timestamptz WHERE id = $1', [id, new Date(now).toISOString()]);
      return { tokens: await this.issue(user, t.family, client) };
    });
    if ('reusedBy' in outcome) {
      log('warn', `console: refresh token of ${outcome.reusedBy} reused; its family was revoked`);
      throw unauthorized('refresh token was already used; every token of this login is now revoked');
    }
    return outcome.tokens;
  }

  /**
   * Deletes the refresh tokens past their expiry, whatever their state (unused, spent or revoked): an expired
   * token is refused anyway. A spent token is kept until then on purpose: presented again within its lifetime it
   * must still be recognised, and revoke its whole login. Returns how many rows went.
   */
  async purgeRefreshTokens(): Promise<number> {
    const res = await this.pool.query('DELETE FROM console_refresh_token WHERE expires_at <= $1::timestamptz', [new Date(this.clock()).toISOString()]);
    return res.rowCount ?? 0;
  }

  async logout(token: string): Promise<void> {
    const [id, secret] = token.split('.');
    if (!id || !secret) throw unauthorized('refresh token is malformed');
    const { rows } = await this.pool.query<{ family: string; token_hash: string; username: string }>('SELECT family, token_hash, username FROM console_refresh_token WHERE id = $1', [id]);
    const t = rows[0];
    if (!t || t.token_hash !== sha256(secret)) throw unauthorized('refresh token is not valid');
    await this.pool.query('UPDATE console_refresh_token SET revoked_at = $2::timestamptz WHERE family = $1 AND revoked_at IS NULL', [t.family, new Date(this.clock()).toISOString()]);
  }

  private async issue(user: UserRow, family: string, db: pg.ClientBase | pg.Pool = this.pool): Promise<TokenResponse> {
    const now = this.clock();
    const id = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await db.query(
      'INSERT INTO console_refresh_token (id, family, username, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz)',
      [id, family, user.username, sha256(secret), new Date(now).toISOString(), new Date(now + this.config.refreshTokenTtlS * 1000).toISOString()],
    );
    return {
      tokenType: 'Bearer',
      accessToken: await this.accessToken(user.username, user.role),
      expiresIn: this.config.accessTokenTtlS,
      refreshToken: `${id}.${secret}`,
      refreshExpiresIn: this.config.refreshTokenTtlS,
      user: me(user),
    };
  }

  async accessToken(username: string, role: Role, ttlS = this.config.accessTokenTtlS): Promise<string> {
    const now = Math.floor(this.clock() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(username)
      .setIssuedAt(now).setExpirationTime(now + ttlS).setJti(randomBytes(8).toString('base64url'))
      .sign(this.key);
  }

  // -- verifying a bearer token ------------------------------------------------------------------------------

  /** The user a bearer token stands for; throws 401 naming why not. Returns the token's expiry (ms) too. */
  async authenticate(token: string): Promise<{ user: AuthUser; expiresAtMs: number }> {
    if (!token) throw unauthorized('no access token: send Authorization: Bearer <token>');
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthorized('access token is not a JWT');
    }
    if (this.config.oidc && iss === this.config.oidc.issuer) return this.authenticateExternal(token, this.config.oidc);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(this.clock()) }));
    } catch (err) {
      throw unauthorized(jwtFailure(err));
    }
    const row = await this.readUser(String(payload.sub), true);
    if (!row) throw unauthorized(`user ${String(payload.sub)} no longer exists`);
    if (row.disabled) throw unauthorized(`user ${row.username} is disabled`);
    return { user: me(row), expiresAtMs: (payload.exp ?? 0) * 1000 };
  }

  /**
   * A token of the identity provider: issuer, audience (always: loadConfig requires one), signature and time
   * checked by jose. The role comes only through the role map: a claim value that is not a key of the map gives
   * nothing, even one spelled like a console role. The user is named `oidc:<issuer host>:<name>`, apart from the
   * local users (whose names cannot hold ':').
   */
  private async authenticateExternal(token: string, oidc: OidcConfig): Promise<{ user: AuthUser; expiresAtMs: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks!, {
        issuer: oidc.issuer, audience: oidc.audience, currentDate: new Date(this.clock()),
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      }));
    } catch (err) {
      throw unauthorized(`token of ${oidc.issuer}: ${jwtFailure(err)}`);
    }
    const name = payload[oidc.usernameClaim] ?? payload.sub;
    if (typeof name !== 'string' || name === '') throw unauthorized(`token of ${oidc.issuer} has no ${oidc.usernameClaim} or sub claim`);
    const claim = payload[oidc.roleClaim];
    const values = Array.isArray(claim) ? claim.filter((c): c is string => typeof c === 'string') : typeof claim === 'string' ? [claim] : [];
    const mapped = values.map((c) => (Object.hasOwn(oidc.roleMap, c) ? oidc.roleMap[c] : undefined));
    const role = ROLES.filter((r) => mapped.includes(r)).pop();
    const username = `${this.externalPrefix!}${name}`;
    if (!role) throw new ApiError('forbidden', `token of ${oidc.issuer} for ${username} carries no value of claim "${oidc.roleClaim}" that SWAPREP_OIDC_ROLE_MAP maps to a role`);
    return { user: { username, role, source: 'external' }, expiresAtMs: (payload.exp ?? 0) * 1000 };
  }

  private async readUser(username: string, cached: boolean, db: pg.ClientBase | pg.Pool = this.pool): Promise<UserRow | undefined> {
    const now = this.clock();
    const hit = this.userCache.get(username);
    if (cached && hit && now - hit.at < 2000) return hit.row;
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM console_user WHERE username = $1`, [username]);
    if (this.userCache.size > 1000) this.userCache.clear();
    this.userCache.set(username, { at: now, row: rows[0] });
    return rows[0];
  }

  // -- user administration (admin) ----------------------------------------------------------------------------

  async listUsers(): Promise<UserItem[]> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM console_user ORDER BY username`);
    return rows.map(userItem);
  }

  async createUser(actor: string, username: string, password: string, role: Role): Promise<UserItem> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO console_user (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4::timestamptz) ON CONFLICT (username) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [username, await hashPassword(password, this.scrypt), role, new Date(this.clock()).toISOString()]);
    if (!rows[0]) throw conflict(`user ${username} already exists`);
    await audit(this.pool, actor, 'user', username, 'create', null, { role }, this.clock());
    return userItem(rows[0]);
  }

  async updateUser(actor: string, username: string, change: { role?: Role | undefined; disabled?: boolean | undefined }): Promise<UserItem> {
    const before = await this.readUser(username, false);
    if (!before) throw notFound(`no user ${username}`);
    if (username === actor && (change.disabled === true || (change.role !== undefined && change.role !== 'admin'))) {
      throw conflict('an admin cannot disable or demote themselves (another admin must)');
    }
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE console_user SET role = COALESCE($2, role), disabled = COALESCE($3, disabled) WHERE username = $1
       RETURNING ${USER_COLUMNS}`, [username, change.role ?? null, change.disabled ?? null]);
    const after = rows[0]!;
    if (after.disabled) await this.revokeAll(username);
    this.changed(username, 'updated');
    await audit(this.pool, actor, 'user', username, 'update', { role: before.role, disabled: before.disabled }, { role: after.role, disabled: after.disabled }, this.clock());
    return userItem(after);
  }

  async resetPassword(actor: string, username: string, password: string): Promise<void> {
    const res = await this.pool.query('UPDATE console_user SET password_hash = $2 WHERE username = $1', [username, await hashPassword(password, this.scrypt)]);
    if (res.rowCount === 0) throw notFound(`no user ${username}`);
    await this.revokeAll(username);
    this.changed(username, 'password');
    await audit(this.pool, actor, 'user', username, 'reset_password', null, { passwordChanged: true }, this.clock());
  }

  private async revokeAll(username: string): Promise<void> {
    await this.pool.query('UPDATE console_refresh_token SET revoked_at = $2::timestamptz WHERE username = $1 AND revoked_at IS NULL', [username, new Date(this.clock()).toISOString()]);
  }
}

function jwtFailure(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'access token expired; refresh it';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'access token signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the identity provider matches the token';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `access token claim "${err.claim}" is not valid: ${err.reason}`;
  if (err instanceof joseErrors.JOSEError) return `access token refused: ${err.message}`;
  return `access token refused: ${(err as Error).message}`;
}
