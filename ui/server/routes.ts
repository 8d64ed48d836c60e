/**
 * Every console endpoint: its path, minimum role (from the contract's ENDPOINT_ROLES, so the table the browser
 * sees is the one enforced), input validation and handler.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { TemplatedApp } from 'uws-pack';
import * as v from 'valibot';
import { stringify as losslessStringify } from 'lossless-json';
import { CorrectionError, CorrectionService } from '../../engine/exceptions/corrections.js';
import { auditTrail } from '../../engine/exceptions/audit.js';
import { AlertService } from '../../engine/alerts/service.js';
import { parseJsonLossless, reportFromJson, reportToJson } from '../../engine/record/json.js';
import { ELEMENTS } from '../../engine/rules/elements.js';
import { REGIMES } from '../../engine/rules/index.js';
import { DatabaseRegistry } from '../../gpu-pool/registry.js';
import { audit } from '../../engine/exceptions/audit.js';
import { log } from '../../engine/log.js';
import { PLAIN_HTTP_HEADERS, type SecurityHeaders } from '../../engine/http/security-headers.js';
import {
  ENDPOINT_ROLES, TRADE_STATUSES, type ApproveCorrectionResponse, type CorrectionDetail, type DataElementItem, type ElementsResponse, type Endpoint,
  type ExceptionDetail, type ModelItem, type SearchResponse,
} from '../api/contract.js';
import type { AuthService, AuthUser } from './auth/service.js';
import type { ConsoleDeps } from './deps.js';
import type { DataVersion } from './data-version.js';
import { ApiError, badRequest, conflict, forbidden, installRoute, notFound, roleAtLeast, writeError, type RawRequest, type Reply } from './http.js';
import type { LiveState } from './live.js';
import { parseQuery as parseSearch, QueryError } from './query/parse.js';
import { SearchCache } from './query/cache.js';
import { tradeDetail } from './queries/detail.js';
import {
  assignExceptions, closeExceptions, correctionsOf, decideReview, getExceptionItem, listAlerts, listAudit, listCorrections, listEvents, listExceptions,
  listReports, listReview, listSubmissions, reportFile,
} from './queries/lists.js';
import { filterOfQuery, listTrades } from './queries/trades.js';
import { CORRECTION_COLUMNS, toAlertItem, toCorrectionItem, type RawCorrection } from './queries/rows.js';
import { id, pageQuery, parseBody, parseQuery, parseTime, pathId, role, str } from './validate.js';

export interface RouteContext {
  deps: ConsoleDeps;
  auth: AuthService;
  live: LiveState;
  version: DataVersion;
  /** The HTTP server's security headers (default: plain HTTP's). */
  headers?: SecurityHeaders | undefined;
}

/** What a user whose password the engine made may still do (besides POST /auth/logout and /auth/refresh). */
const ALLOWED_BEFORE_PASSWORD_CHANGE: ReadonlySet<Endpoint> = new Set<Endpoint>(['POST /api/me/password']);

type Handler = (req: RawRequest, user: AuthUser) => Promise<Reply>;

const DEFAULT_LIMIT = 50;
const ok = (body: unknown, status?: string): Reply => (status ? { body, status } : { body });
/** Replies carrying records: decimals written exactly (lossless-json), as the record holds them. */
const exact = (body: unknown): Reply => ({ raw: { type: 'application/json', bytes: losslessStringify(body) ?? 'null' } });

export function installConsoleRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { deps, auth, live, version } = ctx;
  const pool = deps.pool;
  const clock = deps.clock ?? Date.now;
  const corrections = deps.corrections ?? new CorrectionService(pool, clock);
  const alerts = deps.alerts ?? new AlertService(pool, [], clock);
  const cache = new SearchCache<SearchResponse>(500);
  const maxBody = deps.config.maxBodyBytes;
  const headers = ctx.headers ?? PLAIN_HTTP_HEADERS;
  const password = v.pipe(v.string(), v.minLength(12, 'must be at least 12 characters'), v.maxLength(1024, 'must be at most 1024 characters'));

  /** Installs an endpoint behind authentication and its role from ENDPOINT_ROLES. */
  const api = (endpoint: Endpoint, handler: Handler, opts: { tokenInQuery?: boolean } = {}) => {
    const [method, pattern] = endpoint.split(' ') as [string, string];
    const need = ENDPOINT_ROLES[endpoint];
    const m = method === 'GET' ? 'get' : method === 'POST' ? 'post' : method === 'PATCH' ? 'patch' : 'del';
    installRoute(app, m, pattern, { body: m !== 'get', maxBodyBytes: maxBody, headers }, async (req) => {
      const header = req.headers.authorization;
      let token = /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : '';
      if (!token && opts.tokenInQuery) {
        token = req.query.get('access_token') ?? '';
        req.query.delete('access_token');
      }
      if (!token && header) throw new ApiError('unauthorized', 'Authorization header must be "Bearer <token>"');
      const { user } = await auth.authenticate(token);
      if (user.mustChangePassword && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(endpoint)) {
        throw new ApiError('password_change_required', `the password of ${user.username} was generated by the engine: change it first (POST /api/me/password)`);
      }
      if (need !== null && !roleAtLeast(user.role, need)) throw forbidden(`${endpoint} needs role ${need}; ${user.username} is ${user.role}`);
      const out = await handler(req, user);
      if (m !== 'get') version.bump(); // every write may change what lists show
      return out;
    });
  };

  // -- auth -------------------------------------------------------------------------------------------------
  const authBody = { body: true, maxBodyBytes: 64 * 1024, headers };
  installRoute(app, 'post', '/auth/token', authBody, async (req) => {
    const b = parseBody(req, v.strictObject({ username: str(64), password: v.pipe(v.string(), v.maxLength(1024)) }));
    return ok(await auth.login(b.username, b.password, auth.clientAddress(req.ip, req.headers.forwardedFor)));
  });
  installRoute(app, 'post', '/auth/refresh', authBody, async (req) => {
    const b = parseBody(req, v.strictObject({ refreshToken: str(512) }));
    return ok(await auth.refresh(b.refreshToken));
  });
  installRoute(app, 'post', '/auth/logout', authBody, async (req) => {
    const b = parseBody(req, v.strictObject({ refreshToken: str(512) }));
    await auth.logout(b.refreshToken);
    return ok({ ok: true });
  });
  api('GET /api/me', async (req, user) => {
    parseQuery(req, v.strictObject({}));
    return ok(user);
  });
  api('POST /api/me/password', async (req, user) => {
    const b = parseBody(req, v.strictObject({ currentPassword: v.pipe(v.string(), v.maxLength(1024)), newPassword: password }));
    return ok(await auth.changeOwnPassword(user, b.currentPassword, b.newPassword, auth.clientAddress(req.ip, req.headers.forwardedFor)));
  });

  // -- dashboard, trades, events, search --------------------------------------------------------------------
  api('GET /api/dashboard', async (req) => {
    parseQuery(req, v.strictObject({}));
    return ok(await live.snapshot());
  });

  const tradeQuery = v.strictObject({
    ...pageQuery, uti: v.optional(str()), cp: v.optional(str()), product: v.optional(str()),
    status: v.optional(v.picklist(TRADE_STATUSES as unknown as string[])), since: v.optional(str(40)), until: v.optional(str(40)),
  });
  api('GET /api/trades', async (req) => {
    const q = parseQuery(req, tradeQuery);
    return ok(await listTrades(pool, {
      uti: q.uti, cp: q.cp, product: q.product, status: q.status as never,
      since: q.since ? parseTime(q.since, 'since') : undefined, until: q.until ? parseTime(q.until, 'until') : undefined,
    }, q.limit ?? DEFAULT_LIMIT, q.cursor));
  });
  api('GET /api/trades/:tradeKey', async (req) => {
    const q = parseQuery(req, v.strictObject({ cp: v.optional(str()) }));
    return exact(await tradeDetail(pool, req.params[0]!, q.cp));
  });
  api('GET /api/events', async (req) => {
    const q = parseQuery(req, v.strictObject({
      ...pageQuery, uti: v.optional(str()), source: v.optional(str()), status: v.optional(v.picklist(['accepted', 'accepted_with_warnings', 'rejected'])),
      since: v.optional(str(40)), until: v.optional(str(40)),
    }));
    return ok(await listEvents(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT, sinceDate: q.since ? parseTime(q.since, 'since') : undefined, untilDate: q.until ? parseTime(q.until, 'until') : undefined }));
  });
  api('GET /api/search', async (req) => {
    const q = parseQuery(req, v.strictObject({ ...pageQuery, q: v.optional(v.pipe(v.string(), v.maxLength(2000))) }));
    let parsed;
    try {
      parsed = parseSearch(q.q ?? '');
    } catch (err) {
      if (err instanceof QueryError) throw new ApiError('bad_request', err.message, 'q', { token: err.token, at: err.at });
      throw err;
    }
    const limit = q.limit ?? DEFAULT_LIMIT;
    const key = `${parsed.canonical}\u0000${limit}\u0000${q.cursor ?? ''}`;
    const dataVersion = version.value;
    const hit = cache.get(key, dataVersion);
    if (hit) return ok({ ...hit, cached: true } satisfies SearchResponse);
    const page = await listTrades(pool, filterOfQuery(parsed), limit, q.cursor);
    const res: SearchResponse = { query: parsed, page, cached: false, dataVersion };
    cache.set(key, dataVersion, res);
    return ok(res);
  });

  // -- exceptions ---------------------------------------------------------------------------------------------
  api('GET /api/exceptions', async (req) => {
    const q = parseQuery(req, v.strictObject({
      ...pageQuery, status: v.optional(v.picklist(['open', 'correcting', 'closed', 'active'])), kind: v.optional(v.picklist(['nack', 'validation', 'undeliverable'])),
      assignee: v.optional(str(64)), regime: v.optional(str(40)), tradeKey: v.optional(str()),
    }));
    return ok(await listExceptions(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });
  api('GET /api/exceptions/:id', async (req) => {
    parseQuery(req, v.strictObject({}));
    const excId = pathId(req.params[0]!);
    const exception = await getExceptionItem(pool, excId);
    const { rows } = await pool.query<{ record: Record<string, unknown> | null }>('SELECT record FROM exception WHERE id = $1', [excId]);
    const original = await corrections.originalReport(excId).catch(() => undefined);
    const detail: ExceptionDetail = {
      exception, record: rows[0]?.record ?? null, original: original ? reportToJson(original) : null,
      corrections: await correctionsOf(pool, excId), audit: await auditTrail(pool, 'exception', excId),
    };
    return exact(detail);
  });
  api('POST /api/exceptions/:id/assign', async (req, user) => {
    const excId = pathId(req.params[0]!);
    const b = parseBody(req, v.strictObject({ assignee: v.nullable(str(64)) }));
    const r = await assignExceptions(pool, user.username, [excId], b.assignee, clock());
    if (r.skipped.length > 0) throw r.skipped[0]!.reason === 'no such exception' ? notFound(`no exception ${excId}`) : conflict(`exception ${excId}: ${r.skipped[0]!.reason}`);
    return ok(await getExceptionItem(pool, excId));
  });
  api('POST /api/exceptions/bulk', async (req, user) => {
    const ids = v.pipe(v.array(id), v.minLength(1, 'must list at least one id'), v.maxLength(500, 'at most 500 ids'));
    const b = parseBody(req, v.variant('action', [
      v.strictObject({ action: v.literal('assign'), ids, assignee: v.nullable(str(64)) }),
      v.strictObject({ action: v.literal('close'), ids, reason: str(2000) }),
    ]));
    return ok(b.action === 'assign'
      ? await assignExceptions(pool, user.username, b.ids, b.assignee, clock())
      : await closeExceptions(pool, user.username, b.ids, b.reason, clock()));
  });

  // -- review queue -------------------------------------------------------------------------------------------
  api('GET /api/review', async (req) => {
    const q = parseQuery(req, v.strictObject({ ...pageQuery, state: v.optional(v.picklist(['open', 'confirmed', 'dismissed'])) }));
    return ok(await listReview(pool, { state: q.state ?? 'open', limit: q.limit ?? DEFAULT_LIMIT, cursor: q.cursor }));
  });
  api('POST /api/review/decisions', async (req, user) => {
    const b = parseBody(req, v.strictObject({
      sourceId: str(200), seq: v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be positive')),
      verdict: v.picklist(['confirmed', 'dismissed']), reason: str(2000),
    }));
    return ok(await decideReview(pool, user.username, b, clock()));
  });

  // -- corrections --------------------------------------------------------------------------------------------
  api('GET /api/corrections', async (req) => {
    const q = parseQuery(req, v.strictObject({
      ...pageQuery, status: v.optional(v.picklist(['pending_approval', 'approved', 'rejected', 'sent', 'acked', 'nacked'])),
      exceptionId: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, 'must be a numeric id'), v.transform(Number))), maker: v.optional(str(64)),
    }));
    return ok(await listCorrections(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });
  api('GET /api/corrections/:id', async (req) => {
    parseQuery(req, v.strictObject({}));
    const cid = pathId(req.params[0]!);
    const { rows } = await pool.query<RawCorrection & { record: unknown; regime: string | null }>(
      `SELECT ${CORRECTION_COLUMNS.split(', ').map((c) => 'c.' + c).join(', ')}, c.record::text AS record, e.regime FROM correction c JOIN exception e ON e.id = c.exception_id WHERE c.id = $1`, [cid]);
    if (!rows[0]) throw notFound(`no correction ${cid}`);
    // Through the record codec, as ExceptionDetail.original: lossless parsing alone would hand every number back
    // quoted (its marks are not read by losslessStringify), and a quoted integer does not decode in the editor.
    const decoded = reportFromJson(parseJsonLossless(String(rows[0].record)));
    const record = decoded.ok ? reportToJson(decoded.report) : (parseJsonLossless(String(rows[0].record)) as Record<string, unknown>);
    const detail: CorrectionDetail = { ...toCorrectionItem(rows[0]), record, regime: rows[0].regime };
    return exact(detail);
  });
  api('POST /api/corrections', async (req, user) => {
    const b = parseBody(req, v.strictObject({
      exceptionId: id, actionType: v.picklist(['CORR', 'EROR', 'REVI', 'NEWT']),
      record: v.pipe(v.record(v.string(), v.unknown()), v.check((r) => !Array.isArray(r), 'must be a JSON object')), reason: v.optional(v.pipe(v.string(), v.maxLength(2000))),
    }));
    // The record again, parsed losslessly: decimals keep the exact digits the analyst typed.
    const exactRecord = (parseJsonLossless(req.body!.toString('utf8')) as { record: unknown }).record;
    const decoded = reportFromJson(exactRecord);
    if (!decoded.ok) {
      const first = decoded.issues[0]!;
      throw badRequest(`record${first.path ? '.' + first.path : ''}: ${first.message}${decoded.issues.length > 1 ? ` (and ${decoded.issues.length - 1} more)` : ''}`, `record${first.path ? '.' + first.path : ''}`);
    }
    try {
      const c = await corrections.propose({ exceptionId: b.exceptionId, maker: user.username, actionType: b.actionType, report: decoded.report, ...(b.reason !== undefined ? { reason: b.reason } : {}) });
      return ok(c, '201 Created');
    } catch (err) {
      throw correctionError(err);
    }
  });
  const pendingCorrection = async (cid: number, user: AuthUser) => {
    const c = await corrections.get(cid);
    if (!c) throw notFound(`no correction ${cid}`);
    if (c.maker === user.username) throw forbidden(`correction ${cid} was made by ${user.username}; another person must approve or return it (four eyes)`);
    return c;
  };
  api('POST /api/corrections/:id/approve', async (req, user) => {
    const cid = pathId(req.params[0]!);
    parseBody(req, v.strictObject({}));
    await pendingCorrection(cid, user);
    try {
      // The approval commits with its outbox entry: from here the event is owed even if sending it now fails (the
      // engine's outbox sweep sends it), so a failure to send answers "approved, queued", not an error.
      const approved = await corrections.approve({ correctionId: cid, checker: user.username });
      let sent = false;
      if (deps.sendCorrection) {
        try {
          await deps.sendCorrection(approved);
          sent = true;
        } catch (err) {
          log('warn', `console: correction ${cid} approved, its event not sent now (the outbox sweep sends it): ${(err as Error).message}`);
        }
      }
      return ok({ correction: approved.correction, sent } satisfies ApproveCorrectionResponse);
    } catch (err) {
      throw correctionError(err);
    }
  });
  api('POST /api/corrections/:id/return', async (req, user) => {
    const cid = pathId(req.params[0]!);
    const b = parseBody(req, v.strictObject({ reason: str(2000) }));
    await pendingCorrection(cid, user);
    try {
      return ok(await corrections.reject({ correctionId: cid, checker: user.username, reason: b.reason }));
    } catch (err) {
      throw correctionError(err);
    }
  });
  api('GET /api/elements', async (req) => {
    const q = parseQuery(req, v.strictObject({ regime: v.optional(v.picklist(REGIMES as unknown as string[])) }));
    const elements: DataElementItem[] = ELEMENTS.map((e) => ({
      de: e.de, label: e.label, paths: [...e.paths], format: { ...e.format } as DataElementItem['format'], p45: e.p45, p43: e.p43, requiredInItem: e.requiredInItem ?? false,
    }));
    return ok({ regime: (q.regime ?? deps.regime) as ElementsResponse['regime'], leiCheck: deps.leiCheck ?? 'error', elements } satisfies ElementsResponse);
  });

  // -- reports, submissions, alerts, sources, models ---------------------------------------------------------
  api('GET /api/reports', async (req) => {
    const q = parseQuery(req, v.strictObject({ ...pageQuery, kind: v.optional(str(64)) }));
    return ok(await listReports(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });
  api('GET /api/reports/:id/download', async (req) => {
    parseQuery(req, v.strictObject({}));
    const f = await reportFile(pool, pathId(req.params[0]!));
    const path = isAbsolute(f.path) ? f.path : resolve(deps.reportsDir ?? '.', f.path);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      throw notFound(`report file ${basename(f.path)} is no longer on disk`);
    }
    const type = f.format === 'csv' ? 'text/csv; charset=utf-8' : f.format === 'json' || f.format === 'jsonl' ? 'application/json' : 'application/octet-stream';
    return { raw: { type, bytes, headers: { 'content-disposition': `attachment; filename="${basename(f.path).replace(/"/g, '')}"` } } };
  }, { tokenInQuery: true });
  api('GET /api/submissions', async (req) => {
    const q = parseQuery(req, v.strictObject({
      ...pageQuery, status: v.optional(v.picklist(['pending', 'sent', 'acked', 'nacked', 'failed'])), regime: v.optional(str(40)),
      repository: v.optional(str(100)), tradeKey: v.optional(str()),
    }));
    return ok(await listSubmissions(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });
  api('GET /api/alerts', async (req) => {
    const q = parseQuery(req, v.strictObject({ ...pageQuery, status: v.optional(v.picklist(['open', 'acknowledged', 'resolved', 'active'])) }));
    return ok(await listAlerts(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });
  api('POST /api/alerts/:id/acknowledge', async (req, user) => {
    const aid = pathId(req.params[0]!);
    parseBody(req, v.strictObject({}));
    const a = await alerts.acknowledge(aid, user.username);
    if (a) return ok(toAlertItem({ id: String(a.id), rule: a.rule, dedup_key: a.dedupKey, severity: a.severity, title: a.title, detail: a.detail, status: a.status, first_at: new Date(a.firstAt), last_at: new Date(a.lastAt), occurrences: a.occurrences, acknowledged_by: a.acknowledgedBy, acknowledged_at: a.acknowledgedAt ? new Date(a.acknowledgedAt) : null }));
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM alert WHERE id = $1', [aid]);
    throw rows[0] ? conflict(`alert ${aid} is ${rows[0].status}, not open`) : notFound(`no alert ${aid}`);
  });
  api('GET /api/sources', async (req) => {
    parseQuery(req, v.strictObject({}));
    return ok(await live.sources());
  });
  api('GET /api/models', async (req) => {
    parseQuery(req, v.strictObject({}));
    const { rows } = await pool.query<{ version_id: string; created_at: Date; features_version: number; source: string; active: boolean; activated_at: Date | null; metrics: Record<string, unknown> }>(
      'SELECT version_id, created_at, features_version, source, active, activated_at, metrics FROM model_version ORDER BY created_at DESC');
    return ok({ items: rows.map(modelItem) });
  });
  api('POST /api/models/:versionId/activate', async (req, user) => {
    const vid = req.params[0]!;
    parseBody(req, v.strictObject({}));
    const { rows: before } = await pool.query<{ version_id: string }>('SELECT version_id FROM model_version WHERE active');
    const { rows: exists } = await pool.query('SELECT 1 FROM model_version WHERE version_id = $1', [vid]);
    if (exists.length === 0) throw notFound(`no model version ${vid}`);
    await new DatabaseRegistry(pool).activate(vid);
    await audit(pool, user.username, 'model_version', vid, 'activate', { active: before[0]?.version_id ?? null }, { active: vid }, clock());
    const { rows } = await pool.query<Parameters<typeof modelItem>[0]>(
      'SELECT version_id, created_at, features_version, source, active, activated_at, metrics FROM model_version WHERE version_id = $1', [vid]);
    return ok(modelItem(rows[0]!));
  });

  // -- users and audit ----------------------------------------------------------------------------------------
  const username = v.pipe(v.string(), v.regex(/^[a-z0-9._-]{2,64}$/, 'must be 2 to 64 of a-z 0-9 . _ -'));
  api('GET /api/users', async (req) => {
    parseQuery(req, v.strictObject({}));
    return ok({ items: await auth.listUsers() });
  });
  api('POST /api/users', async (req, user) => {
    const b = parseBody(req, v.strictObject({ username, password, role }));
    return ok(await auth.createUser(user.username, b.username, b.password, b.role), '201 Created');
  });
  api('PATCH /api/users/:username', async (req, user) => {
    const b = parseBody(req, v.strictObject({ role: v.optional(role), disabled: v.optional(v.boolean()) }));
    if (b.role === undefined && b.disabled === undefined) throw badRequest('send role and/or disabled');
    return ok(await auth.updateUser(user.username, req.params[0]!, b));
  });
  api('POST /api/users/:username/password', async (req, user) => {
    const b = parseBody(req, v.strictObject({ password }));
    await auth.resetPassword(user.username, req.params[0]!, b.password);
    return ok({ ok: true });
  });
  api('GET /api/audit', async (req) => {
    const q = parseQuery(req, v.strictObject({ ...pageQuery, entity: v.optional(str(64)), entityId: v.optional(str()), actor: v.optional(str(64)) }));
    return ok(await listAudit(pool, { ...q, limit: q.limit ?? DEFAULT_LIMIT }));
  });

  // Anything else under /api or /auth: a JSON 404 rather than the engine's text one (or the UI's index.html).
  for (const prefix of ['/api/*', '/auth/*']) {
    app.any(prefix, (res, req) => {
      writeError(res, notFound(`no endpoint ${req.getMethod().toUpperCase()} ${req.getUrl()}`), headers);
    });
  }
}

function modelItem(r: { version_id: string; created_at: Date; features_version: number; source: string; active: boolean; activated_at: Date | null; metrics: Record<string, unknown> }): ModelItem {
  return {
    versionId: r.version_id, createdAt: r.created_at.toISOString(), featuresVersion: r.features_version, source: r.source, active: r.active,
    activatedAt: r.activated_at ? r.activated_at.toISOString() : null, metrics: r.metrics,
  };
}

/** The correction service's refusals as API errors: missing → 404, four eyes → 403, wrong state → 409. */
function correctionError(err: unknown): unknown {
  if (!(err instanceof CorrectionError)) return err;
  if (/^no (correction|exception) /.test(err.message)) return notFound(err.message);
  if (/another person/.test(err.message)) return forbidden(err.message);
  return conflict(err.message);
}
