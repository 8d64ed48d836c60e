/**
 * The console's HTTP plumbing on uWebSockets.js: one `route()` call per endpoint that reads what it needs from
 * the request synchronously (uWS requests die at the first await), streams the body with a size limit,
 * authenticates, checks the role, runs the handler and writes JSON, or the contract's error body.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uws-pack';
import type { ApiErrorBody, ApiErrorCode, Role } from '../api/contract.js';
import { log } from '../../engine/log.js';
import { PLAIN_HTTP_HEADERS, type SecurityHeaders } from '../../engine/http/security-headers.js';

const STATUS: Record<ApiErrorCode, string> = {
  bad_request: '400 Bad Request',
  unauthorized: '401 Unauthorized',
  forbidden: '403 Forbidden',
  not_found: '404 Not Found',
  conflict: '409 Conflict',
  payload_too_large: '413 Payload Too Large',
  unsupported_media_type: '415 Unsupported Media Type',
  too_many_requests: '429 Too Many Requests',
  password_change_required: '403 Forbidden',
  unavailable: '503 Service Unavailable',
  internal: '500 Internal Server Error',
};

/** An error the client caused (or may retry): becomes the contract's error body with its status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, field?: string) => new ApiError('bad_request', message, field);
export const notFound = (message: string) => new ApiError('not_found', message);
export const conflict = (message: string) => new ApiError('conflict', message);
export const forbidden = (message: string) => new ApiError('forbidden', message);

export interface Reply {
  status?: string;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: { type: string; bytes: string | Uint8Array; headers?: Record<string, string> };
}

/** Everything a handler may know about the request, copied out of uWS before the first await. */
export interface RawRequest {
  method: string;
  url: string;
  params: string[];
  query: URLSearchParams;
  headers: { authorization: string; contentType: string; contentLength: string; forwardedFor: string };
  ip: string;
  body: Buffer | undefined;
}

export interface RouteOptions {
  /** Read and keep the request body (POST/PATCH). */
  body: boolean;
  maxBodyBytes: number;
  /** The server's security headers (HSTS over TLS); default: those of plain HTTP. */
  headers?: SecurityHeaders | undefined;
}

export type RawHandler = (req: RawRequest) => Promise<Reply>;

export function errorBody(err: ApiError): ApiErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.field !== undefined ? { field: err.field } : {}), ...err.extra } };
}

/** Every answer: status, the security headers (Cache-Control: no-store among them), content type, extra headers. */
function write(res: HttpResponse, security: SecurityHeaders, status: string, type: string, body: string | Uint8Array, headers: Record<string, string> = {}, close = false): void {
  res.cork(() => {
    security.write(res.writeStatus(status), 'api').writeHeader('content-type', type);
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(body, close);
  });
}

export function writeError(res: HttpResponse, err: ApiError, security: SecurityHeaders = PLAIN_HTTP_HEADERS, close = false): void {
  write(res, security, STATUS[err.code], 'application/json', JSON.stringify(errorBody(err)), err.headers, close);
}

function paramCount(pattern: string): number {
  return pattern.split('/').filter((s) => s.startsWith(':')).length;
}

/** Installs one endpoint. `handler` sees a RawRequest; authentication happens inside it (see routes.ts). */
export function installRoute(app: TemplatedApp, method: 'get' | 'post' | 'patch' | 'del', pattern: string, options: RouteOptions, handler: RawHandler): void {
  const n = paramCount(pattern);
  const security = options.headers ?? PLAIN_HTTP_HEADERS;
  app[method](pattern, (res: HttpResponse, req: HttpRequest) => {
    const raw: RawRequest = {
      method: req.getMethod().toUpperCase(),
      url: req.getUrl(),
      params: Array.from({ length: n }, (_, i) => safeDecode(req.getParameter(i) ?? '')),
      query: new URLSearchParams(req.getQuery() ?? ''),
      headers: {
        authorization: req.getHeader('authorization'),
        contentType: req.getHeader('content-type'),
        contentLength: req.getHeader('content-length'),
        forwardedFor: req.getHeader('x-forwarded-for'),
      },
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
      body: undefined,
    };
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const run = () => {
      handler(raw).then(
        (reply) => {
          if (aborted) return;
          if (reply.raw) write(res, security, reply.status ?? '200 OK', reply.raw.type, reply.raw.bytes, reply.raw.headers);
          else write(res, security, reply.status ?? '200 OK', 'application/json', JSON.stringify(reply.body ?? null));
        },
        (err: unknown) => {
          if (aborted) return;
          if (err instanceof ApiError) return writeError(res, err, security);
          log('error', `console ${raw.method} ${raw.url}: ${(err as Error).stack ?? String(err)}`);
          writeError(res, new ApiError('internal', 'internal error; see the engine log'), security);
        },
      );
    };
    if (!options.body) return run();
    readBody(res, raw, options.maxBodyBytes, security, () => aborted, (body) => {
      raw.body = body;
      run();
    });
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Streams the body into one buffer, refusing it (413) as soon as it passes the limit, so an oversized upload is
 * never held whole. A declared content-length over the limit is refused before reading anything.
 */
function readBody(res: HttpResponse, raw: RawRequest, limit: number, security: SecurityHeaders, isAborted: () => boolean, done: (body: Buffer) => void): void {
  const tooLarge = () => new ApiError('payload_too_large', `request body is larger than the limit of ${limit} bytes`);
  const declared = Number(raw.headers.contentLength);
  if (raw.headers.contentLength !== '' && Number.isFinite(declared) && declared > limit) {
    // Answer and close: the client may still be sending, and we will not read it.
    writeError(res, tooLarge(), security, true);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused || isAborted()) return;
    size += chunk.byteLength;
    if (size > limit) {
      refused = true;
      writeError(res, tooLarge(), security, true);
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0))); // uWS neuters the chunk after the callback: copy it
    if (isLast) done(Buffer.concat(chunks, size));
  });
}

/** The JSON body of a request, or the reason it is not one. */
export function jsonBody(req: RawRequest): unknown {
  const type = req.headers.contentType.split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError('unsupported_media_type', `content-type must be application/json, not "${req.headers.contentType || '(none)'}"`);
  const text = (req.body ?? Buffer.alloc(0)).toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function roleAtLeast(have: Role, need: Role): boolean {
  const order: Record<Role, number> = { viewer: 0, analyst: 1, supervisor: 2, admin: 3 };
  return order[have] >= order[need];
}
