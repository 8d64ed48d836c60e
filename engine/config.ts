import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { defaultGroupCommitOptions, type GroupCommitOptions } from './store/group-commit.js';
import { REGIMES, type Regime } from './rules/index.js';
import { loadSubmissionSettings, type SubmissionSettings } from './submission/config.js';
import { backgroundNice } from './thread-priority.js';
import { loadPostgresSettings, type PostgresSettings } from './store/postgres-settings.js';
import { defaultConnectionLimits, type IngestConnectionLimits } from './ingest/connection-limits.js';

/** Everything `swaprep serve` can be told, from flags or environment variables (flags win). */
export interface EngineConfig {
  host: string;
  tcpPort: number;
  grpcPort: number;
  httpPort: number;
  /** DATABASE_URL; unset means an embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  /** Timeouts and keepalive of the connections to PostgreSQL, the embedded server's start limit (SWAPREP_PG_*). */
  postgres: PostgresSettings;
  maxFrameBytes: number;
  maxInflightEvents: number;
  /** FEP connections: caps, the Hello deadline, the pre-Hello frame size, idle timeout, token checks, gRPC options. */
  ingestLimits: IngestConnectionLimits;
  groupCommit: GroupCommitOptions;
  passivateAfterMs: number;
  /** `id=token,...` sources created (or re-keyed) at start. */
  seedSources: string | undefined;
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** The regime every event is judged against. */
  regime: Regime;
  /** LEI check-digit strictness: `warn` suits test data with dummy LEIs. */
  leiCheck: 'error' | 'warn' | 'off';
  /** Threads that decode and check reports before the actors judge them (engine/validation/); 0: the main thread does. */
  validationThreads: number;
  /** Anomaly scoring of durable events (gpu-pool/): on by default. */
  scoring: {
    enabled: boolean;
    workers: number;
    providers: ('cuda' | 'cpu')[];
    maxBatch: number;
    maxWaitMs: number;
    /** Retrain from the database when the newest model version is older than this (0 = never). */
    retrainEveryMs: number;
  };
  /** Reports, submission to repositories, exceptions, alerts, scheduled reports (engine/submission/config.ts). */
  submission: SubmissionSettings;
  /** The analyst console (ui/server/): API, WebSocket, authentication. */
  console: ConsoleConfig;
  /** The HTTP listener (operations endpoints and the console): TLS, security headers, /metrics access. */
  http: HttpConfig;
}

/** Roles of console users, ordered (each may do what the ones before it may). */
export type ConsoleRole = 'viewer' | 'analyst' | 'supervisor' | 'admin';
const CONSOLE_ROLES: readonly ConsoleRole[] = ['viewer', 'analyst', 'supervisor', 'admin'];

export interface ConsoleConfig {
  enabled: boolean;
  /**
   * Sets the password of user `admin` at start (created if missing), chosen by the operator; unset: a first start
   * generates one, writes it to a file only the engine's user can read, and makes admin change it at first login.
   */
  adminPassword: string | undefined;
  /** The access-token signing secret; unset: one generated once and kept in the database. */
  jwtSecret: string | undefined;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  /** How often expired refresh tokens are deleted (also once at start); spent ones stay until they expire. */
  refreshTokenPurgeS: number;
  /**
   * Login throttling (429 with Retry-After). Failures count per user *and* address: at `maxFailures` from one
   * address, that address waits `backoffS` for that user, doubled with each further failure up to `maxBackoffS`;
   * forgotten `windowS` after the last one. Other addresses (the real user's) are not affected. Besides, one
   * address may try `maxPerIp` logins per `ipWindowS`, whatever the user.
   */
  login: {
    maxFailures: number;
    backoffS: number;
    maxBackoffS: number;
    windowS: number;
    maxPerIp: number;
    ipWindowS: number;
    /** Reverse proxies whose X-Forwarded-For names the client's address (IP addresses). */
    trustedProxies: string[];
  };
  /** scrypt cost of password hashes, log2 N (17..20); older hashes with less are rehashed at their next login. */
  scryptLog2N: number;
  /** How often each WebSocket re-checks its user (disabled, role changed), in seconds. */
  wsRecheckS: number;
  maxBodyBytes: number;
  /** An external identity provider whose JWTs are accepted (verified against its JWKS). */
  oidc: OidcConfig | undefined;
}

export interface OidcConfig {
  issuer: string;
  jwksUrl: string;
  /** Required: a token of the same provider meant for another application must not open the console. */
  audience: string;
  /** The claim holding the user's roles or groups (a string or an array of strings). */
  roleClaim: string;
  /** Claim value → console role (required, not empty): a value not in it gives no role, whatever its name. */
  roleMap: Record<string, ConsoleRole>;
  usernameClaim: string;
  /** Least time between two JWKS fetches for an unknown key id (jose's cooldown). */
  jwksCooldownMs: number;
}

const LEI_CHECKS = ['error', 'warn', 'off'] as const;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

type Env = Record<string, string | undefined>;

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: "${value}" is not a non-negative integer`);
  return n;
}

/** Reads the configuration; `overrides` are command-line flags already parsed. Throws naming a bad setting. */
export function loadConfig(env: Env = process.env, overrides: Partial<Record<string, string>> = {}): EngineConfig {
  const get = (flag: string, envName: string) => overrides[flag] ?? env[envName];
  const certPath = get('tls-cert', 'SWAPREP_TLS_CERT');
  const keyPath = get('tls-key', 'SWAPREP_TLS_KEY');
  if (Boolean(certPath) !== Boolean(keyPath)) throw new Error('TLS needs both SWAPREP_TLS_CERT and SWAPREP_TLS_KEY (or --tls-cert and --tls-key)');
  const dataDir = get('data-dir', 'SWAPREP_DATA_DIR') ?? defaultDataDir();
  backgroundNice(env); // each background thread reads it from the environment it inherits; checked here to fail at start
  return {
    host: get('host', 'SWAPREP_HOST') ?? '0.0.0.0',
    tcpPort: int(get('tcp-port', 'SWAPREP_TCP_PORT'), 7400, 'SWAPREP_TCP_PORT'),
    grpcPort: int(get('grpc-port', 'SWAPREP_GRPC_PORT'), 7401, 'SWAPREP_GRPC_PORT'),
    httpPort: int(get('http-port', 'SWAPREP_HTTP_PORT'), 8080, 'SWAPREP_HTTP_PORT'),
    databaseUrl: get('database-url', 'DATABASE_URL') || undefined,
    dataDir,
    embeddedPgPort: int(get('embedded-pg-port', 'SWAPREP_EMBEDDED_PG_PORT'), 54329, 'SWAPREP_EMBEDDED_PG_PORT'),
    postgres: loadPostgresSettings(env),
    maxFrameBytes: int(get('max-frame-bytes', 'SWAPREP_MAX_FRAME_BYTES'), 4 * 1024 * 1024, 'SWAPREP_MAX_FRAME_BYTES'),
    maxInflightEvents: int(get('max-inflight-events', 'SWAPREP_MAX_INFLIGHT_EVENTS'), 100_000, 'SWAPREP_MAX_INFLIGHT_EVENTS'),
    ingestLimits: loadIngestLimits(env),
    groupCommit: {
      maxRows: int(env.SWAPREP_GROUP_COMMIT_ROWS, defaultGroupCommitOptions.maxRows, 'SWAPREP_GROUP_COMMIT_ROWS'),
      maxWaitMs: int(env.SWAPREP_GROUP_COMMIT_MS, defaultGroupCommitOptions.maxWaitMs, 'SWAPREP_GROUP_COMMIT_MS'),
      maxInFlight: int(env.SWAPREP_GROUP_COMMIT_INFLIGHT, defaultGroupCommitOptions.maxInFlight, 'SWAPREP_GROUP_COMMIT_INFLIGHT'),
      slowMs: int(env.SWAPREP_SLOW_COMMIT_MS, defaultGroupCommitOptions.slowMs, 'SWAPREP_SLOW_COMMIT_MS'),
    },
    passivateAfterMs: int(env.SWAPREP_PASSIVATE_AFTER_MS, 5 * 60_000, 'SWAPREP_PASSIVATE_AFTER_MS'),
    seedSources: get('sources', 'SWAPREP_SOURCES') || undefined,
    tls: certPath && keyPath ? { cert: readFileSync(certPath), key: readFileSync(keyPath) } : undefined,
    regime: oneOf(get('regime', 'SWAPREP_REGIME'), REGIMES, 'cftc-part45', 'SWAPREP_REGIME'),
    leiCheck: oneOf(get('lei-check', 'SWAPREP_LEI_CHECK'), LEI_CHECKS, 'error', 'SWAPREP_LEI_CHECK'),
    validationThreads: int(env.SWAPREP_VALIDATION_THREADS, defaultValidationThreads(), 'SWAPREP_VALIDATION_THREADS'),
    scoring: {
      enabled: oneOf(get('scoring', 'SWAPREP_SCORING'), ['on', 'off'] as const, 'on', 'SWAPREP_SCORING') === 'on',
      workers: int(env.SWAPREP_SCORING_WORKERS, defaultScoringWorkers(), 'SWAPREP_SCORING_WORKERS'),
      providers: parseProviders(env.SWAPREP_SCORING_PROVIDERS ?? 'cuda,cpu'),
      maxBatch: int(env.SWAPREP_SCORING_MAX_BATCH, 4096, 'SWAPREP_SCORING_MAX_BATCH'),
      maxWaitMs: int(env.SWAPREP_SCORING_MAX_WAIT_MS, 2, 'SWAPREP_SCORING_MAX_WAIT_MS'),
      retrainEveryMs: int(env.SWAPREP_RETRAIN_DAYS, 7, 'SWAPREP_RETRAIN_DAYS') * 86_400_000,
    },
    submission: loadSubmissionSettings(get, env, dataDir),
    console: loadConsoleConfig(env, get),
    http: loadHttpConfig(env, get),
  };
}

/** Limits on FEP connections before and after Hello (engine/ingest/connection-limits.ts); 0 turns off those that say so. */
function loadIngestLimits(env: Env): IngestConnectionLimits {
  const d = defaultConnectionLimits;
  const atLeast = (name: string, fallback: number, min: number, why: string) => {
    const n = int(env[name], fallback, name);
    if (n < min) throw new Error(`${name}: ${n} is below ${min} (${why})`);
    return n;
  };
  return {
    maxConnections: int(env.SWAPREP_MAX_CONNECTIONS, d.maxConnections, 'SWAPREP_MAX_CONNECTIONS'),
    maxConnectionsPerAddress: int(env.SWAPREP_MAX_CONNECTIONS_PER_ADDRESS, d.maxConnectionsPerAddress, 'SWAPREP_MAX_CONNECTIONS_PER_ADDRESS'),
    helloTimeoutMs: int(env.SWAPREP_HELLO_TIMEOUT_MS, d.helloTimeoutMs, 'SWAPREP_HELLO_TIMEOUT_MS'),
    preHelloMaxFrameBytes: atLeast('SWAPREP_PRE_HELLO_MAX_FRAME_BYTES', d.preHelloMaxFrameBytes, 1024, 'a Hello with its source id and token must fit'),
    idleTimeoutMs: int(env.SWAPREP_IDLE_TIMEOUT_MS, d.idleTimeoutMs, 'SWAPREP_IDLE_TIMEOUT_MS'),
    maxConcurrentAuth: atLeast('SWAPREP_MAX_CONCURRENT_AUTH', d.maxConcurrentAuth, 1, 'a Hello needs a token check'),
    authCacheMs: int(env.SWAPREP_AUTH_CACHE_MS, d.authCacheMs, 'SWAPREP_AUTH_CACHE_MS'),
    grpc: {
      maxConcurrentStreams: atLeast('SWAPREP_GRPC_MAX_STREAMS', d.grpc.maxConcurrentStreams, 1, 'a client needs a stream'),
      keepaliveMs: int(env.SWAPREP_GRPC_KEEPALIVE_MS, d.grpc.keepaliveMs, 'SWAPREP_GRPC_KEEPALIVE_MS'),
      keepaliveTimeoutMs: atLeast('SWAPREP_GRPC_KEEPALIVE_TIMEOUT_MS', d.grpc.keepaliveTimeoutMs, 1, 'a ping needs time to be answered'),
    },
  };
}

/** One validation thread where there is a second CPU for it; on one CPU it would only add a hop. */
function defaultValidationThreads(): number {
  return availableParallelism() > 1 ? 1 : 0;
}

/**
 * Scoring workers: the CPUs less one (the main thread's), from 1 to 4. One worker scores about 400,000 rows/s at
 * batches of 4,096 on this project's 2-core machine, far more than the engine ingests; a second one only competed
 * for the cores (a 1,000,000-line replay: 15,000 to 17,000 lines/s with two, 18,500 to 19,300 with one).
 */
function defaultScoringWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

function loadConsoleConfig(env: Env, get: (flag: string, envName: string) => string | undefined): ConsoleConfig {
  const jwtSecret = env.SWAPREP_JWT_SECRET || undefined;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) throw new Error('SWAPREP_JWT_SECRET: must be at least 32 bytes long (HS256 key)');
  const adminPassword = env.SWAPREP_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) throw new Error('SWAPREP_ADMIN_PASSWORD: must be at least 8 characters');
  const scryptLog2N = int(env.SWAPREP_SCRYPT_LOG2_N, 17, 'SWAPREP_SCRYPT_LOG2_N');
  if (scryptLog2N < 17 || scryptLog2N > 20) throw new Error(`SWAPREP_SCRYPT_LOG2_N: ${scryptLog2N} is not from 17 to 20 (N = 2^17 is the least safe cost; 2^20 takes 1 GiB per hash)`);
  const trustedProxies = (env.SWAPREP_TRUSTED_PROXIES ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  for (const p of trustedProxies) if (isIP(p) === 0) throw new Error(`SWAPREP_TRUSTED_PROXIES: "${p}" is not an IP address`);
  return {
    enabled: oneOf(get('console', 'SWAPREP_CONSOLE'), ['on', 'off'] as const, 'on', 'SWAPREP_CONSOLE') === 'on',
    adminPassword,
    jwtSecret,
    accessTokenTtlS: int(env.SWAPREP_ACCESS_TOKEN_TTL_S, 900, 'SWAPREP_ACCESS_TOKEN_TTL_S') || 900,
    refreshTokenTtlS: int(env.SWAPREP_REFRESH_TOKEN_TTL_S, 7 * 86_400, 'SWAPREP_REFRESH_TOKEN_TTL_S') || 7 * 86_400,
    refreshTokenPurgeS: int(env.SWAPREP_REFRESH_TOKEN_PURGE_S, 3600, 'SWAPREP_REFRESH_TOKEN_PURGE_S') || 3600,
    login: {
      maxFailures: int(env.SWAPREP_LOGIN_MAX_FAILURES, 5, 'SWAPREP_LOGIN_MAX_FAILURES') || 5,
      backoffS: int(env.SWAPREP_LOGIN_BACKOFF_S, 30, 'SWAPREP_LOGIN_BACKOFF_S') || 30,
      maxBackoffS: int(env.SWAPREP_LOGIN_MAX_BACKOFF_S, 900, 'SWAPREP_LOGIN_MAX_BACKOFF_S') || 900,
      windowS: int(env.SWAPREP_LOGIN_WINDOW_S, 900, 'SWAPREP_LOGIN_WINDOW_S') || 900,
      maxPerIp: int(env.SWAPREP_LOGIN_MAX_PER_IP, 30, 'SWAPREP_LOGIN_MAX_PER_IP') || 30,
      ipWindowS: int(env.SWAPREP_LOGIN_IP_WINDOW_S, 60, 'SWAPREP_LOGIN_IP_WINDOW_S') || 60,
      trustedProxies,
    },
    scryptLog2N,
    wsRecheckS: int(env.SWAPREP_WS_RECHECK_S, 30, 'SWAPREP_WS_RECHECK_S') || 30,
    maxBodyBytes: int(env.SWAPREP_API_MAX_BODY_BYTES, 1024 * 1024, 'SWAPREP_API_MAX_BODY_BYTES') || 1024 * 1024,
    oidc: loadOidcConfig(env, get),
  };
}

/**
 * An external identity provider, all or nothing: its issuer and JWKS, and, required with them, the audience
 * (else a token the provider issued to any other application would open the console) and the role map (else a
 * group that merely shares a role's name, which anyone able to create groups at the provider may make, would
 * grant that role).
 */
function loadOidcConfig(env: Env, get: (flag: string, envName: string) => string | undefined): OidcConfig | undefined {
  const issuer = get('oidc-issuer', 'SWAPREP_OIDC_ISSUER') || undefined;
  const jwksUrl = get('oidc-jwks-url', 'SWAPREP_OIDC_JWKS_URL') || undefined;
  if (Boolean(issuer) !== Boolean(jwksUrl)) throw new Error('an external identity provider needs both SWAPREP_OIDC_ISSUER and SWAPREP_OIDC_JWKS_URL');
  if (!issuer || !jwksUrl) return undefined;
  if (!/^https?:\/\//.test(jwksUrl)) throw new Error(`SWAPREP_OIDC_JWKS_URL: "${jwksUrl}" is not an http(s) URL`);
  if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) throw new Error(`SWAPREP_OIDC_ISSUER: "${issuer}" is not an http(s) URL`);
  const audience = get('oidc-audience', 'SWAPREP_OIDC_AUDIENCE') || undefined;
  if (!audience) throw new Error('SWAPREP_OIDC_AUDIENCE: required with SWAPREP_OIDC_ISSUER (the client id the provider puts in "aud" for this console)');
  const roleMap = parseRoleMap(env.SWAPREP_OIDC_ROLE_MAP ?? '');
  if (Object.keys(roleMap).length === 0) throw new Error('SWAPREP_OIDC_ROLE_MAP: required with SWAPREP_OIDC_ISSUER, as claim-value=role,... (e.g. swaprep-analysts=analyst)');
  return {
    issuer,
    jwksUrl,
    audience,
    roleClaim: env.SWAPREP_OIDC_ROLE_CLAIM || 'roles',
    roleMap,
    usernameClaim: env.SWAPREP_OIDC_USERNAME_CLAIM || 'preferred_username',
    jwksCooldownMs: int(env.SWAPREP_OIDC_JWKS_COOLDOWN_MS, 30_000, 'SWAPREP_OIDC_JWKS_COOLDOWN_MS'),
  };
}

/** The HTTP listener's own settings. */
export interface HttpConfig {
  /** PEM certificate (chain) and key files: HTTPS and WSS on the HTTP port. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Strict-Transport-Security max-age sent over TLS (seconds; 0: none). */
  hstsMaxAgeS: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

/**
 * TLS on the HTTP port has its own certificate settings, not the FEP listeners' SWAPREP_TLS_CERT/KEY: browsers
 * must trust the console's certificate (a public or company CA, the name users type), while FEP clients are a few
 * machines often pinned to a private CA; and turning on TLS for FEP must not silently move /healthz and /metrics
 * to https under the probes and scrapers that read them.
 */
function loadHttpConfig(env: Env, get: (flag: string, envName: string) => string | undefined): HttpConfig {
  const certFile = get('http-tls-cert', 'SWAPREP_HTTP_TLS_CERT') || undefined;
  const keyFile = get('http-tls-key', 'SWAPREP_HTTP_TLS_KEY') || undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('HTTPS needs both SWAPREP_HTTP_TLS_CERT and SWAPREP_HTTP_TLS_KEY');
  for (const [name, file] of [['SWAPREP_HTTP_TLS_CERT', certFile], ['SWAPREP_HTTP_TLS_KEY', keyFile]] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, fsConstants.R_OK);
    } catch (err) {
      throw new Error(`${name}: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const metricsToken = env.SWAPREP_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) throw new Error('SWAPREP_METRICS_TOKEN: must be at least 16 characters');
  return {
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    hstsMaxAgeS: int(env.SWAPREP_HSTS_MAX_AGE_S, 31_536_000, 'SWAPREP_HSTS_MAX_AGE_S'),
    metricsToken,
  };
}

/** `group=role,group2=role2` (SWAPREP_OIDC_ROLE_MAP). */
export function parseRoleMap(spec: string): Record<string, ConsoleRole> {
  const map: Record<string, ConsoleRole> = {};
  for (const pair of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.lastIndexOf('=');
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || !(CONSOLE_ROLES as readonly string[]).includes(value)) {
      throw new Error(`SWAPREP_OIDC_ROLE_MAP: "${pair}" is not claim-value=role with role one of ${CONSOLE_ROLES.join(', ')}`);
    }
    map[pair.slice(0, eq).trim()] = value as ConsoleRole;
  }
  return map;
}

function parseProviders(spec: string): ('cuda' | 'cpu')[] {
  const list = spec.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of list) if (p !== 'cuda' && p !== 'cpu') throw new Error(`SWAPREP_SCORING_PROVIDERS: "${p}" is not cuda or cpu`);
  return list as ('cuda' | 'cpu')[];
}

/** The string-valued flags of a node:util parseArgs result, as `loadConfig` overrides. */
export function stringFlags(values: object): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string') flags[k] = v;
  return flags;
}

/**
 * ~/.swaprep, or /var/lib/swaprep as root: as root the embedded PostgreSQL runs as an unprivileged user, who
 * cannot enter root's home (mode 0700 on these machines), so `npm start` failed there with nothing configured.
 */
export function defaultDataDir(uid = process.getuid?.(), home = homedir()): string {
  return uid === 0 ? '/var/lib/swaprep' : join(home, '.swaprep');
}
