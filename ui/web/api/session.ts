/**
 * Who is logged in. The access token lives in memory only (never in storage a script injected elsewhere could
 * read later); the single-use refresh token is kept in sessionStorage, scoped to this tab, so that a reload or a
 * deep link opened in the same tab does not log the analyst out. Logging out revokes it on the server.
 */
import type { Me, Role, TokenResponse } from '../../api/contract.js';
import { ROLES } from '../../api/contract.js';

const REFRESH_KEY = 'swaprep.refresh';

export interface SessionState {
  user: Me | null;
  accessToken: string | null;
  /** Date.now() after which the access token must be refreshed first. */
  refreshAt: number;
}

let state: SessionState = { user: null, accessToken: null, refreshAt: 0 };
const listeners = new Set<() => void>();

export function session(): SessionState {
  return state;
}

export function onSessionChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function set(next: SessionState): void {
  const userChanged = next.user?.username !== state.user?.username || next.user?.role !== state.user?.role
    || next.user?.mustChangePassword !== state.user?.mustChangePassword;
  state = next;
  if (userChanged) listeners.forEach((l) => l());
}

export function storedRefreshToken(): string | null {
  return sessionStorage.getItem(REFRESH_KEY);
}

export function signIn(t: TokenResponse): void {
  sessionStorage.setItem(REFRESH_KEY, t.refreshToken);
  // Refresh a little before expiry (a tenth of the lifetime, at least 5 s) so requests never race the clock.
  const margin = Math.max(5, t.expiresIn / 10) * 1000;
  set({ user: t.user, accessToken: t.accessToken, refreshAt: Date.now() + t.expiresIn * 1000 - margin });
}

export function signOut(): void {
  sessionStorage.removeItem(REFRESH_KEY);
  set({ user: null, accessToken: null, refreshAt: 0 });
}

/** Roles are ordered: each may do all the roles before it may. */
export function hasRole(min: Role, user: Me | null = state.user): boolean {
  return user !== null && ROLES.indexOf(user.role) >= ROLES.indexOf(min);
}
