/**
 * Configuration of the submission path for `swaprep serve`: defaults that just run (reports are built and
 * kept pending when no repository is configured), a JSON file for everything (`SWAPREP_CONFIG` /
 * `--config`), and short environment forms for the common settings, which win over the file:
 *
 *   SWAPREP_SDR=name=https://host:port[,name2@cftc-part43=http://127.0.0.1:...]   HTTPS repositories (JSON batches)
 *   SWAPREP_SDR_TOKEN=T          bearer token for the SWAPREP_SDR repositories
 *   SWAPREP_SDR_CA_FILE, SWAPREP_SDR_CERT_FILE + SWAPREP_SDR_KEY_FILE, SWAPREP_SDR_MAX_RESPONSE_BYTES   their TLS and cap
 *   SWAPREP_WEBHOOKS=url[,url]   alert webhooks (HTTP POST JSON)
 *   SWAPREP_REPORTS_DIR=DIR      scheduled report files (default DATA_DIR/reports)
 *   SWAPREP_SUBMISSION=on|off    the whole path (default on)
 *
 * Every error names the setting (and for the file, the JSON path) and what was expected.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import ssh2 from 'ssh2';
import { DEFAULT_ALERT_RULES } from '../alerts/monitor.js';
import { DEFAULT_ALERT_SERVICE } from '../alerts/service.js';
import type { SmtpConfig } from '../alerts/notifiers.js';
import { DEFAULT_REPORTS_CONFIG, REPORT_REGIMES, type ReportRegime, type ReportsConfig } from '../reports/index.js';
import { REPORT_KINDS, type ReportKind } from '../scheduled/kinds.js';
import type { ScheduledReport } from '../scheduled/scheduler.js';
import { DEFAULT_DISPATCHER } from './dispatcher.js';
import { DEFAULT_INTAKE } from './intake.js';
import { DEFAULT_SUBMISSION_PATH, type SubmissionPathConfig } from './path.js';
import { DEFAULT_RETRY } from './retry.js';
import { insecureUrlReason } from './channels/https.js';
import { HostKeyPinError, parseHostKeyPin } from './channels/host-key.js';
import type { HttpsRepositoryConfig, RepositoryConfig } from './types.js';

/** The largest repository answer read by default (an HTTPS response body, an SFTP response file): 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface SubmissionSettings {
  enabled: boolean;
  path: SubmissionPathConfig;
}

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

class Where {
  constructor(readonly label: string) {}
  at(key: string | number): Where {
    return new Where(typeof key === 'number' ? `${this.label}[${key}]` : `${this.label}.${key}`);
  }
  fail(expected: string, got: unknown): never {
    throw new Error(`${this.label}: expected ${expected}, got ${JSON.stringify(got)}`);
  }
}

function obj(v: unknown, w: Where): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) w.fail('an object', v);
  return v as Json;
}
function str(v: unknown, w: Where): string {
  if (typeof v !== 'string' || v === '') w.fail('a non-empty string', v);
  return v as string;
}
function num(v: unknown, w: Where): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) w.fail('a non-negative number', v);
  return v as number;
}
function bool(v: unknown, w: Where): boolean {
  if (typeof v !== 'boolean') w.fail('true or false', v);
  return v as boolean;
}
function list<T>(v: unknown, w: Where, item: (x: unknown, w: Where) => T): T[] {
  if (!Array.isArray(v)) w.fail('an array', v);
  return (v as unknown[]).map((x, i) => item(x, w.at(i)));
}
function regime(v: unknown, w: Where): ReportRegime {
  if (!REPORT_REGIMES.includes(v as ReportRegime)) w.fail(`one of ${REPORT_REGIMES.join(', ')}`, v);
  return v as ReportRegime;
}
/** Only the keys listed; an unknown key is a typo the operator should hear about. */
function known(o: Json, w: Where, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${w.at(k).label}: unknown setting (known: ${keys.join(', ')})`);
}
/** A partial object of numbers over defaults (intake, dispatcher, alert rules...). */
function numbers<T extends object>(v: unknown, w: Where, defaults: T): T {
  const o = obj(v, w);
  known(o, w, Object.keys(defaults));
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    const d = (defaults as Record<string, unknown>)[k];
    out[k] = typeof d === 'object' && d !== null ? numbers(x, w.at(k), d) : num(x, w.at(k));
  }
  return out as T;
}

function repository(v: unknown, w: Where, regimes: readonly ReportRegime[]): RepositoryConfig {
  const o = obj(v, w);
  known(o, w, ['name', 'regimes', 'format', 'channel', 'maxBatch', 'concurrency']);
  const ch = obj(o.channel, w.at('channel'));
  const cw = w.at('channel');
  let channel: RepositoryConfig['channel'];
  const timeoutMs = ch.timeoutMs === undefined ? 30_000 : num(ch.timeoutMs, cw.at('timeoutMs'));
  const maxResponseBytes = ch.maxResponseBytes === undefined ? DEFAULT_MAX_RESPONSE_BYTES : positive(ch.maxResponseBytes, cw.at('maxResponseBytes'));
  if (ch.kind === 'https') {
    known(ch, cw, ['kind', 'url', 'token', 'timeoutMs', 'caFile', 'certFile', 'keyFile', 'maxResponseBytes']);
    channel = {
      kind: 'https', url: repositoryUrl(ch.url, cw.at('url')), timeoutMs, maxResponseBytes,
      ...tlsFiles({
        ...(ch.caFile !== undefined ? { ca: str(ch.caFile, cw.at('caFile')) } : {}),
        ...(ch.certFile !== undefined ? { cert: str(ch.certFile, cw.at('certFile')) } : {}),
        ...(ch.keyFile !== undefined ? { key: str(ch.keyFile, cw.at('keyFile')) } : {}),
      }, { ca: cw.at('caFile'), cert: cw.at('certFile'), key: cw.at('keyFile') }),
    };
    if (ch.token !== undefined) channel.token = str(ch.token, cw.at('token'));
  } else if (ch.kind === 'sftp') {
    known(ch, cw, ['kind', 'host', 'port', 'username', 'password', 'privateKeyFile', 'hostKey', 'inbox', 'outbox', 'timeoutMs', 'maxResponseBytes']);
    channel = {
      kind: 'sftp', host: str(ch.host, cw.at('host')), port: ch.port === undefined ? 22 : num(ch.port, cw.at('port')),
      username: str(ch.username, cw.at('username')), hostKeys: hostKeys(ch.hostKey, cw.at('hostKey')),
      inbox: ch.inbox === undefined ? 'inbox' : str(ch.inbox, cw.at('inbox')), outbox: ch.outbox === undefined ? 'outbox' : str(ch.outbox, cw.at('outbox')),
      timeoutMs, maxResponseBytes,
    };
    if (ch.password !== undefined) channel.password = str(ch.password, cw.at('password'));
    if (ch.privateKeyFile !== undefined) channel.privateKey = privateKey(str(ch.privateKeyFile, cw.at('privateKeyFile')), cw.at('privateKeyFile'));
    if (channel.password === undefined && channel.privateKey === undefined) throw new Error(`${cw.label}: give a password or a privateKeyFile to log in with`);
  } else {
    return cw.at('kind').fail('"https" or "sftp"', ch.kind);
  }
  const format: unknown = o.format === undefined ? (channel.kind === 'sftp' ? 'csv' : 'json') : o.format;
  if (format !== 'json' && format !== 'csv') return w.at('format').fail('"json" or "csv"', format);
  if (channel.kind === 'https' && format !== 'json') w.at('format').fail('"json" (HTTPS batches carry JSON records)', format);
  const maxBatch = o.maxBatch === undefined ? 10_000 : num(o.maxBatch, w.at('maxBatch'));
  if (maxBatch < 1 || maxBatch > 10_000) w.at('maxBatch').fail('1 to 10000 (a repository takes at most 10,000 records per file or request)', maxBatch);
  return {
    name: str(o.name, w.at('name')),
    regimes: o.regimes === undefined ? [...regimes] : list(o.regimes, w.at('regimes'), regime),
    format,
    channel,
    maxBatch,
    concurrency: o.concurrency === undefined ? 2 : Math.max(1, num(o.concurrency, w.at('concurrency'))),
  };
}

function positive(v: unknown, w: Where): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) w.fail('a whole number of at least 1', v);
  return v as number;
}

/** A repository's URL: https:, or http: to a loopback address only (the batches and the token travel in clear). */
function repositoryUrl(v: unknown, w: Where): string {
  const s = url(v, w);
  const reason = insecureUrlReason(new URL(s));
  if (reason) w.fail(`an https: URL (${reason})`, s);
  return s;
}

function readText(path: string, w: Where): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${w.label}: cannot read ${path}: ${(err as Error).message}`);
  }
}

interface TlsFileSettings {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * The TLS files of an HTTPS repository, read and checked now so that a wrong path or a mismatched key stops the
 * start with the setting's name rather than failing every batch later: ca (PEM certificates trusted instead of the
 * system's), cert and key (the client certificate and its unencrypted key, for mutual TLS: both or neither).
 * `at` names each setting in the messages (a JSON path or an environment variable).
 */
function tlsFiles(files: TlsFileSettings, at: Record<keyof TlsFileSettings, Where>): Pick<HttpsRepositoryConfig, 'ca' | 'cert' | 'key'> {
  const out: Pick<HttpsRepositoryConfig, 'ca' | 'cert' | 'key'> = {};
  if (files.ca !== undefined) {
    const ca = readText(files.ca, at.ca);
    const blocks = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) at.ca.fail('a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)', files.ca);
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch (err) {
        at.ca.fail(`PEM certificates that can be read (${(err as Error).message})`, files.ca);
      }
    }
    out.ca = ca;
  }
  if (files.cert === undefined && files.key !== undefined) at.cert.fail(`the client certificate that goes with ${at.key.label}`, undefined);
  if (files.key === undefined && files.cert !== undefined) at.key.fail(`the key of the client certificate ${at.cert.label}`, undefined);
  if (files.cert !== undefined && files.key !== undefined) {
    const cert = readText(files.cert, at.cert);
    const key = readText(files.key, at.key);
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      at.cert.fail(`a PEM client certificate whose unencrypted key is ${at.key.label} (${(err as Error).message})`, files.cert);
    }
    out.cert = cert;
    out.key = key;
  }
  return out;
}

/** The SFTP host key pins: one string or several (a key being rotated), each checked now. */
function hostKeys(v: unknown, w: Where): string[] {
  if (v === undefined) {
    w.fail('the repository\'s host key pinned: its SHA256:... fingerprint (ssh-keygen -lf) or a known_hosts line (ssh-keyscan); an SFTP repository is never used unpinned', v);
  }
  const pins = typeof v === 'string' ? [v] : list(v, w, str);
  if (pins.length === 0) w.fail('at least one host key', v);
  pins.forEach((p, i) => {
    try {
      parseHostKeyPin(p);
    } catch (err) {
      if (!(err instanceof HostKeyPinError)) throw err;
      throw new Error(`${(typeof v === 'string' ? w : w.at(i)).label}: ${err.message}`);
    }
  });
  return pins;
}

/** An SSH private key file (OpenSSH or PEM, unencrypted), checked with ssh2's own parser. */
function privateKey(path: string, w: Where): string {
  const text = readText(path, w);
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error) w.fail(`an unencrypted private key that ssh2 can read (${parsed.message})`, path);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) w.fail('a private key (this file holds a public key)', path);
  return text;
}

function url(v: unknown, w: Where): string {
  const s = str(v, w);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return w.fail('a URL such as https://sdr.example:8443/', s);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') w.fail('an https: (or http: for a local simulator) URL', s);
  return s;
}

function smtp(v: unknown, w: Where): SmtpConfig {
  const o = obj(v, w);
  known(o, w, ['host', 'port', 'secure', 'user', 'password', 'from', 'to', 'timeoutMs']);
  const out: SmtpConfig = {
    host: str(o.host, w.at('host')), port: o.port === undefined ? 25 : num(o.port, w.at('port')), secure: o.secure === undefined ? false : bool(o.secure, w.at('secure')),
    from: str(o.from, w.at('from')), to: list(o.to, w.at('to'), str),
  };
  if (o.user !== undefined) out.user = str(o.user, w.at('user'));
  if (o.password !== undefined) out.password = str(o.password, w.at('password'));
  if (o.timeoutMs !== undefined) out.timeoutMs = num(o.timeoutMs, w.at('timeoutMs'));
  return out;
}

function schedule(v: unknown, w: Where): ScheduledReport {
  const o = obj(v, w);
  known(o, w, ['kind', 'at', 'dayOffset', 'deliverTo', 'deliverDir']);
  if (!REPORT_KINDS.includes(o.kind as ReportKind)) w.at('kind').fail(`one of ${REPORT_KINDS.join(', ')}`, o.kind);
  const at = str(o.at, w.at('at'));
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(at)) w.at('at').fail('a UTC time HH:MM', at);
  const out: ScheduledReport = { kind: o.kind as ReportKind, at };
  if (o.dayOffset !== undefined) out.dayOffset = num(o.dayOffset, w.at('dayOffset'));
  // Delivery through a configured repository's channel (checked against the repositories once they are known).
  if (o.deliverTo !== undefined) out.deliverTo = str(o.deliverTo, w.at('deliverTo'));
  if (o.deliverDir !== undefined) out.deliverDir = str(o.deliverDir, w.at('deliverDir'));
  return out;
}

/** reports: regimes, and part43 / deadlines as partial objects over the defaults (thresholds are data, not checked further). */
function reports(v: unknown, w: Where): ReportsConfig {
  const o = obj(v, w);
  known(o, w, ['regimes', 'part43', 'deadlines']);
  return {
    regimes: o.regimes === undefined ? DEFAULT_REPORTS_CONFIG.regimes : list(o.regimes, w.at('regimes'), regime),
    part43: o.part43 === undefined ? DEFAULT_REPORTS_CONFIG.part43 : { ...DEFAULT_REPORTS_CONFIG.part43, ...obj(o.part43, w.at('part43')) },
    deadlines: o.deadlines === undefined ? DEFAULT_REPORTS_CONFIG.deadlines : { ...DEFAULT_REPORTS_CONFIG.deadlines, ...obj(o.deadlines, w.at('deadlines')) },
  };
}

/** Reads a SubmissionPathConfig (any subset of its keys) from JSON over the defaults. */
export function parseSubmissionFile(text: string, label: string, dataDir: string): SubmissionPathConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${label}: not JSON: ${(err as Error).message}`);
  }
  const w = new Where(label);
  const o = obj(raw, w);
  known(o, w, ['reports', 'repositories', 'intake', 'dispatcher', 'alertRules', 'alertDelivery', 'webhooks', 'smtp', 'schedule', 'reportsDir']);
  const base = defaultSubmissionPath(dataDir);
  const reportsConfig = o.reports === undefined ? base.reports : reports(o.reports, w.at('reports'));
  const repositories = o.repositories === undefined ? [] : list(o.repositories, w.at('repositories'), (x, wx) => repository(x, wx, reportsConfig.regimes));
  checkRepositories(repositories, label);
  const scheduled = o.schedule === undefined ? base.schedule : list(o.schedule, w.at('schedule'), schedule);
  checkDeliveryTargets(scheduled, repositories, (i) => w.at('schedule').at(i).at('deliverTo').label);
  return {
    reports: reportsConfig,
    repositories,
    intake: o.intake === undefined ? base.intake : numbers(o.intake, w.at('intake'), DEFAULT_INTAKE),
    dispatcher: o.dispatcher === undefined ? base.dispatcher : numbers(o.dispatcher, w.at('dispatcher'), { ...DEFAULT_DISPATCHER, retry: DEFAULT_RETRY }),
    alertRules: o.alertRules === undefined ? base.alertRules : numbers(o.alertRules, w.at('alertRules'), DEFAULT_ALERT_RULES),
    alertDelivery: o.alertDelivery === undefined ? base.alertDelivery : numbers(o.alertDelivery, w.at('alertDelivery'), DEFAULT_ALERT_SERVICE),
    webhooks: o.webhooks === undefined ? [] : list(o.webhooks, w.at('webhooks'), url),
    smtp: o.smtp === undefined ? undefined : smtp(o.smtp, w.at('smtp')),
    schedule: scheduled,
    reportsDir: o.reportsDir === undefined ? base.reportsDir : str(o.reportsDir, w.at('reportsDir')),
  };
}

/**
 * `name=URL[,name@regime+regime=URL...]`: HTTPS repositories taking JSON batches of 10,000. An entry without
 * `@regimes` takes every reported regime; two repositories may not take the same regime.
 */
export function parseSdrSpec(spec: string, regimes: readonly ReportRegime[], token?: string, env: Env = {}): RepositoryConfig[] {
  const tls = tlsFiles({
    ...(env.SWAPREP_SDR_CA_FILE ? { ca: env.SWAPREP_SDR_CA_FILE } : {}),
    ...(env.SWAPREP_SDR_CERT_FILE ? { cert: env.SWAPREP_SDR_CERT_FILE } : {}),
    ...(env.SWAPREP_SDR_KEY_FILE ? { key: env.SWAPREP_SDR_KEY_FILE } : {}),
  }, { ca: new Where('SWAPREP_SDR_CA_FILE'), cert: new Where('SWAPREP_SDR_CERT_FILE'), key: new Where('SWAPREP_SDR_KEY_FILE') });
  const cap = env.SWAPREP_SDR_MAX_RESPONSE_BYTES;
  const maxResponseBytes = cap ? positive(/^\d+$/.test(cap) ? Number(cap) : cap, new Where('SWAPREP_SDR_MAX_RESPONSE_BYTES')) : DEFAULT_MAX_RESPONSE_BYTES;
  const out = spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry): RepositoryConfig => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`SWAPREP_SDR: entry "${entry}" is not of the form name=https://host:port (or name@cftc-part45+cftc-part43=URL)`);
    const [name, regimeList] = entry.slice(0, eq).split('@') as [string, string | undefined];
    const w = new Where(`SWAPREP_SDR entry "${entry}"`);
    if (!name) w.fail('a repository name before "="', entry);
    const rs = regimeList === undefined ? [...regimes] : regimeList.split('+').map((r) => regime(r, w));
    return {
      name, regimes: rs, format: 'json', maxBatch: 10_000, concurrency: 2,
      channel: { kind: 'https', url: repositoryUrl(entry.slice(eq + 1), w), timeoutMs: 30_000, maxResponseBytes, ...tls, ...(token ? { token } : {}) },
    };
  });
  checkRepositories(out, 'SWAPREP_SDR');
  return out;
}

/** A schedule entry's deliverTo must name a configured repository (its channel carries the file). */
function checkDeliveryTargets(entries: readonly ScheduledReport[], repos: readonly RepositoryConfig[], labelOf: (i: number) => string): void {
  entries.forEach((e, i) => {
    if (e.deliverTo !== undefined && !repos.some((r) => r.name === e.deliverTo)) {
      throw new Error(`${labelOf(i)}: "${e.deliverTo}" is not a configured repository (${repos.map((r) => r.name).join(', ') || 'none configured'})`);
    }
  });
}

function checkRepositories(repos: readonly RepositoryConfig[], label: string): void {
  const names = new Set<string>();
  const taken = new Map<ReportRegime, string>();
  for (const r of repos) {
    if (names.has(r.name)) throw new Error(`${label}: two repositories are named "${r.name}"`);
    names.add(r.name);
    for (const g of r.regimes) {
      const other = taken.get(g);
      if (other) throw new Error(`${label}: ${g} goes to both "${other}" and "${r.name}"; give each repository its regimes (name@${g}=URL)`);
      taken.set(g, r.name);
    }
  }
}

export function defaultSubmissionPath(dataDir: string): SubmissionPathConfig {
  return { ...DEFAULT_SUBMISSION_PATH, reportsDir: join(dataDir, 'reports') };
}

/** The submission settings of `serve`: defaults, then the JSON file, then the short environment forms. */
export function loadSubmissionSettings(get: (flag: string, envName: string) => string | undefined, env: Env, dataDir: string): SubmissionSettings {
  const enabled = get('submission', 'SWAPREP_SUBMISSION') ?? 'on';
  if (enabled !== 'on' && enabled !== 'off') throw new Error(`SWAPREP_SUBMISSION: "${enabled}" is not one of on, off`);
  const file = get('config', 'SWAPREP_CONFIG');
  let path = defaultSubmissionPath(dataDir);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`SWAPREP_CONFIG: cannot read ${file}: ${(err as Error).message}`);
    }
    path = parseSubmissionFile(text, `SWAPREP_CONFIG ${file}`, dataDir);
  }
  const sdr = get('sdr', 'SWAPREP_SDR');
  if (sdr) {
    path = { ...path, repositories: parseSdrSpec(sdr, path.reports.regimes, env.SWAPREP_SDR_TOKEN, env) };
    checkDeliveryTargets(path.schedule, path.repositories, (i) => `SWAPREP_SDR (replacing the repositories that schedule[${i}].deliverTo names)`);
  }
  if (env.SWAPREP_WEBHOOKS) path = { ...path, webhooks: env.SWAPREP_WEBHOOKS.split(',').map((s) => s.trim()).filter(Boolean).map((u) => url(u, new Where('SWAPREP_WEBHOOKS'))) };
  const dir = get('reports-dir', 'SWAPREP_REPORTS_DIR');
  if (dir) path = { ...path, reportsDir: dir };
  return { enabled: enabled === 'on', path };
}
