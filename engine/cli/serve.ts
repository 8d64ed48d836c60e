import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { startEngine } from '../main.js';
import { log } from '../log.js';

const HELP = `usage: swaprep serve [options]

Runs the engine until SIGTERM/SIGINT, which stop accepting, make everything received durable,
acknowledge it, and exit 0.

options (each also an environment variable):
  --host H               listen address (SWAPREP_HOST, default 0.0.0.0)
  --tcp-port N           FEP over TCP (SWAPREP_TCP_PORT, default 7400)
  --grpc-port N          FEP over gRPC (SWAPREP_GRPC_PORT, default 7401)
  --http-port N          /healthz and /metrics (SWAPREP_HTTP_PORT, default 8080)
  --database-url URL     PostgreSQL (DATABASE_URL); unset: embedded PostgreSQL in the data directory
  --data-dir DIR         data directory (SWAPREP_DATA_DIR, default ~/.swaprep; /var/lib/swaprep as root)
  --embedded-pg-port N   port of the embedded PostgreSQL (SWAPREP_EMBEDDED_PG_PORT, default 54329)
  --max-frame-bytes N    largest FEP frame accepted (SWAPREP_MAX_FRAME_BYTES, default 4194304)
  --max-inflight-events N  events received but not yet durable before sockets pause (default 100000)
  --sources id=tok,...   seed FEP sources at start (SWAPREP_SOURCES)
  --regime R             rulebook regime events are judged against: cftc-part45 (default), cftc-part43, ktfc (SWAPREP_REGIME)
  --lei-check L          LEI check digits: error (default), warn, off (SWAPREP_LEI_CHECK)
  --scoring on|off       anomaly scoring of durable events (SWAPREP_SCORING, default on); SWAPREP_SCORING_WORKERS (CPUs - 1, 1 to 4),
                         SWAPREP_SCORING_PROVIDERS (cuda,cpu), SWAPREP_SCORING_MAX_BATCH (4096), SWAPREP_RETRAIN_DAYS (7)
  --tls-cert FILE --tls-key FILE   TLS for both FEP listeners (SWAPREP_TLS_CERT, SWAPREP_TLS_KEY)
  --console on|off       the analyst console's API and WebSocket on the HTTP port (SWAPREP_CONSOLE, default on);
                         SWAPREP_ADMIN_PASSWORD (sets user admin's password; unset: a one-time one in DATA_DIR/console-admin-password,
                         to be changed at first login), SWAPREP_JWT_SECRET (>= 32 bytes; default: generated once, kept in the
                         database), SWAPREP_ACCESS_TOKEN_TTL_S (900), SWAPREP_REFRESH_TOKEN_TTL_S (604800), SWAPREP_REFRESH_TOKEN_PURGE_S
                         (3600), SWAPREP_LOGIN_MAX_FAILURES (5 per user and address, then SWAPREP_LOGIN_BACKOFF_S 30 doubling to
                         SWAPREP_LOGIN_MAX_BACKOFF_S 900), SWAPREP_LOGIN_MAX_PER_IP (30 a minute), SWAPREP_TRUSTED_PROXIES,
                         SWAPREP_SCRYPT_LOG2_N (17), SWAPREP_WS_RECHECK_S (30), SWAPREP_API_MAX_BODY_BYTES (1048576)
  --http-tls-cert FILE --http-tls-key FILE   HTTPS on the HTTP port (SWAPREP_HTTP_TLS_CERT, SWAPREP_HTTP_TLS_KEY;
                         SWAPREP_HSTS_MAX_AGE_S, 31536000); SWAPREP_METRICS_TOKEN makes /metrics need a bearer token
  --oidc-issuer URL --oidc-jwks-url URL --oidc-audience AUD   accept JWTs of an external identity provider
                         (SWAPREP_OIDC_ISSUER, SWAPREP_OIDC_JWKS_URL, SWAPREP_OIDC_AUDIENCE: all required, with
                         SWAPREP_OIDC_ROLE_MAP (group=role,...); SWAPREP_OIDC_ROLE_CLAIM (roles), SWAPREP_OIDC_USERNAME_CLAIM
                         (preferred_username))
FEP connection limits: SWAPREP_HELLO_TIMEOUT_MS (10000), SWAPREP_PRE_HELLO_MAX_FRAME_BYTES (65536), SWAPREP_MAX_CONNECTIONS
(1024), SWAPREP_MAX_CONNECTIONS_PER_ADDRESS (64), SWAPREP_IDLE_TIMEOUT_MS (300000), SWAPREP_MAX_CONCURRENT_AUTH (2),
SWAPREP_AUTH_CACHE_MS (60000), SWAPREP_GRPC_MAX_STREAMS (16), SWAPREP_GRPC_KEEPALIVE_MS (60000), SWAPREP_GRPC_KEEPALIVE_TIMEOUT_MS (20000).
reports and submission (after durability; see README "Configuration"):
  --sdr name=URL[,name@regime+regime=URL]  HTTPS repositories (SWAPREP_SDR; bearer token SWAPREP_SDR_TOKEN);
                         none: submissions are generated and stay pending (/healthz says so)
  --config FILE          JSON: repositories (https, sftp), reports (regimes, part43 thresholds, deadlines),
                         intake, dispatcher, alertRules, webhooks, smtp, schedule, reportsDir (SWAPREP_CONFIG)
  --reports-dir DIR      scheduled report files (SWAPREP_REPORTS_DIR, default DATA_DIR/reports)
  --submission on|off    the whole path (SWAPREP_SUBMISSION, default on); SWAPREP_WEBHOOKS=url,... for alerts
validation threads (decode and stateless rules before the actors): SWAPREP_VALIDATION_THREADS (1 with 2+ CPUs, else 0 = main thread);
group commit tuning: SWAPREP_GROUP_COMMIT_ROWS (10000), SWAPREP_GROUP_COMMIT_MS (2), SWAPREP_GROUP_COMMIT_INFLIGHT (2);
slower commits are logged with where the time went: SWAPREP_SLOW_COMMIT_MS (250, 0 = never);
idle counterparty actors are passivated after SWAPREP_PASSIVATE_AFTER_MS (300000).
PostgreSQL connections (ms): SWAPREP_PG_STATEMENT_TIMEOUT_MS (30000, ingest and console), SWAPREP_PG_COMMIT_TIMEOUT_MS (120000),
SWAPREP_PG_LONG_STATEMENT_TIMEOUT_MS (3600000: migrations, reports, submission), SWAPREP_PG_CONNECT_TIMEOUT_MS (10000),
SWAPREP_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS (60000), SWAPREP_PG_IDLE_TIMEOUT_MS (30000), SWAPREP_PG_KEEPALIVE_MS (10000),
SWAPREP_EMBEDDED_PG_START_TIMEOUT_MS (120000).
`;

export async function run(argv: string[]): Promise<number> {
  const names = ['host', 'tcp-port', 'grpc-port', 'http-port', 'database-url', 'data-dir', 'embedded-pg-port', 'max-frame-bytes', 'max-inflight-events', 'sources', 'tls-cert', 'tls-key', 'regime', 'lei-check', 'scoring', 'console', 'http-tls-cert', 'http-tls-key', 'oidc-issuer', 'oidc-jwks-url', 'oidc-audience', 'sdr', 'config', 'reports-dir', 'submission'];
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags = stringFlags(values);
  const engine = await startEngine(loadConfig(process.env, flags));
  // Printed on stdout, one per line, so scripts (and the crash test) can read the ports.
  process.stdout.write(`swaprep listening: tcp=${engine.tcpPort} grpc=${engine.grpcPort} http=${engine.httpPort}\n`);
  log('info', `FEP TCP :${engine.tcpPort}, FEP gRPC :${engine.grpcPort}, HTTP :${engine.httpPort} (GET /healthz, /metrics)`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log('info', `${signal} received`);
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  await engine.stop();
  return 0;
}
