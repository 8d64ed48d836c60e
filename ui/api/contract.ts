/**
 * The console's API contract: every request and response shape shared by the server (ui/server/) and the
 * browser (ui/web/). Types and a few constants only, no imports, so both sides (Node and the esbuild bundle)
 * can use it as it is.
 *
 * Conventions
 * - JSON in and out (`content-type: application/json`), UTF-8. Times are ISO-8601 UTC strings. Decimals that
 *   must stay exact (notionals) are strings. Ids of bigserial rows are numbers.
 * - Auth: `Authorization: Bearer <accessToken>` on every /api request. The WebSocket takes the token as
 *   `/ws?access_token=<token>` or as the subprotocol pair `Sec-WebSocket-Protocol: swaprep.v1, bearer.<token>`.
 *   A report download may also use `?access_token=` (a plain link cannot set a header).
 * - Errors: a 4xx/5xx status with `ApiErrorBody`. `field` names the offending field or query parameter.
 * - Lists: keyset pagination. `limit` (1..200, default 50) and an opaque `cursor` taken from the previous
 *   page's `nextCursor` (null on the last page). Cursors are not meant to be built by clients.
 * - Request bodies are validated strictly: unknown fields, wrong types and bodies over 1 MiB are refused (400,
 *   400, 413). A body must be sent with `content-type: application/json` (else 415).
 */

// ---------------------------------------------------------------------------------------------------------------
// Roles and errors

export const ROLES = ['viewer', 'analyst', 'supervisor', 'admin'] as const;
/** Ordered: each role may do everything the roles before it may. */
export type Role = (typeof ROLES)[number];

export type ApiErrorCode =
  | 'bad_request' // malformed JSON, unknown field, wrong type, bad query parameter (field says which)
  | 'unauthorized' // missing, expired, forged or revoked token; wrong username or password
  | 'forbidden' // authenticated, but the role is too low (or maker = checker)
  | 'not_found'
  | 'conflict' // the entity is not in a state that allows the action (e.g. correction not pending)
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests' // login rate limit; the response has a Retry-After header (seconds)
  | 'password_change_required' // 403: the user's password was made by the engine; only POST /api/me/password (and logout) until changed
  | 'unavailable' // a part of the engine this needs is not running (e.g. scoring off)
  | 'internal';

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null when this is the last one. */
  nextCursor: string | null;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** The minimum role of every endpoint ("METHOD path"; `:x` = path parameter). Kept in step with ui/server/routes.ts. */
export const ENDPOINT_ROLES = {
  'POST /auth/token': null,
  'POST /auth/refresh': null,
  'POST /auth/logout': null,
  'GET /api/me': 'viewer',
  'POST /api/me/password': 'viewer',
  'GET /api/dashboard': 'viewer',
  'GET /api/trades': 'viewer',
  'GET /api/trades/:tradeKey': 'viewer',
  'GET /api/events': 'viewer',
  'GET /api/search': 'viewer',
  'GET /api/exceptions': 'viewer',
  'GET /api/exceptions/:id': 'viewer',
  'POST /api/exceptions/:id/assign': 'analyst',
  'POST /api/exceptions/bulk': 'analyst',
  'GET /api/review': 'viewer',
  'POST /api/review/decisions': 'analyst',
  'GET /api/corrections': 'viewer',
  'GET /api/corrections/:id': 'viewer',
  'POST /api/corrections': 'analyst',
  'POST /api/corrections/:id/approve': 'supervisor',
  'POST /api/corrections/:id/return': 'supervisor',
  'GET /api/elements': 'viewer',
  'GET /api/reports': 'viewer',
  'GET /api/reports/:id/download': 'viewer',
  'GET /api/submissions': 'viewer',
  'GET /api/alerts': 'viewer',
  'POST /api/alerts/:id/acknowledge': 'analyst',
  'GET /api/sources': 'viewer',
  'GET /api/models': 'viewer',
  'POST /api/models/:versionId/activate': 'admin',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'PATCH /api/users/:username': 'admin',
  'POST /api/users/:username/password': 'admin',
  'GET /api/audit': 'supervisor',
  'WS /ws': 'viewer',
} as const satisfies Record<string, Role | null>;

export type Endpoint = keyof typeof ENDPOINT_ROLES;

// ---------------------------------------------------------------------------------------------------------------
// Auth: POST /auth/token, POST /auth/refresh, POST /auth/logout, GET /api/me, POST /api/me/password

export interface TokenRequest {
  username: string;
  password: string;
}

export interface RefreshRequest {
  refreshToken: string;
}

/** POST /auth/logout revokes this refresh token (and its rotation family). Answer: `OkResponse`. */
export interface LogoutRequest {
  refreshToken: string;
}

export interface TokenResponse {
  tokenType: 'Bearer';
  accessToken: string;
  /** Seconds until the access token expires (e.g. 900). */
  expiresIn: number;
  /** Single use: each refresh returns a new one and invalidates this one (reuse revokes the family). */
  refreshToken: string;
  refreshExpiresIn: number;
  user: Me;
}

export interface Me {
  /** A local user's name, or `oidc:<issuer host>:<name>` for a user of the identity provider. */
  username: string;
  role: Role;
  /** 'local' users log in with a password; 'external' ones come with a token from the configured identity provider. */
  source: 'local' | 'external';
  /**
   * Present (true) when the password was generated by the engine (the first admin's): every endpoint but
   * POST /api/me/password answers 403 password_change_required, and the WebSocket refuses, until it is changed.
   */
  mustChangePassword?: true;
}

/** POST /api/me/password: a local user changes their own password. Answer: a new login (`TokenResponse`); every other session of the user ends. */
export interface ChangePasswordRequest {
  currentPassword: string;
  /** 12 to 1024 characters, not the current one. */
  newPassword: string;
}

export interface OkResponse {
  ok: true;
}

// ---------------------------------------------------------------------------------------------------------------
// Dashboard: GET /api/dashboard, and WS topic "dashboard" (pushed about once a second)

export interface DashboardSnapshot {
  at: string;
  ingest: {
    /** Events received per second over the last interval (new and resent). */
    receivedPerSecond: number;
    /** Events committed per second over the last interval. */
    storedPerSecond: number;
    receivedTotal: number;
    storedTotal: number;
    rejectedTotal: number;
  };
  /** Time from starting a group commit to COMMIT (what an ack waits for), estimated from the histogram. */
  ackLatencyMs: { p50: number | null; p99: number | null; mean: number | null };
  queues: {
    inflightEvents: number;
    storeQueueRows: number;
    submissionsPending: number;
    submissionsSent: number;
    reviewOpen: number;
    exceptionsOpen: number;
    correctionsPending: number;
  };
  pool: {
    /** The database connection pool. */
    dbTotal: number;
    dbIdle: number;
    dbWaiting: number;
    fepConnections: number;
    pausedConnections: number;
    counterpartyActors: number;
  };
  /** Findings counted by the running engine since it started. */
  findingsByRule: { rule: string; severity: 'error' | 'warning'; count: number }[];
  /** Repository responses in the last hour. */
  nack: { windowMinutes: number; acked: number; nacked: number; rate: number | null };
  /** Submissions not yet acknowledged whose deadline is within the next hour or past. */
  deadlines: { atRisk: number; missed: number; next: { submissionId: string; tradeKey: string | null; dueAt: string }[] };
  /** Bumped whenever stored data changes (group commits, submissions, decisions): caches key on it. */
  dataVersion: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Trades and events: GET /api/trades, GET /api/events, GET /api/search, GET /api/trades/:tradeKey

/**
 * Trade status filter values. A lifecycle state (live, errored, terminated), the status of the trade's latest
 * event (accepted, accepted_with_warnings, rejected), or a submission status the trade has at least one
 * submission in (pending, sent, acked, nacked, failed).
 */
export const TRADE_STATUSES = ['live', 'errored', 'terminated', 'accepted', 'accepted_with_warnings', 'rejected', 'pending', 'sent', 'acked', 'nacked', 'failed'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

/** GET /api/trades query parameters (all optional, combined with AND). */
export interface TradeQuery extends PageQuery {
  uti?: string; // exact trade key (UTI, or "USI:<usi>")
  cp?: string; // counterparty 1 (LEI), exact or prefix (a trailing "*" or "…" means prefix)
  product?: string; // UPI or asset class (e.g. "InterestRate")
  status?: TradeStatus;
  since?: string; // execution date/time, inclusive (YYYY-MM-DD or ISO timestamp)
  until?: string; // execution date/time, exclusive
}

export interface TradeRow {
  tradeKey: string;
  counterparty1: string;
  counterparty2: string | null;
  product: string | null;
  assetClass: string | null;
  /** Leg 1 notional as exact decimal text. */
  notional: string | null;
  notionalCurrency: string | null;
  /** Current version; null when no event of the trade was ever accepted. */
  version: number | null;
  lifecycle: 'live' | 'errored' | 'terminated' | null;
  lastStatus: 'accepted' | 'accepted_with_warnings' | 'rejected';
  actionType: string | null;
  executionAt: string | null;
  /** When the trade's latest event was received. */
  lastEventAt: string;
  sourceId: string;
  seq: number;
  events: number;
}

/** GET /api/events query parameters. */
export interface EventQuery extends PageQuery {
  uti?: string;
  source?: string;
  status?: 'accepted' | 'accepted_with_warnings' | 'rejected';
  since?: string; // received at, inclusive
  until?: string; // received at, exclusive
}

export interface EventRow {
  sourceId: string;
  seq: number;
  receivedAt: string;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  eventTimestamp: string | null;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  version: number | null;
  lifecycle: 'live' | 'errored' | 'terminated' | null;
}

/** GET /api/search?q=...&limit=&cursor= : the query language. */
export type QueryField = 'status' | 'cp' | 'uti' | 'product' | 'since' | 'until' | 'notional' | 'source';
export type QueryOp = ':' | '>' | '>=' | '<' | '<=' | '=';

export interface QueryTerm {
  field: QueryField;
  op: QueryOp;
  /** The value as written (quotes removed). */
  value: string;
  /** Where the term starts in q (0-based) and its text, for highlighting. */
  at: number;
  text: string;
}

/** The parsed form of q, as the server understood it. A bare word is a UTI (exact) or a counterparty prefix. */
export interface ParsedQuery {
  terms: QueryTerm[];
  /** The canonical text of the query (terms re-joined), useful as a cache and URL key. */
  canonical: string;
}

/** A query that does not parse answers 400 with error.field = "q" and error.token = the bad token. */
export interface QueryErrorBody extends ApiErrorBody {
  error: ApiErrorBody['error'] & { token: string; at: number };
}

export interface SearchResponse {
  query: ParsedQuery;
  page: Page<TradeRow>;
  /** True when this page came from the server's cache (data unchanged since it was computed). */
  cached: boolean;
  dataVersion: number;
}

/** One path that differs between consecutive versions of a trade. before/after are JSON values (absent = null). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface TradeEvent {
  sourceId: string;
  seq: number;
  receivedAt: string;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  version: number | null;
  lifecycle: 'live' | 'errored' | 'terminated' | null;
  actionType: string | null;
  eventType: string | null;
  eventTimestamp: string | null;
  /** The record as flat DRR-shaped JSON (engine/record/json.ts). */
  record: Record<string, unknown>;
  /** Differences from the previous accepted version (for a rejected event: from the version it was judged against). */
  changes: FieldChange[];
}

export interface FindingItem {
  sourceId: string;
  seq: number;
  rule: string;
  element: string;
  path: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface TopFeature {
  feature: string;
  value: number;
  contribution: number;
}

export interface ScoreItem {
  sourceId: string;
  seq: number;
  status: 'scored' | 'not_scored';
  versionId: string | null;
  score: number | null;
  flagged: boolean | null;
  models: { iforest: number | null; autoencoder: number | null; zscore: number | null };
  scoredAt: string;
  /** From the review queue when the event was flagged. */
  topFeatures: TopFeature[] | null;
  reviewState: 'open' | 'confirmed' | 'dismissed' | null;
}

export interface SubmissionResponseItem {
  id: number;
  batchId: string | null;
  receivedAt: string;
  outcome: 'ACK' | 'NACK';
  codes: { code: string; message: string }[];
  duplicate: boolean;
}

export type SubmissionStatus = 'pending' | 'sent' | 'acked' | 'nacked' | 'failed';

export interface SubmissionItem {
  id: string;
  regime: 'cftc-part45' | 'cftc-part43' | 'ktfc';
  repository: string;
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  format: 'json' | 'csv';
  status: SubmissionStatus;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  settledAt: string | null;
  dueAt: string;
  deadlineState: 'open' | 'warned' | 'missed';
  lastError: string | null;
  correctionId: number | null;
}

export interface SubmissionDetail extends SubmissionItem {
  payload: string;
  responses: SubmissionResponseItem[];
}

export interface TradeDetail {
  /** Null when the trade has only events the projection has not reached yet. */
  trade: TradeRow | null;
  /** Every event of the trade, oldest first (versions and rejected events). */
  events: TradeEvent[];
  findings: FindingItem[];
  scores: ScoreItem[];
  submissions: SubmissionDetail[];
  exceptions: ExceptionItem[];
  corrections: CorrectionItem[];
}

/** GET /api/trades/:tradeKey?cp=<counterparty1>: cp is needed only when two reporting counterparties use the same key (else 409 lists them). */
export interface TradeDetailQuery {
  cp?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Exceptions

export type ExceptionKind = 'nack' | 'validation' | 'undeliverable';
export type ExceptionStatus = 'open' | 'correcting' | 'closed';

export interface ExceptionQuery extends PageQuery {
  status?: ExceptionStatus | 'active'; // active = open or correcting
  kind?: ExceptionKind;
  /** A username, or "none" for unassigned. */
  assignee?: string;
  regime?: string;
  tradeKey?: string;
}

export interface ExceptionItem {
  id: number;
  kind: ExceptionKind;
  status: ExceptionStatus;
  regime: string | null;
  repository: string | null;
  submissionId: string | null;
  sourceId: string | null;
  seq: number | null;
  tradeKey: string | null;
  counterparty1: string | null;
  actionType: string | null;
  /** NACK codes ({code,message}) or validation findings ({rule,element,path,severity,message}). */
  codes: unknown[];
  assignee: string | null;
  openedAt: string;
  closedAt: string | null;
  closedReason: string | null;
}

export interface AuditItem {
  id: number;
  at: string;
  actor: string;
  entity: string;
  entityId: string;
  action: string;
  before: unknown;
  after: unknown;
}

export interface ExceptionDetail {
  exception: ExceptionItem;
  /** The record as submitted (flat JSON), the starting point of a correction. */
  record: Record<string, unknown> | null;
  /** The original event's record decoded from the event log, when there is one. */
  original: Record<string, unknown> | null;
  corrections: CorrectionItem[];
  audit: AuditItem[];
}

/** POST /api/exceptions/:id/assign. null unassigns. Answer: ExceptionItem. */
export interface AssignRequest {
  assignee: string | null;
}

/** POST /api/exceptions/bulk (at most 500 ids). */
export type BulkExceptionRequest =
  | { action: 'assign'; ids: number[]; assignee: string | null }
  | { action: 'close'; ids: number[]; reason: string };

export interface BulkExceptionResponse {
  updated: number[];
  skipped: { id: number; reason: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Review queue: GET /api/review, POST /api/review/decisions

export interface ReviewQuery extends PageQuery {
  state?: 'open' | 'confirmed' | 'dismissed'; // default open
}

export interface ReviewItem {
  sourceId: string;
  seq: number;
  tradeKey: string | null;
  versionId: string;
  score: number;
  topFeatures: TopFeature[];
  state: 'open' | 'confirmed' | 'dismissed';
  createdAt: string;
  decidedAt: string | null;
}

/** The decision becomes a training label (review_label) and closes the item. Answer: ReviewItem. */
export interface ReviewDecisionRequest {
  sourceId: string;
  seq: number;
  verdict: 'confirmed' | 'dismissed';
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Corrections (maker-checker): GET/POST /api/corrections, approve, return; GET /api/elements

export type CorrectionAction = 'CORR' | 'EROR' | 'REVI' | 'NEWT';
export type CorrectionStatus = 'pending_approval' | 'approved' | 'rejected' | 'sent' | 'acked' | 'nacked';

export interface CorrectionQuery extends PageQuery {
  status?: CorrectionStatus;
  exceptionId?: number;
  maker?: string;
}

export interface CorrectionItem {
  id: number;
  exceptionId: number;
  actionType: CorrectionAction;
  status: CorrectionStatus;
  maker: string;
  checker: string | null;
  reason: string | null;
  tradeKey: string | null;
  createdAt: string;
  decidedAt: string | null;
  submissionId: string | null;
}

export interface CorrectionDetail extends CorrectionItem {
  record: Record<string, unknown>;
  /** The exception's regime (null: the engine's default regime), for validating the record. */
  regime: string | null;
}

/** POST /api/corrections: the maker is the logged-in user. `record` is flat DRR-shaped JSON. Answer: CorrectionItem (201). */
export interface CreateCorrectionRequest {
  exceptionId: number;
  actionType: CorrectionAction;
  record: Record<string, unknown>;
  reason?: string;
}

/**
 * POST /api/corrections/:id/approve (supervisor; never the maker: 403). Body `{}`. The approved record is sent
 * into the engine (as any FEP event) when the engine has a correction source configured.
 */
export interface ApproveCorrectionResponse {
  correction: CorrectionItem;
  /** Whether the record was handed to the engine now (false: it waits for the correction sender). */
  sent: boolean;
}

/** POST /api/corrections/:id/return (supervisor): back to the maker, the exception opens again. Answer: CorrectionItem. */
export interface ReturnCorrectionRequest {
  reason: string;
}

/** One row of the data-element table (engine/rules/elements.ts), for generating the correction form. */
export interface DataElementItem {
  /** CFTC data element number, or 'TR' / 'X' / 'NR'. */
  de: number | 'TR' | 'X' | 'NR';
  label: string;
  paths: string[];
  format: { kind: string } & Record<string, unknown>;
  p45: 'M' | 'O' | '-';
  p43: 'M' | 'O' | 'no';
  requiredInItem: boolean;
}

export interface ElementsResponse {
  regime: 'cftc-part45' | 'cftc-part43' | 'ktfc';
  /** The engine's LEI check-digit strictness (SWAPREP_LEI_CHECK), for the browser's validation. */
  leiCheck: 'error' | 'warn' | 'off';
  elements: DataElementItem[];
}

// ---------------------------------------------------------------------------------------------------------------
// Reports, submissions, alerts, sources, models

export interface ReportQuery extends PageQuery {
  kind?: string;
}

export interface ReportFileItem {
  id: number;
  kind: string;
  reportDate: string; // YYYY-MM-DD
  format: string;
  rows: number;
  bytes: number;
  sha256: string;
  createdAt: string;
  createdBy: string;
  /** GET this (with the bearer header, or ?access_token=) for the file itself. */
  downloadUrl: string;
}

export interface SubmissionQuery extends PageQuery {
  status?: SubmissionStatus;
  regime?: string;
  repository?: string;
  tradeKey?: string;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertQuery extends PageQuery {
  status?: AlertStatus | 'active'; // default active = open or acknowledged
}

export interface AlertItem {
  id: number;
  rule: string;
  dedupKey: string;
  severity: AlertSeverity;
  title: string;
  detail: Record<string, unknown>;
  status: AlertStatus;
  firstAt: string;
  lastAt: string;
  occurrences: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/** POST /api/alerts/:id/acknowledge, body `{}`. Answer: AlertItem; 409 when it is not open. */

export interface SourceItem {
  sourceId: string;
  createdAt: string;
  connected: boolean;
  /** Events received per second over the last few seconds (this engine process). */
  eventsPerSecond: number;
  lastAdmittedSeq: number | null;
  /** The highest seq acknowledged to the source (durable). */
  lastAckedSeq: number;
  lastAckAt: string | null;
  /** Events admitted and not yet durable. */
  pending: number;
}

export interface ModelItem {
  versionId: string;
  createdAt: string;
  featuresVersion: number;
  source: string;
  active: boolean;
  activatedAt: string | null;
  /** The version's evaluation on planted anomalies (ROC-AUC, PR-AUC, ...), as stored. */
  metrics: Record<string, unknown>;
}

/** POST /api/models/:versionId/activate, body `{}`. Answer: ModelItem. */

// ---------------------------------------------------------------------------------------------------------------
// Users (admin)

export interface UserItem {
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

/** POST /api/users. Answer: UserItem (201). Password: at least 12 characters. */
export interface CreateUserRequest {
  username: string; // [a-z0-9._-], 2..64
  password: string;
  role: Role;
}

/** PATCH /api/users/:username. Disabling revokes the user's refresh tokens. Answer: UserItem. */
export interface UpdateUserRequest {
  role?: Role;
  disabled?: boolean;
}

/** POST /api/users/:username/password. Revokes the user's refresh tokens. Answer: OkResponse. */
export interface ResetPasswordRequest {
  password: string;
}

/** GET /api/audit?entity=&entityId= (supervisor): newest first, keyset paginated. */
export interface AuditQuery extends PageQuery {
  entity?: string;
  entityId?: string;
  actor?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Lists that are not pages (small, whole)

export interface ListResponse<T> {
  items: T[];
}

// GET /api/alerts -> Page<AlertItem>; GET /api/sources -> ListResponse<SourceItem>;
// GET /api/models -> ListResponse<ModelItem>; GET /api/users -> ListResponse<UserItem>;
// GET /api/reports -> Page<ReportFileItem>; GET /api/submissions -> Page<SubmissionItem>;
// GET /api/exceptions -> Page<ExceptionItem>; GET /api/review -> Page<ReviewItem>;
// GET /api/corrections -> Page<CorrectionItem>; GET /api/corrections/:id -> CorrectionDetail;
// GET /api/audit -> Page<AuditItem>; GET /api/elements?regime= -> ElementsResponse.

// ---------------------------------------------------------------------------------------------------------------
// WebSocket /ws

/**
 * Topics a client can subscribe to. The server keeps only the latest state per topic per client: a client that
 * reads slowly skips intermediate states, it never gets an unbounded backlog.
 * - dashboard: DashboardSnapshot, about every second
 * - exceptions: ExceptionsSummary when exceptions change
 * - review: ReviewSummary when the queue changes
 * - alerts: AlertsSummary when alerts change
 * - sources: ListResponse<SourceItem>, about every second while sources change
 * - data: DataVersion when stored data changes (invalidate cached lists/searches)
 */
export const WS_TOPICS = ['dashboard', 'exceptions', 'review', 'alerts', 'sources', 'data'] as const;
export type WsTopic = (typeof WS_TOPICS)[number];

export interface ExceptionsSummary {
  open: number;
  correcting: number;
  byKind: Record<ExceptionKind, number>;
  correctionsPending: number;
}

export interface ReviewSummary {
  open: number;
}

export interface AlertsSummary {
  open: number;
  acknowledged: number;
  /** The 20 newest active alerts. */
  latest: AlertItem[];
}

export interface DataVersion {
  dataVersion: number;
}

export interface WsTopicData {
  dashboard: DashboardSnapshot;
  exceptions: ExceptionsSummary;
  review: ReviewSummary;
  alerts: AlertsSummary;
  sources: ListResponse<SourceItem>;
  data: DataVersion;
}

/** Client → server. */
export type WsClientMessage =
  | { type: 'subscribe'; topics: WsTopic[] }
  | { type: 'unsubscribe'; topics: WsTopic[] }
  | { type: 'ping'; id?: number };

/** Server → client. */
export type WsServerMessage =
  | { type: 'welcome'; user: Me; topics: readonly WsTopic[] }
  | { [K in WsTopic]: { type: 'update'; topic: K; data: WsTopicData[K]; at: string } }[WsTopic]
  | { type: 'pong'; id?: number }
  /** A bad message; `fatal` errors close the socket (e.g. the token expired: code 4401). */
  | { type: 'error'; code: ApiErrorCode; message: string; fatal?: boolean };

/** WebSocket close codes used by the server. */
export const WS_CLOSE = { unauthorized: 4401, forbidden: 4403, tooSlow: 4408 } as const;
