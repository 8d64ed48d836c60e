/**
 * The HTTP side of the console: JSON requests with the bearer token, refreshed before it expires and once more
 * when the server answers 401; errors become ApiError with the server's code, message and field.
 */
import type { ApiErrorBody, ApiErrorCode, ChangePasswordRequest, TokenResponse } from '../../api/contract.js';
import { session, signIn, signOut, storedRefreshToken } from './session.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode | 'network',
    message: string,
    readonly field?: string,
    /** For query errors (400 on /api/search): the token that did not parse. */
    readonly token?: string,
  ) {
    super(message);
  }
}

type Query = object;

function toSearch(query?: Query): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> & { error?: { token?: string } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  const e = body.error;
  return new ApiError(res.status, e?.code ?? 'internal', e?.message ?? `${res.status} ${res.statusText}`, e?.field, e?.token);
}

async function send(method: string, path: string, body: unknown, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message);
  }
}

let refreshing: Promise<boolean> | undefined;

/** Trades the stored refresh token for new tokens (one request at a time); false when the session is over. */
export function refreshSession(): Promise<boolean> {
  return (refreshing ??= (async () => {
    try {
      const refreshToken = storedRefreshToken();
      if (!refreshToken) return false;
      const res = await send('POST', '/auth/refresh', { refreshToken }, null);
      if (!res.ok) {
        if (res.status === 401) signOut();
        return false;
      }
      signIn((await res.json()) as TokenResponse);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })());
}

/** A valid access token (refreshed first when it is about to expire), or null when logged out. */
export async function accessToken(): Promise<string | null> {
  const s = session();
  if (s.accessToken && Date.now() < s.refreshAt) return s.accessToken;
  if (!storedRefreshToken()) return s.accessToken;
  await refreshSession();
  return session().accessToken;
}

export async function request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
  const url = path + toSearch(opts.query);
  let res = await send(method, url, opts.body, await accessToken());
  if (res.status === 401 && (await refreshSession())) res = await send(method, url, opts.body, session().accessToken);
  if (res.status === 401) signOut();
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export async function login(username: string, password: string): Promise<void> {
  const res = await send('POST', '/auth/token', { username, password }, null);
  if (!res.ok) throw await errorOf(res);
  signIn((await res.json()) as TokenResponse);
}

/** Changes the user's own password; the answer is a new login (the old refresh token is revoked with the others). */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  signIn(await request<TokenResponse>('POST', '/api/me/password', { body: { currentPassword, newPassword } satisfies ChangePasswordRequest }));
}

export async function logout(): Promise<void> {
  const refreshToken = storedRefreshToken();
  signOut();
  if (refreshToken) await send('POST', '/auth/logout', { refreshToken }, null).catch(() => undefined);
}
