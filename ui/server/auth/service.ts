/**
 * Console authentication: local users (scrypt passwords), short-lived HS256 access tokens (jose), rotating
 * refresh tokens stored hashed, login throttling, and optionally JWTs of an external identity provider verified
 * against its JWKS (jose's createRemoteJWKSet caches the keys and refetches on an unknown key id).
 *
 * Every request re-reads the user (cached for a second or two), so disabling a user or changing a role takes
 * effect at once, not when the access token expires.
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
import { DUMMY_HASH, generatePassword, hashPassword, verifyPassword } from './passwords.js';
import { SlidingWindowLimiter } from './rate-limit.js';

export const ISSUER = 'swaprep';
export const AUDIENCE = 'swaprep-console';

export interface AuthUser extends Me {}

const unauthorized = (message: string) => new ApiError('unauthorized', message);

interface UserRow {
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

function userItem(r: UserRow): UserItem {
  return { username: r.username, role: r.role, disabled: r.disabled, createdAt: r.created_at.toISOString(), lastLoginAt: r.last_login_at ? r.last_login_at.toISOString() : null };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class AuthService {
  private key!: Uint8Array;
  private readonly userLimiter: SlidingWindowLimiter;
  private readonly ipLimiter: SlidingWindowLimiter;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly userCache = new Map<string, { at: number; row: UserRow | undefined }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: ConsoleConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.userLimiter = new SlidingWindowLimiter(config.login.maxFailuresPerUser, config.login.userWindowS * 1000, clock);
    this.ipLimiter = new SlidingWindowLimiter(config.login.maxPerIp, config.login.ipWindowS * 1000, clock);
    this.jwks = config.oidc ? createRemoteJWKSet(new URL(config.oidc.jwksUrl), { cooldownDuration: config.oidc.jwksCooldownMs, timeoutDuration: 5000 }) : undefined;
  }

  /** Loads (or creates once) the signing key and makes sure user `admin` exists. Returns a one-time password when it made one. */
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
      const hash = await hashPassword(given);
      await this.pool.query(
        `INSERT INTO console_user (username, password_hash, role) VALUES ('admin', $1, 'admin')
         ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, disabled = false, role = 'admin'`, [hash]);
      return {};
    }
    const password = generatePassword();
    const res = await this.pool.query(`INSERT INTO console_user (username, password_hash, role) VALUES ('admin', $1, 'admin') ON CONFLICT (username) DO NOTHING`, [await hashPassword(password)]);
    if (res.rowCount === 0) return {};
    await audit(this.pool, 'system', 'user', 'admin', 'create', null, { role: 'admin' }, this.clock());
    return { adminPassword: password };
  }

  // -- login, refresh, logout --------------------------------------------------------------------------------

  async login(username: string, password: string, ip: string): Promise<TokenResponse> {
    const userKey = `u:${username.toLowerCase()}`;
    const wait = Math.max(this.ipLimiter.retryAfterS(`ip:${ip}`), this.userLimiter.retryAfterS(userKey));
    if (wait > 0) {
      throw new ApiError('too_many_requests', `too many login attempts; try again in ${wait} s`, undefined, { retryAfter: wait }, { 'retry-after': String(wait) });
    }
    this.ipLimiter.record(`ip:${ip}`);
    const row = await this.readUser(username, false);
    // Compare against a dummy hash for unknown users: the answer takes as long either way.
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok || row.disabled) {
      this.userLimiter.record(userKey);
      throw unauthorized('wrong username or password, or the user is disabled');
    }
    this.userLimiter.reset(userKey);
    await this.pool.query('UPDATE console_user SET last_login_at = $2::timestamptz WHERE username = $1', [row.username, new Date(this.clock()).toISOString()]);
    return this.issue(row, randomBytes(12).toString('base64url'));
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
      user: { username: user.username, role: user.role, source: 'local' },
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
    return { user: { username: row.username, role: row.role, source: 'local' }, expiresAtMs: (payload.exp ?? 0) * 1000 };
  }

  private async authenticateExternal(token: string, oidc: OidcConfig): Promise<{ user: AuthUser; expiresAtMs: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks!, {
        issuer: oidc.issuer, ...(oidc.audience ? { audience: oidc.audience } : {}), currentDate: new Date(this.clock()),
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      }));
    } catch (err) {
      throw unauthorized(`token of ${oidc.issuer}: ${jwtFailure(err)}`);
    }
    const name = payload[oidc.usernameClaim] ?? payload.sub;
    if (typeof name !== 'string' || name === '') throw unauthorized(`token of ${oidc.issuer} has no ${oidc.usernameClaim} or sub claim`);
    const claim = payload[oidc.roleClaim];
    const values = Array.isArray(claim) ? claim.filter((c): c is string => typeof c === 'string') : typeof claim === 'string' ? [claim] : [];
    const mapped = values.map((c) => (Object.keys(oidc.roleMap).length > 0 ? oidc.roleMap[c] : (ROLES as readonly string[]).includes(c) ? (c as Role) : undefined));
    const role = ROLES.filter((r) => mapped.includes(r)).pop();
    if (!role) throw new ApiError('forbidden', `token of ${oidc.issuer} for ${name} carries no console role in claim "${oidc.roleClaim}"`);
    return { user: { username: name, role, source: 'external' }, expiresAtMs: (payload.exp ?? 0) * 1000 };
  }

  private async readUser(username: string, cached: boolean, db: pg.ClientBase | pg.Pool = this.pool): Promise<UserRow | undefined> {
    const now = this.clock();
    const hit = this.userCache.get(username);
    if (cached && hit && now - hit.at < 2000) return hit.row;
    const { rows } = await db.query<UserRow>('SELECT username, password_hash, role, disabled, created_at, last_login_at FROM console_user WHERE username = $1', [username]);
    if (this.userCache.size > 1000) this.userCache.clear();
    this.userCache.set(username, { at: now, row: rows[0] });
    return rows[0];
  }

  // -- user administration (admin) ----------------------------------------------------------------------------

  async listUsers(): Promise<UserItem[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT username, password_hash, role, disabled, created_at, last_login_at FROM console_user ORDER BY username');
    return rows.map(userItem);
  }

  async createUser(actor: string, username: string, password: string, role: Role): Promise<UserItem> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO console_user (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4::timestamptz) ON CONFLICT (username) DO NOTHING
       RETURNING username, password_hash, role, disabled, created_at, last_login_at`,
      [username, await hashPassword(password), role, new Date(this.clock()).toISOString()]);
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
       RETURNING username, password_hash, role, disabled, created_at, last_login_at`, [username, change.role ?? null, change.disabled ?? null]);
    const after = rows[0]!;
    if (after.disabled) await this.revokeAll(username);
    this.userCache.delete(username);
    await audit(this.pool, actor, 'user', username, 'update', { role: before.role, disabled: before.disabled }, { role: after.role, disabled: after.disabled }, this.clock());
    return userItem(after);
  }

  async resetPassword(actor: string, username: string, password: string): Promise<void> {
    const res = await this.pool.query('UPDATE console_user SET password_hash = $2 WHERE username = $1', [username, await hashPassword(password)]);
    if (res.rowCount === 0) throw notFound(`no user ${username}`);
    await this.revokeAll(username);
    this.userCache.delete(username);
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
